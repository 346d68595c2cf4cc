package compiler

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/compilertest"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// probes lists the inputs the differential harness tries for ir: every
// number Verify tries on every target audit value and a foreign one, and
// boundary arguments for every syscall whose verdict depends on them.
func probes(ir *IR) []SeccompData {
	var out []SeccompData
	var audits []uint32
	for _, a := range ir.Arches {
		if !slices.Contains(audits, a.Arch.Audit) {
			audits = append(audits, a.Arch.Audit)
		}
	}
	audits = append(audits, 0x40000028 /* arm */, 0)
	for _, audit := range audits {
		for _, nr := range verifyNumbers(ir) {
			out = append(out, SeccompData{Nr: int32(nr), Arch: audit})
		}
	}
	for _, a := range ir.Arches {
		for _, sc := range a.Syscalls {
			if len(sc.Rules) == 0 {
				continue
			}
			for _, args := range boundaryArgs(sc) {
				out = append(out, SeccompData{Nr: int32(sc.Nr), Arch: a.Arch.Audit, Args: args})
			}
		}
	}
	return out
}

// differential compiles s with and without optimisation and checks that
// both programs and the IR agree on every probe. It returns false when s
// is refused (both lowerings must refuse it alike).
func differential(t testing.TB, s *schema.ResolvedSeccomp, native string) bool {
	t.Helper()
	opt, err1 := CompileSeccomp(s, native, Options{NoVerify: true})
	plain, err2 := CompileSeccomp(s, native, Options{NoVerify: true, NoOptimize: true})
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("optimised error %v, plain error %v", err1, err2)
	}
	if err1 != nil {
		if _, err := BuildIR(s, native); err == nil {
			// Only a program past 4096 instructions may fail after
			// the IR was built.
			t.Logf("refused: %v", err1)
		}
		return false
	}
	mo, err := bpf.NewMachine(fromPlan(opt.Instructions))
	if err != nil {
		t.Fatal(err)
	}
	mp, err := bpf.NewMachine(fromPlan(plain.Instructions))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range probes(opt.IR) {
		want := opt.IR.Evaluate(d)
		a, na, err := mo.Run(bpf.Data(d))
		if err != nil {
			t.Fatalf("optimised program on %+v: %v", d, err)
		}
		b, nb, err := mp.Run(bpf.Data(d))
		if err != nil {
			t.Fatalf("plain program on %+v: %v", d, err)
		}
		if a != want.Action || b != want.Action {
			t.Fatalf("nr %d arch %#x args %#x: optimised %s, plain %s, IR %s (rule %d)\n%s",
				d.Nr, d.Arch, d.Args, ActionString(a), ActionString(b), ActionString(want.Action), want.Rule,
				Disassemble(opt.Instructions, s.Architectures))
		}
		if na > nb+8 {
			// The tree may run a few more instructions than the
			// linear chain only for the first syscalls of the chain.
			if d.Nr > 8 && d.Nr < 1024 && len(plain.Instructions) > 64 && na > 40 {
				t.Errorf("nr %d: optimised ran %d instructions, plain %d", d.Nr, na, nb)
			}
		}
	}
	// The kernel's action cache must serve every syscall allowed whatever
	// its arguments: the tree keeps argument loads off their paths.
	for _, a := range opt.IR.Arches {
		var want []int
		for n := int(a.Arch.NrBits); n <= cacheTop(a.Arch); n++ {
			if !a.Claims(uint32(n)) {
				continue
			}
			sc := a.Syscall(uint32(n))
			if (sc == nil && a.Default == RetAllow) || (sc != nil && len(sc.Rules) == 0 && sc.Else.Action == RetAllow) {
				want = append(want, n)
			}
		}
		// The optimiser may prove more (a rule "arg >= 0" always holds),
		// so the cache may serve more, but only what the IR allows.
		got := CacheableSyscalls(opt.Instructions, a.Arch)
		served := make(map[int]bool, len(got))
		for _, n := range got {
			served[n] = true
		}
		for _, n := range want {
			if !served[n] {
				t.Fatalf("%s: the action cache does not serve nr %d, allowed whatever its arguments", a.Arch.Name, n)
			}
		}
		for _, n := range got {
			if v := opt.IR.Evaluate(SeccompData{Nr: int32(n), Arch: a.Arch.Audit}); v.Action != RetAllow {
				t.Fatalf("%s: the action cache serves nr %d, which the IR does not allow", a.Arch.Name, n)
			}
		}
	}
	// The passes ran to their fixpoint: running them again on the
	// assembled program (trampolines and all) changes nothing.
	lifted, err := bpf.Lift(fromPlan(opt.Instructions))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := bpf.Assemble(bpf.Optimize(lifted)); err != nil || !slices.Equal(toPlan(again), opt.Instructions) {
		t.Fatalf("optimising the compiled program again changes it (err %v)", err)
	}
	if err := Verify(s, opt); err != nil {
		t.Fatalf("verify optimised: %v", err)
	}
	if err := Verify(s, plain); err != nil {
		t.Fatalf("verify plain: %v", err)
	}
	return true
}

func u(v uint) *uint { return &v }

// diffTable exercises every feature the compiler has.
func diffTable() map[string]struct {
	s      *schema.ResolvedSeccomp
	native string
} {
	allow := func(names ...string) schema.SyscallRule {
		return schema.SyscallRule{Names: names, Action: "SCMP_ACT_ALLOW"}
	}
	cond := func(action string, name string, args ...schema.Arg) schema.SyscallRule {
		return schema.SyscallRule{Names: []string{name}, Action: action, Args: args}
	}
	arg := func(i uint, op string, v, v2 uint64) schema.Arg {
		return schema.Arg{Index: i, Op: op, Value: v, ValueTwo: v2}
	}
	ops := []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT"}
	var everyOp []schema.SyscallRule
	for i, op := range ops {
		for _, v := range []uint64{0, 5, 0xffffffff, 1 << 32, 0x100000005, math.MaxUint64} {
			everyOp = append(everyOp, cond("SCMP_ACT_ALLOW", systab.SyscallNames("SCMP_ARCH_X86_64")[i*6+int(v%6)], arg(uint(i%6), op, v, 0)))
		}
	}
	out := map[string]struct {
		s      *schema.ResolvedSeccomp
		native string
	}{
		"docker-default-x86_64":   {compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1"), "SCMP_ARCH_X86_64"},
		"docker-default-sysadmin": {compilertest.DockerDefault("x86_64", append(compilertest.DockerDefaultCaps(), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), "4.4"), "SCMP_ARCH_X86_64"},
		"docker-default-arm64":    {compilertest.DockerDefault("arm64", compilertest.DockerDefaultCaps(), "6.1"), "SCMP_ARCH_AARCH64"},
		"docker-default-s390x":    {compilertest.DockerDefault("s390x", compilertest.DockerDefaultCaps(), "6.1"), "SCMP_ARCH_S390X"},
		"every-op":                {&schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ERRNO", Architectures: []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}, Syscalls: everyOp}, "SCMP_ARCH_X86_64"},
		"precedence": {&schema.ResolvedSeccomp{
			DefaultAction: "SCMP_ACT_KILL_PROCESS",
			Syscalls: []schema.SyscallRule{
				cond("SCMP_ACT_ERRNO", "read", arg(0, "SCMP_CMP_EQ", 3, 0)),
				allow("read"), // unconditional after conditional: replaces it
				allow("write"),
				cond("SCMP_ACT_ERRNO", "write", arg(0, "SCMP_CMP_EQ", 3, 0)), // ignored
				cond("SCMP_ACT_ALLOW", "kill", arg(0, "SCMP_CMP_EQ", 1, 0)),
				cond("SCMP_ACT_TRAP", "kill", arg(1, "SCMP_CMP_EQ", 9, 0)),
				cond("SCMP_ACT_LOG", "kill", arg(0, "SCMP_CMP_GT", 100, 0), arg(1, "SCMP_CMP_LE", 15, 0)),
				{Names: []string{"tgkill"}, Action: "SCMP_ACT_ALLOW", Args: []schema.Arg{arg(2, "SCMP_CMP_EQ", 1, 0), arg(2, "SCMP_CMP_EQ", 2, 0)}},
				cond("SCMP_ACT_KILL_PROCESS", "exit"), // the default: skipped
				cond("SCMP_ACT_ALLOW", "clone", arg(0, "SCMP_CMP_MASKED_EQ", 0x7e020000, 0)),
				cond("SCMP_ACT_ALLOW", "openat", arg(2, "SCMP_CMP_MASKED_EQ", 0xffffffff00000003, 0x1000000ff)),
				cond("SCMP_ACT_ALLOW", "close", arg(0, "SCMP_CMP_MASKED_EQ", 0, 0)), // empty mask: unconditional
				{Names: []string{"mkdir", "no_such_syscall"}, Action: "SCMP_ACT_TRACE"},
				{Names: []string{"rmdir"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(70000)},
				{Names: []string{"socket", "accept", "semop", "shmat", "recvmmsg"}, Action: "SCMP_ACT_NOTIFY", Args: []schema.Arg{arg(0, "SCMP_CMP_NE", 2, 0), arg(1, "SCMP_CMP_EQ", 1, 0)}},
				{Names: []string{"bind", "semget"}, Action: "SCMP_ACT_ALLOW"},
			},
			Architectures: []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"},
		}, "SCMP_ARCH_X86_64"},
		"x32-only":      {&schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ALLOW", DefaultErrnoRet: u(5), Syscalls: []schema.SyscallRule{{Names: []string{"read"}, Action: "SCMP_ACT_ERRNO"}}}, "SCMP_ARCH_X32"},
		"default-trace": {&schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_TRACE", DefaultErrnoRet: u(9), Architectures: []string{"SCMP_ARCH_X32"}, Syscalls: []schema.SyscallRule{allow("read", "write")}}, "SCMP_ARCH_X86_64"},
	}
	return out
}

func TestDifferentialTable(t *testing.T) {
	for name, c := range diffTable() {
		t.Run(name, func(t *testing.T) {
			if !differential(t, c.s, c.native) {
				t.Fatal("refused")
			}
		})
	}
}

// fuzzProfile decodes bytes into a profile over a small vocabulary chosen
// to collide: a few syscalls (with i386's multiplexed ones and an unknown
// name), every action and op, and boundary values.
func fuzzProfile(data []byte) (*schema.ResolvedSeccomp, string) {
	pos := 0
	next := func(n int) int {
		if pos >= len(data) {
			return 0
		}
		b := int(data[pos])
		pos++
		return b % n
	}
	names := []string{"read", "write", "openat", "socket", "accept", "kill", "personality", "clone", "semop", "ipc", "socketcall", "mmap", "no_such_syscall", "recvmmsg", "bind"}
	actions := []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
	ops := []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
	values := []uint64{0, 1, 2, 3, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 0x100000001, 1 << 63, math.MaxUint64}
	value := func() uint64 {
		if next(4) == 0 && pos+8 <= len(data) {
			v := binary.LittleEndian.Uint64(data[pos:])
			pos += 8
			return v
		}
		return values[next(len(values))]
	}
	archSets := [][]string{nil, {"SCMP_ARCH_X86"}, {"SCMP_ARCH_X32"}, {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}, {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}}
	natives := []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64", "SCMP_ARCH_S390X", "SCMP_ARCH_X32"}
	native := natives[next(len(natives))]
	s := &schema.ResolvedSeccomp{
		Enabled:       true,
		DefaultAction: actions[next(len(actions))],
		Architectures: archSets[next(len(archSets))],
	}
	switch native {
	case "SCMP_ARCH_AARCH64":
		s.Architectures = []string{"SCMP_ARCH_ARM"}[:next(2)]
	case "SCMP_ARCH_S390X": // big-endian: the halves of an argument swap places
		s.Architectures = nil
	}
	if next(2) == 0 {
		s.DefaultErrnoRet = u(uint(next(200)))
	}
	for range next(12) {
		r := schema.SyscallRule{Action: actions[next(len(actions))]}
		for range 1 + next(3) {
			r.Names = append(r.Names, names[next(len(names))])
		}
		if next(3) == 0 {
			r.ErrnoRet = u(uint(next(300)))
		}
		for range next(4) {
			r.Args = append(r.Args, schema.Arg{Index: uint(next(6)), Op: ops[next(len(ops))], Value: value(), ValueTwo: value()})
		}
		s.Syscalls = append(s.Syscalls, r)
	}
	return s, native
}

func FuzzCompile(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, native := fuzzProfile(data)
		differential(t, s, native)
	})
}
