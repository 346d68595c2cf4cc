//go:build cgo

package libseccomp

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	lsc "github.com/seccomp/libseccomp-golang"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// The differential harness runs one profile through libseccomp (the oracle,
// built as runc builds it) and through a candidate, then compares their
// verdicts over every architecture a filter on x86_64 can meet, every
// syscall number from -1 to past the end of each table, and boundary
// argument values. The table test and the fuzz test share it.

// candidate is a program under test.
type candidate struct {
	name string
	prog []plan.Instruction
	// run is the candidate's own interpreter, checked against ours on every
	// input (verdict and instructions executed); nil if it has none.
	run func(input) (ret uint32, executed int, err error)
}

// probeArch is one value of seccomp_data.arch with the numbers to try.
type probeArch struct {
	label   string
	audit   uint32
	sysArch string // systab arch for names
	nrs     []int32
}

// probeArches lists what a filter can see: on an x86_64 kernel x86_64 and
// x32 calls (both AUDIT_ARCH_X86_64) and i386 calls through int 0x80, on an
// arm64 kernel aarch64 and arm calls. Whichever are not the filter's
// targets must meet the bad-arch action.
func probeArches() []probeArch {
	span := func(lo, hi int) []int32 {
		var out []int32
		for n := lo; n <= hi; n++ {
			out = append(out, int32(n))
		}
		return out
	}
	odd := []int32{-2, math.MaxInt32, math.MinInt32, x32Bit - 1, x32Bit, x32Bit | 0x3fffffff, -x32Bit}
	x64 := append(span(-1, systab.MaxSyscall("SCMP_ARCH_X86_64")+64), odd...)
	x32 := span(x32Bit-1, systab.MaxSyscall("SCMP_ARCH_X32")+64)
	i386 := append(span(-1, systab.MaxSyscall("SCMP_ARCH_X86")+64), odd...)
	// aarch64 and arm are foreign to an x86 filter and the targets of an
	// arm64 one (--arch); both are little-endian, as the interpreter's
	// seccomp_data is.
	a64 := append(span(-1, systab.MaxSyscall("SCMP_ARCH_AARCH64")+64), odd...)
	// arm's private calls sit near 0xf0000: cover the dense table, then
	// each private call and the numbers just past the last.
	arm := span(-1, 512)
	for _, name := range systab.SyscallNames("SCMP_ARCH_ARM") {
		if nr, _ := systab.SyscallNumber("SCMP_ARCH_ARM", name); nr > 512 {
			arm = append(arm, int32(nr))
		}
	}
	top := systab.MaxSyscall("SCMP_ARCH_ARM")
	arm = append(append(arm, span(top+1, top+64)...), odd...)
	return []probeArch{
		{"x86_64", auditX86_64, "SCMP_ARCH_X86_64", x64},
		{"x32", auditX86_64, "SCMP_ARCH_X32", x32},
		{"x86", auditI386, "SCMP_ARCH_X86", i386},
		{"aarch64", auditAarch64, "SCMP_ARCH_AARCH64", a64},
		{"arm", auditArm, "SCMP_ARCH_ARM", arm},
	}
}

// boundaryValues are argument values where comparisons on 64-bit values
// split into 32-bit halves go wrong.
var boundaryValues = []uint64{
	0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 0xffffffff00000000,
	0x8000000000000000, math.MaxUint64, 0x100000001, 0x7fffffffffffffff,
}

// argValues returns the boundary values plus, for every value the rules
// use, its neighbours and the values that share its low or its high half.
func argValues(rules []schema.SyscallRule) []uint64 {
	set := map[uint64]bool{}
	add := func(v uint64) {
		for _, w := range []uint64{v, v - 1, v + 1, v ^ 1<<32, v + 1<<32, v - 1<<32, v & 0xffffffff, v | 0xffffffff00000000, v &^ 0xffffffff, v | 0xffffffff} {
			set[w] = true
		}
	}
	for _, v := range boundaryValues {
		set[v] = true
	}
	for _, r := range rules {
		for _, a := range r.Args {
			add(a.Value)
			if a.Op == "SCMP_CMP_MASKED_EQ" {
				add(a.ValueTwo)
				set[a.ValueTwo|^a.Value] = true // every bit outside the mask set
				set[a.ValueTwo&a.Value] = true
			}
		}
	}
	out := make([]uint64, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// satisfying returns an argument vector meeting every condition of r when
// that is possible, the starting point for varying one argument at a time
// through a rule with several conditions.
func satisfying(r schema.SyscallRule) [6]uint64 {
	var v [6]uint64
	for _, a := range r.Args {
		if a.Index >= 6 {
			continue
		}
		switch a.Op {
		case "SCMP_CMP_NE", "SCMP_CMP_GT":
			v[a.Index] = a.Value + 1
		case "SCMP_CMP_LT":
			v[a.Index] = a.Value - 1
		case "SCMP_CMP_MASKED_EQ":
			v[a.Index] = a.ValueTwo
		default:
			v[a.Index] = a.Value
		}
	}
	return v
}

// gap is an (arch, nr) where libseccomp 2.5.4's own syscall table, not its
// semantics, decides the verdict, so comparing there tests libseccomp's
// table instead of the compiler.
type gapKey struct {
	audit uint32
	nr    int32
}

// tableGaps finds the (arch, nr) pairs the profile names that libseccomp
// resolves differently from the kernel's table (systab): syscalls newer than
// libseccomp 2.5.4, and on x86 the direct socket and SysV IPC calls (Linux
// 4.3+), which libseccomp 2.5.4 knows only through the socketcall and ipc
// multiplexers. For those it also rewrites the rule onto socketcall or ipc,
// so their verdicts are libseccomp's table's business too.
func tableGaps(s *schema.ResolvedSeccomp, native string) map[gapKey]string {
	gaps := map[gapKey]string{}
	for _, an := range targetArches(s, native) {
		a, ok := systab.LookupArch(an)
		if !ok {
			continue
		}
		la, err := scmpArch(an)
		if err != nil {
			continue
		}
		for _, r := range s.Syscalls {
			for _, name := range r.Names {
				nr, ok := systab.SyscallNumber(a.Name, name)
				if !ok {
					continue
				}
				l, err := lsc.GetSyscallFromNameByArch(name, la)
				switch {
				case err != nil:
					gaps[gapKey{a.Audit, int32(nr)}] = fmt.Sprintf("libseccomp %s does not know %s", libVersion(), name)
				case int(l) == nr:
				case l < 0 && a.Name == "SCMP_ARCH_X86":
					mux, muxName := 102, "socketcall"
					if l <= -200 {
						mux, muxName = 117, "ipc"
					}
					gaps[gapKey{a.Audit, int32(nr)}] = fmt.Sprintf("libseccomp %s knows %s only through %s", libVersion(), name, muxName)
					if actionOf(r) != plainAction(s, muxName) {
						gaps[gapKey{a.Audit, int32(mux)}] = fmt.Sprintf("libseccomp %s rewrites rules for %s onto %s", libVersion(), name, muxName)
					}
				default:
					gaps[gapKey{a.Audit, int32(nr)}] = fmt.Sprintf("libseccomp %s numbers %s %d, the kernel %d", libVersion(), name, l, nr)
				}
			}
		}
	}
	return gaps
}

// actionOf spells a rule's action with its errno or trace data.
func actionOf(r schema.SyscallRule) string {
	if r.ErrnoRet != nil {
		return fmt.Sprintf("%s(%d)", r.Action, *r.ErrnoRet)
	}
	return r.Action
}

// plainAction is the action of the rules that name name without arguments,
// else the default; "" if those rules disagree. A rule that libseccomp moves
// onto a multiplexer with this same action cannot change the multiplexer's
// verdict, so the multiplexer stays compared.
func plainAction(s *schema.ResolvedSeccomp, name string) string {
	act := ""
	for _, r := range s.Syscalls {
		if len(r.Args) == 0 && slices.Contains(r.Names, name) {
			if act != "" && act != actionOf(r) {
				return ""
			}
			act = actionOf(r)
		}
	}
	if act == "" {
		d := schema.SyscallRule{Action: s.DefaultAction, ErrnoRet: s.DefaultErrnoRet}
		act = actionOf(d)
	}
	return act
}

func libVersion() string {
	ma, mi, mc := lsc.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", ma, mi, mc)
}

// leniency is what the fuzz tests give differential to tell libseccomp's
// defects from the candidate's: the oracle's program in libseccomp's other
// layout, and the oracle's PFC listing.
type leniency struct {
	alt []plan.Instruction
	pfc pfcProgram
}

// newLeniency builds the leniency for s, whose oracle is in layout opt.
func newLeniency(s *schema.ResolvedSeccomp, native string, opt, other optimize) (*leniency, error) {
	alt, err := oracleProgram(s, native, other)
	if err != nil {
		return nil, err
	}
	pfc, err := oraclePFC(s, native, opt)
	if err != nil {
		return nil, err
	}
	return &leniency{alt: alt, pfc: pfc}, nil
}

// mismatch is one input on which two programs disagree.
type mismatch struct {
	arch         probeArch
	in           input
	oracle, cand uint32
}

// differential compares cand with the oracle program on s. It reports every
// difference (the first 40 in full) and returns how many inputs it ran.
//
// With lenient set (the fuzz tests), a difference where libseccomp is at
// fault is logged as a libseccomp defect instead of failing: where
// libseccomp contradicts its own documented semantics and the candidate
// follows them (documented), or, where those leave the verdict open (several
// rules with different actions match), libseccomp's BPF contradicts its own
// PFC listing and the candidate agrees with the listing, or, where the
// listing does not tell, libseccomp's two layouts disagree and the candidate
// agrees with the other one. The curated profiles run strict, so they must
// stay clear of libseccomp's defects.
func differential(t testing.TB, s *schema.ResolvedSeccomp, native string, oracle []plan.Instruction, cand candidate, lenient *leniency) int {
	t.Helper()
	if err := checkProgram(oracle); err != nil {
		t.Fatalf("libseccomp: %v", err)
	}
	if err := checkProgram(cand.prog); err != nil {
		t.Fatalf("%s: %v", cand.name, err)
	}
	gaps := tableGaps(s, native)
	allValues := argValues(s.Syscalls)
	var (
		diffs    []mismatch
		selfDiff []string
		excused  []string
		runs     int
		skipped  = map[string][]string{}
	)
	eval := func(pa probeArch, in input) {
		runs++
		o, err := run(oracle, in)
		if err != nil {
			t.Fatalf("libseccomp on %s: %v", describeInput(pa, in), err)
		}
		c, err := run(cand.prog, in)
		if err != nil {
			t.Fatalf("%s on %s: %v", cand.name, describeInput(pa, in), err)
		}
		if cand.run != nil {
			own, executed, err := cand.run(in)
			if err != nil || own != c.ret || executed != c.executed {
				if len(selfDiff) < 20 {
					selfDiff = append(selfDiff, fmt.Sprintf("%s: %s's interpreter says %s after %d instructions (err %v), this package's interpreter %s after %d",
						describeInput(pa, in), cand.name, fmtAction(own), executed, err, fmtAction(c.ret), c.executed))
				}
			}
		}
		if o.ret != c.ret {
			if lenient != nil {
				a, err := run(lenient.alt, in)
				if err != nil {
					t.Fatalf("libseccomp's other layout on %s: %v", describeInput(pa, in), err)
				}
				// The documented verdict, where there is one, decides;
				// else libseccomp's PFC listing; else its other layout.
				want, ok := documented(s, native, pa, in)
				listed, listOK := lenient.pfc.eval(in)
				listOK = listOK && pfcShows(s, native, pa, in.nr)
				switch {
				case ok && want == c.ret:
					excused = append(excused, fmt.Sprintf("%s: libseccomp %s, documented semantics and %s %s%s",
						describeInput(pa, in), fmtAction(o.ret), cand.name, fmtAction(c.ret), rulesFor(s, native, pa, in.nr)))
					return
				case !ok && listOK && listed == c.ret:
					excused = append(excused, fmt.Sprintf("%s: libseccomp's BPF %s, its PFC listing and %s %s%s",
						describeInput(pa, in), fmtAction(o.ret), cand.name, fmtAction(c.ret), rulesFor(s, native, pa, in.nr)))
					return
				case !ok && !listOK && a.ret == c.ret:
					excused = append(excused, fmt.Sprintf("%s: libseccomp's layouts disagree (%s, %s), %s %s%s",
						describeInput(pa, in), fmtAction(o.ret), fmtAction(a.ret), cand.name, fmtAction(c.ret), rulesFor(s, native, pa, in.nr)))
					return
				}
			}
			diffs = append(diffs, mismatch{pa, in, o.ret, c.ret})
		}
	}
	for _, pa := range probeArches() {
		for _, nr := range pa.nrs {
			zero := input{nr: nr, arch: pa.audit}
			if why, ok := gaps[gapKey{pa.audit, nr}]; ok {
				skipped[why] = append(skipped[why], fmt.Sprintf("%s/%d", pa.label, nr))
				continue
			}
			eval(pa, zero)
			// Arguments matter only where some path loads them, and a
			// path is the same for every argument up to its first
			// argument load: if the zero-argument paths load none, no
			// input's path does.
			oz, _ := run(oracle, zero)
			cz, _ := run(cand.prog, zero)
			if !oz.argLoad && !cz.argLoad {
				continue
			}
			ones := input{nr: nr, arch: pa.audit, ip: math.MaxUint64, args: [6]uint64{math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64, math.MaxUint64}}
			eval(pa, ones)
			// Vary one argument at a time, through the values of the
			// rules naming the call, from zero, from all ones and from
			// a vector meeting each rule. A call no rule names but whose
			// path loads arguments (a multiplexer, or a bug) gets every
			// rule's values.
			var named []schema.SyscallRule
			if name, ok := systab.SyscallName(pa.sysArch, int(nr)); ok {
				for _, r := range s.Syscalls {
					if len(r.Args) > 0 && slices.Contains(r.Names, name) {
						named = append(named, r)
					}
				}
			}
			values := allValues
			if len(named) > 0 {
				values = argValues(named)
			} else {
				named = s.Syscalls
			}
			bases := [][6]uint64{{}, ones.args}
			for _, r := range named {
				if len(r.Args) > 0 {
					bases = append(bases, satisfying(r))
				}
			}
			for _, base := range bases {
				for i := range 6 {
					for _, v := range values {
						in := input{nr: nr, arch: pa.audit, args: base}
						in.args[i] = v
						eval(pa, in)
					}
				}
			}
		}
	}
	for _, why := range slices.Sorted(maps.Keys(skipped)) {
		t.Logf("not compared, %s: %s", why, strings.Join(skipped[why], " "))
	}
	if len(excused) > 0 {
		t.Logf("libseccomp %s is at fault on %d inputs (it contradicts its documentation, its own PFC listing, or its other layout), where %s is right:\n%s",
			libVersion(), len(excused), cand.name, strings.Join(excused[:min(len(excused), 10)], "\n"))
	}
	if len(selfDiff) > 0 {
		t.Errorf("the two interpreters disagree on %s's program:\n%s", cand.name, strings.Join(selfDiff, "\n"))
	}
	if len(diffs) > 0 {
		// Name every call that differs, then show a few inputs of each.
		var b strings.Builder
		perCall := map[string]int{}
		var calls []string
		for _, d := range diffs {
			k := fmt.Sprintf("%s/%d", d.arch.label, d.in.nr)
			if perCall[k] == 0 {
				calls = append(calls, k)
			}
			perCall[k]++
		}
		fmt.Fprintf(&b, "%s differs from libseccomp %s on %d of %d inputs, in %d calls (arch/nr): %s",
			cand.name, libVersion(), len(diffs), runs, len(calls), strings.Join(calls, " "))
		shown, seen := 0, map[string]int{}
		for _, d := range diffs {
			k := fmt.Sprintf("%s/%d", d.arch.label, d.in.nr)
			if seen[k] == 3 || shown == 40 {
				continue
			}
			seen[k]++
			shown++
			fmt.Fprintf(&b, "\n%s: %s %s (0x%08x), libseccomp %s (0x%08x)%s",
				describeInput(d.arch, d.in), cand.name, fmtAction(d.cand), d.cand, fmtAction(d.oracle), d.oracle, rulesFor(s, native, d.arch, d.in.nr))
		}
		if shown < len(diffs) {
			fmt.Fprintf(&b, "\n... and %d more inputs", len(diffs)-shown)
		}
		t.Error(b.String())
	}
	return runs
}

// describeInput says which call an input is, by name where the table has one.
func describeInput(pa probeArch, in input) string {
	var b strings.Builder
	fmt.Fprintf(&b, "arch %s (0x%08x) nr %d", pa.label, in.arch, in.nr)
	if name, ok := systab.SyscallName(pa.sysArch, int(in.nr)); ok {
		fmt.Fprintf(&b, " (%s)", name)
	}
	if in.args != [6]uint64{} {
		fmt.Fprintf(&b, " args [%#x %#x %#x %#x %#x %#x]", in.args[0], in.args[1], in.args[2], in.args[3], in.args[4], in.args[5])
	}
	return b.String()
}

// rulesFor lists the profile's rules that name the call, for the reader of a
// failure.
func rulesFor(s *schema.ResolvedSeccomp, native string, pa probeArch, nr int32) string {
	if !slices.Contains(targetArches(s, native), pa.sysArch) {
		return " [foreign arch: bad-arch action]"
	}
	name, ok := systab.SyscallName(pa.sysArch, int(nr))
	if !ok {
		return fmt.Sprintf(" [no syscall %d on %s; default %s]", nr, pa.label, s.DefaultAction)
	}
	var parts []string
	for i, r := range s.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		p := fmt.Sprintf("rule %d %s", i, r.Action)
		if r.ErrnoRet != nil {
			p += fmt.Sprintf("(%d)", *r.ErrnoRet)
		}
		for _, a := range r.Args {
			p += fmt.Sprintf(" arg%d %s %#x", a.Index, strings.TrimPrefix(a.Op, "SCMP_CMP_"), a.Value)
			if a.Op == "SCMP_CMP_MASKED_EQ" {
				p += fmt.Sprintf(" %#x", a.ValueTwo)
			}
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return fmt.Sprintf(" [no rule names %s; default %s]", name, s.DefaultAction)
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// documented is the verdict libseccomp's documentation and runc's conversion
// give for a call, when that is unambiguous: a rule matches when all its
// conditions hold (after runc split conditions on a repeated argument into
// one rule each and dropped rules whose action is the default), comparing
// the full 64-bit argument on a 64-bit arch and the low halves of argument
// and rule value on a 32-bit one; no matching rule means the default action,
// and rules that match with one action mean that action. Several matching
// actions are left to libseccomp (ok false).
func documented(s *schema.ResolvedSeccomp, native string, pa probeArch, in input) (uint32, bool) {
	arch, ok := systab.LookupArch(pa.sysArch)
	// A call of an arch outside the filter meets the bad-arch action,
	// which is not documented's business.
	if !ok || !slices.Contains(targetArches(s, native), arch.Name) {
		return 0, false
	}
	name, ok := systab.SyscallName(pa.sysArch, int(in.nr))
	if !ok {
		return 0, false
	}
	def, ok := retValue(s.DefaultAction, s.DefaultErrnoRet)
	if !ok {
		return 0, false
	}
	acts := map[uint32]bool{}
	for _, r := range s.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		act, ok := retValue(r.Action, r.ErrnoRet)
		if !ok {
			return 0, false
		}
		if act == def {
			continue
		}
		var perIndex [6]int
		for _, a := range r.Args {
			if a.Index >= 6 {
				return 0, false
			}
			perIndex[a.Index]++
		}
		split := slices.ContainsFunc(perIndex[:], func(n int) bool { return n > 1 })
		matched := !split || len(r.Args) == 0
		for _, a := range r.Args {
			v := in.args[a.Index]
			if arch.Bits == 32 {
				// libseccomp keeps a 32-bit arch's datum in 32 bits
				// (its PFC export shows the truncated value).
				v &= math.MaxUint32
				a.Value &= math.MaxUint32
				a.ValueTwo &= math.MaxUint32
			}
			m := argMatches(a, v)
			if split {
				matched = matched || m
			} else {
				matched = matched && m
			}
		}
		if matched {
			acts[act] = true
		}
	}
	switch len(acts) {
	case 0:
		return def, true
	case 1:
		for a := range acts {
			return a, true
		}
	}
	return 0, false
}

func argMatches(a schema.Arg, v uint64) bool {
	switch a.Op {
	case "SCMP_CMP_NE":
		return v != a.Value
	case "SCMP_CMP_LT":
		return v < a.Value
	case "SCMP_CMP_LE":
		return v <= a.Value
	case "SCMP_CMP_EQ":
		return v == a.Value
	case "SCMP_CMP_GE":
		return v >= a.Value
	case "SCMP_CMP_GT":
		return v > a.Value
	case "SCMP_CMP_MASKED_EQ":
		// seccomp_rule_add(3): "the masked argument value is equal to
		// the masked datum value"; libseccomp masks the datum too.
		return v&a.Value == a.ValueTwo&a.Value
	}
	return false
}

// retValue is the kernel's return value for an OCI action as runc converts
// it (ERRNO and TRACE without errnoRet mean EPERM).
func retValue(action string, errnoRet *uint) (uint32, bool) {
	data := uint32(errEPERM)
	if errnoRet != nil {
		data = uint32(*errnoRet) & 0xffff
	}
	switch action {
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return actKillThread, true
	case "SCMP_ACT_KILL_PROCESS":
		return actKillProcess, true
	case "SCMP_ACT_TRAP":
		return actTrap, true
	case "SCMP_ACT_ERRNO":
		return actErrno | data, true
	case "SCMP_ACT_TRACE":
		return actTrace | data, true
	case "SCMP_ACT_LOG":
		return actLog, true
	case "SCMP_ACT_NOTIFY":
		return actUserNotif, true
	case "SCMP_ACT_ALLOW":
		return actAllow, true
	}
	return 0, false
}
