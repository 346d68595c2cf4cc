//go:build cgo

package libseccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	lsc "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
)

// The oracle builds a filter the way runc 1.1 does
// (libcontainer/seccomp/seccomp_linux.go InitSeccomp and matchCall, after
// libcontainer/specconv split every rule into one rule per name), as if runc
// ran on a host of the compile's native architecture: the filter holds that
// native arch (libseccomp's filter always does) plus the profile's
// architectures. One deliberate departure: the bad-arch action is
// KILL_PROCESS (libseccomp's default is KILL_THREAD), because profilec kills
// the whole process on a foreign arch rather than leave a half-killed
// multi-threaded one.
//
// runc's patchbpf stub (-ENOSYS for syscalls newer than the profile) is not
// applied: it is runc's own addition to the exported program, not libseccomp
// semantics, and profilec does not promise it.

// optimize picks libseccomp's SCMP_FLTATR_CTL_OPTIMIZE level.
type optimize int

const (
	optimizeAsRunc     optimize = 0 // binary tree when the profile has more than 32 rules, as runc 1.1 does
	optimizePriority   optimize = 1 // libseccomp's default: rules sorted by priority
	optimizeBinaryTree optimize = 2 // SetOptimize(2): binary tree by syscall number
)

func (o optimize) String() string {
	switch o {
	case optimizePriority:
		return "libseccomp default"
	case optimizeBinaryTree:
		return "libseccomp binary tree"
	}
	return "libseccomp as runc"
}

// errEPERM is what runc uses when an ERRNO or TRACE rule has no errnoRet.
const errEPERM = 1

// scmpAction converts an OCI action the way runc's getAction does.
func scmpAction(action string, errnoRet *uint) (lsc.ScmpAction, error) {
	switch action {
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return lsc.ActKillThread, nil
	case "SCMP_ACT_KILL_PROCESS":
		return lsc.ActKillProcess, nil
	case "SCMP_ACT_TRAP":
		return lsc.ActTrap, nil
	case "SCMP_ACT_ALLOW":
		return lsc.ActAllow, nil
	case "SCMP_ACT_LOG":
		return lsc.ActLog, nil
	case "SCMP_ACT_NOTIFY":
		return lsc.ActNotify, nil
	case "SCMP_ACT_ERRNO":
		if errnoRet != nil {
			return lsc.ActErrno.SetReturnCode(int16(*errnoRet)), nil
		}
		return lsc.ActErrno.SetReturnCode(errEPERM), nil
	case "SCMP_ACT_TRACE":
		if errnoRet != nil {
			return lsc.ActTrace.SetReturnCode(int16(*errnoRet)), nil
		}
		return lsc.ActTrace.SetReturnCode(errEPERM), nil
	}
	return lsc.ActInvalid, fmt.Errorf("convert action %q: unknown action", action)
}

func scmpOp(op string) (lsc.ScmpCompareOp, error) {
	switch op {
	case "SCMP_CMP_NE":
		return lsc.CompareNotEqual, nil
	case "SCMP_CMP_LT":
		return lsc.CompareLess, nil
	case "SCMP_CMP_LE":
		return lsc.CompareLessOrEqual, nil
	case "SCMP_CMP_EQ":
		return lsc.CompareEqual, nil
	case "SCMP_CMP_GE":
		return lsc.CompareGreaterEqual, nil
	case "SCMP_CMP_GT":
		return lsc.CompareGreater, nil
	case "SCMP_CMP_MASKED_EQ":
		return lsc.CompareMaskedEqual, nil
	}
	return lsc.CompareInvalid, fmt.Errorf("convert operator %q: unknown operator", op)
}

func scmpArch(name string) (lsc.ScmpArch, error) {
	a, err := lsc.GetArchFromString(strings.ToLower(strings.TrimPrefix(name, "SCMP_ARCH_")))
	if err != nil {
		return lsc.ArchInvalid, fmt.Errorf("convert architecture %q: %w", name, err)
	}
	return a, nil
}

// targetArches is what the filter covers: the native arch first, then the
// profile's architectures.
func targetArches(s *schema.ResolvedSeccomp, native string) []string {
	out := []string{native}
	for _, a := range s.Architectures {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// newOracleFilter builds the libseccomp filter for s. The caller releases it.
func newOracleFilter(s *schema.ResolvedSeccomp, native string, opt optimize) (*lsc.ScmpFilter, error) {
	def, err := scmpAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	// runc refuses these before it builds anything: NOTIFY as the default
	// would notify on its own write of the listener fd, and so would
	// NOTIFY on write.
	if def == lsc.ActNotify {
		return nil, errors.New("build filter: SCMP_ACT_NOTIFY cannot be the default action")
	}
	for _, r := range s.Syscalls {
		if r.Action == "SCMP_ACT_NOTIFY" && slices.Contains(r.Names, "write") {
			return nil, errors.New("build filter: SCMP_ACT_NOTIFY cannot be used for write")
		}
	}
	f, err := lsc.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("create filter: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Release()
		}
	}()
	hostArch, err := lsc.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("get native arch: %w", err)
	}
	keepHost := false
	for _, name := range targetArches(s, native) {
		a, err := scmpArch(name)
		if err != nil {
			return nil, err
		}
		if a == hostArch {
			keepHost = true
		}
		if err := f.AddArch(a); err != nil {
			return nil, fmt.Errorf("add arch %s: %w", name, err)
		}
	}
	if !keepHost {
		if err := f.RemoveArch(hostArch); err != nil {
			return nil, fmt.Errorf("remove arch %s: %w", hostArch, err)
		}
	}
	if err := f.SetBadArchAction(lsc.ActKillProcess); err != nil {
		return nil, fmt.Errorf("set bad-arch action: %w", err)
	}
	if err := f.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("clear no_new_privs bit: %w", err)
	}
	level := int(opt)
	if opt == optimizeAsRunc {
		level = 1
		if ruleCount(s) > 32 {
			level = 2
		}
	}
	if err := f.SetOptimize(level); err != nil {
		return nil, fmt.Errorf("set optimize %d: %w", level, err)
	}
	for i, r := range s.Syscalls {
		act, err := scmpAction(r.Action, r.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		if act == def {
			continue // runc: redundant, and AddRule would refuse it
		}
		var conds []lsc.ScmpCondition
		var perIndex [6]int
		for _, a := range r.Args {
			op, err := scmpOp(a.Op)
			if err != nil {
				return nil, fmt.Errorf("rule %d: %w", i, err)
			}
			if a.Index >= 6 {
				return nil, fmt.Errorf("rule %d: argument index %d out of range", i, a.Index)
			}
			c, err := lsc.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
			if err != nil {
				return nil, fmt.Errorf("rule %d: make condition: %w", i, err)
			}
			perIndex[a.Index]++
			conds = append(conds, c)
		}
		split := false
		for _, n := range perIndex {
			split = split || n > 1
		}
		for _, name := range r.Names {
			nr, err := lsc.GetSyscallFromName(name)
			if err != nil {
				continue // runc: a name libseccomp does not know is ignored
			}
			switch {
			case len(conds) == 0:
				err = f.AddRule(nr, act)
			case split:
				// runc: conditions on a repeated argument become one
				// rule each, so they OR instead of AND.
				for _, c := range conds {
					if err = f.AddRuleConditional(nr, act, []lsc.ScmpCondition{c}); err != nil {
						break
					}
				}
			default:
				err = f.AddRuleConditional(nr, act, conds)
			}
			if err != nil {
				return nil, fmt.Errorf("rule %d: add rule for %s: %w", i, name, err)
			}
		}
	}
	ok = true
	return f, nil
}

// ruleCount counts s's rules as runc counts them, one per name.
func ruleCount(s *schema.ResolvedSeccomp) int {
	n := 0
	for _, r := range s.Syscalls {
		n += len(r.Names)
	}
	return n
}

// oracleProgram returns libseccomp's program for s.
func oracleProgram(s *schema.ResolvedSeccomp, native string, opt optimize) ([]plan.Instruction, error) {
	f, err := newOracleFilter(s, native, opt)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	return exportBPF(f)
}

// exportBPF exports f through a memfd: libseccomp 2.5 writes only to a file
// descriptor (seccomp_export_bpf_mem is 2.6).
func exportBPF(f *lsc.ScmpFilter) ([]plan.Instruction, error) {
	fd, err := unix.MemfdCreate("libseccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "libseccomp-bpf")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, fmt.Errorf("export bpf: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind memfd: %w", err)
	}
	raw, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("read bpf: %w", err)
	}
	return parseSockFilter(raw)
}

// parseSockFilter decodes a struct sock_filter array in x86's byte order.
func parseSockFilter(raw []byte) ([]plan.Instruction, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("parse sock_filter: %d bytes is not a whole number of instructions", len(raw))
	}
	if len(raw) == 0 {
		return nil, errors.New("parse sock_filter: empty program")
	}
	prog := make([]plan.Instruction, len(raw)/8)
	for i := range prog {
		b := raw[8*i:]
		prog[i] = plan.Instruction{
			Code: binary.LittleEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.LittleEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}

// dockerCaps are Docker's 14 default capabilities (moby oci/caps/defaults.go).
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// mobyDefault resolves Docker's default profile with Docker's own code for an
// amd64 container with bounding set caps. Docker decides minKernel against the
// running kernel; the profile's only minKernel is 4.8, so any kernel since
// then (the target, 6.1, and this host) resolves alike, which
// TestMobyKernelAssumption checks.
func mobyDefault(caps []string) (*schema.ResolvedSeccomp, error) {
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	ls, err := mobyseccomp.GetDefaultProfile(spec)
	if err != nil {
		return nil, fmt.Errorf("resolve docker default: %w", err)
	}
	return fromSpec(ls), nil
}

func fromSpec(ls *specs.LinuxSeccomp) *schema.ResolvedSeccomp {
	s := &schema.ResolvedSeccomp{
		Enabled:         true,
		DefaultAction:   string(ls.DefaultAction),
		DefaultErrnoRet: ls.DefaultErrnoRet,
	}
	for _, a := range ls.Architectures {
		s.Architectures = append(s.Architectures, string(a))
	}
	for _, c := range ls.Syscalls {
		r := schema.SyscallRule{Names: c.Names, Action: string(c.Action), ErrnoRet: c.ErrnoRet}
		for _, a := range c.Args {
			r.Args = append(r.Args, schema.Arg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: string(a.Op)})
		}
		s.Syscalls = append(s.Syscalls, r)
	}
	return s
}
