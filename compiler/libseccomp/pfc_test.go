//go:build cgo

package libseccomp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/schema"
)

// libseccomp can export a filter as PFC, a readable if/else listing of its
// rule tree, besides the BPF program. Where the two disagree, the BPF
// generator has lost its way and the PFC shows what libseccomp meant, so
// the fuzz test asks the PFC whenever several rules with different actions
// match one call and the documentation leaves the winner open. The PFC does
// not show the x32 split of a shared x86_64 filter, so it is not asked about
// x32 calls.

// pfcShows reports whether the PFC tells the verdict for a call. It does
// not for calls under AUDIT_ARCH_X86_64 when x32 is a target (the PFC lists
// the x32 rules under the same arch test and leaves out the split on bit 30)
// nor for x86_64-audit numbers from bit 30 up, which libseccomp's BPF sends
// to x32 or the bad-arch action before the rules the PFC lists.
func pfcShows(s *schema.ResolvedSeccomp, native string, pa probeArch, nr int32) bool {
	if pa.audit != auditX86_64 {
		return true
	}
	return uint32(nr) < x32Bit && !slices.Contains(targetArches(s, native), "SCMP_ARCH_X32")
}

// pfcStmt is an action, or an if with its branches.
type pfcStmt struct {
	action       *uint32
	cond         func(in input) bool
	then, orElse []pfcStmt
}

// pfcProgram is libseccomp's PFC for a filter, parsed.
type pfcProgram []pfcStmt

// oraclePFC exports s's filter as PFC and parses it.
func oraclePFC(s *schema.ResolvedSeccomp, native string, opt optimize) (pfcProgram, error) {
	f, err := newOracleFilter(s, native, opt)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	fd, err := unix.MemfdCreate("libseccomp-pfc", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "libseccomp-pfc")
	defer file.Close()
	if err := f.ExportPFC(file); err != nil {
		return nil, fmt.Errorf("export pfc: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind memfd: %w", err)
	}
	return parsePFC(file)
}

type pfcLine struct {
	indent int
	text   string
}

func parsePFC(r io.Reader) (pfcProgram, error) {
	var lines []pfcLine
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		raw, _, _ := strings.Cut(sc.Text(), "#")
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		lines = append(lines, pfcLine{len(raw) - len(strings.TrimLeft(raw, " ")), text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pfc: %w", err)
	}
	stmts, rest, err := parsePFCBlock(lines, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("parse pfc: unexpected %q", rest[0].text)
	}
	return stmts, nil
}

// parsePFCBlock parses the statements at indent, returning the lines after.
func parsePFCBlock(lines []pfcLine, indent int) ([]pfcStmt, []pfcLine, error) {
	var out []pfcStmt
	for len(lines) > 0 && lines[0].indent == indent {
		l := lines[0]
		switch {
		case strings.HasPrefix(l.text, "action "):
			v, err := parsePFCAction(strings.TrimSuffix(strings.TrimPrefix(l.text, "action "), ";"))
			if err != nil {
				return nil, nil, err
			}
			out = append(out, pfcStmt{action: &v})
			lines = lines[1:]
		case strings.HasPrefix(l.text, "if (") && strings.HasSuffix(l.text, ")"):
			cond, err := parsePFCCond(l.text[len("if (") : len(l.text)-1])
			if err != nil {
				return nil, nil, err
			}
			st := pfcStmt{cond: cond}
			lines = lines[1:]
			if len(lines) > 0 && lines[0].indent > indent {
				if st.then, lines, err = parsePFCBlock(lines, lines[0].indent); err != nil {
					return nil, nil, err
				}
			}
			if len(lines) > 0 && lines[0].indent == indent && lines[0].text == "else" {
				lines = lines[1:]
				if len(lines) > 0 && lines[0].indent > indent {
					if st.orElse, lines, err = parsePFCBlock(lines, lines[0].indent); err != nil {
						return nil, nil, err
					}
				}
			}
			out = append(out, st)
		default:
			return nil, nil, fmt.Errorf("parse pfc: unexpected %q", l.text)
		}
	}
	return out, lines, nil
}

func parsePFCAction(s string) (uint32, error) {
	num := func(prefix string) (uint32, bool) {
		if !strings.HasPrefix(s, prefix+"(") || !strings.HasSuffix(s, ")") {
			return 0, false
		}
		n, err := strconv.ParseUint(s[len(prefix)+1:len(s)-1], 0, 16)
		return uint32(n), err == nil
	}
	if n, ok := num("ERRNO"); ok {
		return actErrno | n, nil
	}
	if n, ok := num("TRACE"); ok {
		return actTrace | n, nil
	}
	switch s {
	case "ALLOW":
		return actAllow, nil
	case "KILL":
		return actKillThread, nil
	case "KILL_PROCESS":
		return actKillProcess, nil
	case "TRAP":
		return actTrap, nil
	case "LOG":
		return actLog, nil
	}
	if v, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(v), nil
	}
	return 0, fmt.Errorf("parse pfc: unknown action %q", s)
}

// parsePFCCond reads "$syscall == N", "$arch == N", "$aI OP N",
// "$aI.hi32 OP N", "$aI.lo32 OP N", each optionally with "& MASK" before OP.
func parsePFCCond(s string) (func(input) bool, error) {
	f := strings.Fields(s)
	var mask uint64 = 0xffffffff
	if len(f) == 5 && f[1] == "&" {
		m, err := strconv.ParseUint(f[2], 0, 32)
		if err != nil {
			return nil, fmt.Errorf("parse pfc: mask in %q: %w", s, err)
		}
		mask = m
		f = []string{f[0], f[3], f[4]}
	}
	if len(f) != 3 {
		return nil, fmt.Errorf("parse pfc: condition %q", s)
	}
	val, err := strconv.ParseUint(f[2], 0, 32)
	if err != nil {
		return nil, fmt.Errorf("parse pfc: value in %q: %w", s, err)
	}
	var word func(input) uint64
	switch lhs := f[0]; {
	case lhs == "$syscall":
		word = func(in input) uint64 { return uint64(uint32(in.nr)) }
	case lhs == "$arch":
		word = func(in input) uint64 { return uint64(in.arch) }
	case strings.HasPrefix(lhs, "$a") && len(lhs) >= 3:
		i, err := strconv.Atoi(lhs[2:3])
		if err != nil || i > 5 {
			return nil, fmt.Errorf("parse pfc: argument in %q", s)
		}
		switch lhs[3:] {
		case "", ".lo32":
			word = func(in input) uint64 { return in.args[i] & 0xffffffff }
		case ".hi32":
			word = func(in input) uint64 { return in.args[i] >> 32 }
		default:
			return nil, fmt.Errorf("parse pfc: argument in %q", s)
		}
	default:
		return nil, fmt.Errorf("parse pfc: condition %q", s)
	}
	switch f[1] {
	case "==":
		return func(in input) bool { return word(in)&mask == val }, nil
	case ">":
		return func(in input) bool { return word(in)&mask > val }, nil
	case ">=":
		return func(in input) bool { return word(in)&mask >= val }, nil
	}
	return nil, fmt.Errorf("parse pfc: operator in %q", s)
}

// eval runs the listing: a statement list runs in order until an action.
func (p pfcProgram) eval(in input) (uint32, bool) {
	return evalPFC(p, in)
}

func evalPFC(stmts []pfcStmt, in input) (uint32, bool) {
	for _, st := range stmts {
		if st.action != nil {
			return *st.action, true
		}
		branch := st.orElse
		if st.cond(in) {
			branch = st.then
		}
		if v, ok := evalPFC(branch, in); ok {
			return v, true
		}
	}
	return 0, false
}

// TestPFCMatchesBPF checks the PFC reader against libseccomp's own BPF on
// the curated profiles, where the two agree (they are clear of libseccomp's
// defects): every arch but x32, every number, each argument through the
// profile's values.
func TestPFCMatchesBPF(t *testing.T) {
	for _, p := range diffProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			for _, opt := range []optimize{optimizePriority, optimizeBinaryTree} {
				prog, err := oracleProgram(p.s, p.native, opt)
				if err != nil {
					t.Fatal(err)
				}
				pfc, err := oraclePFC(p.s, p.native, opt)
				if err != nil {
					t.Fatal(err)
				}
				values := argValues(p.s.Syscalls)
				bad := 0
				for _, pa := range probeArches() {
					if pa.label == "x32" {
						continue
					}
					for _, nr := range pa.nrs {
						if !pfcShows(p.s, p.native, pa, nr) {
							continue
						}
						check := func(in input) {
							tr, err := run(prog, in)
							if err != nil {
								t.Fatal(err)
							}
							got, ok := pfc.eval(in)
							if (!ok || got != tr.ret) && bad < 10 {
								bad++
								t.Errorf("%s, %s: PFC says %s (%v), BPF %s", opt, describeInput(pa, in), fmtAction(got), ok, fmtAction(tr.ret))
							}
						}
						check(input{nr: nr, arch: pa.audit})
						if tr, _ := run(prog, input{nr: nr, arch: pa.audit}); !tr.argLoad {
							continue
						}
						for i := range 6 {
							for _, v := range values {
								in := input{nr: nr, arch: pa.audit}
								in.args[i] = v
								check(in)
							}
						}
					}
				}
			}
		})
	}
}
