package compiler

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/compilertest"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	auditX86_64 = 0xc000003e
	auditI386   = 0x40000003
)

func TestActionValue(t *testing.T) {
	for _, c := range []struct {
		action   string
		errno    *uint
		defErrno *uint
		want     uint32
	}{
		{"SCMP_ACT_ALLOW", nil, nil, 0x7fff0000},
		{"SCMP_ACT_ERRNO", nil, nil, 0x00050001},
		{"SCMP_ACT_ERRNO", u(38), nil, 0x00050026},
		{"SCMP_ACT_ERRNO", nil, u(13), 0x0005000d},
		{"SCMP_ACT_ERRNO", u(2), u(13), 0x00050002},
		{"SCMP_ACT_ERRNO", u(70000), nil, 0x00050000 | 70000&0xffff},
		{"SCMP_ACT_TRACE", nil, nil, 0x7ff00001},
		{"SCMP_ACT_TRACE", u(42), nil, 0x7ff0002a},
		{"SCMP_ACT_TRAP", u(3), nil, 0x00030000},
		{"SCMP_ACT_KILL", nil, nil, 0},
		{"SCMP_ACT_KILL_THREAD", nil, nil, 0},
		{"SCMP_ACT_KILL_PROCESS", nil, nil, 0x80000000},
		{"SCMP_ACT_LOG", nil, nil, 0x7ffc0000},
		{"SCMP_ACT_NOTIFY", nil, nil, 0x7fc00000},
	} {
		got, err := ActionValue(c.action, c.errno, c.defErrno)
		if err != nil || got != c.want {
			t.Errorf("ActionValue(%s, %v, %v) = %#x, %v; want %#x", c.action, c.errno, c.defErrno, got, err, c.want)
		}
	}
	if _, err := ActionValue("SCMP_ACT_BOGUS", nil, nil); err == nil {
		t.Error("unknown action: no error")
	}
}

func nr(t *testing.T, arch, name string) int32 {
	t.Helper()
	n, ok := systab.SyscallNumber(arch, name)
	if !ok {
		t.Fatalf("no %s on %s", name, arch)
	}
	return int32(n)
}

// TestSemantics pins the decisions taken from libseccomp and runc, each
// checked on the IR, the optimised program and the plain one.
func TestSemantics(t *testing.T) {
	s := diffTable()["precedence"].s
	x := func(name string) int32 { return nr(t, "SCMP_ARCH_X86_64", name) }
	i := func(name string) int32 { return nr(t, "SCMP_ARCH_X86", name) }
	type in struct {
		nr   int32
		arch uint32
		args [6]uint64
	}
	for _, c := range []struct {
		what string
		in   in
		want uint32
		rule int
	}{
		{"an unconditional rule replaces earlier conditional ones", in{x("read"), auditX86_64, [6]uint64{3}}, RetAllow, 1},
		{"a conditional rule after an unconditional one is ignored", in{x("write"), auditX86_64, [6]uint64{3}}, RetAllow, 2},
		{"conditional rules: the higher argument is tested first", in{x("kill"), auditX86_64, [6]uint64{1, 9}}, RetTrap, 5},
		{"conditional rule on arg 0", in{x("kill"), auditX86_64, [6]uint64{1, 8}}, RetAllow, 4},
		{"two conditions are a conjunction", in{x("kill"), auditX86_64, [6]uint64{101, 15}}, RetLog, 6},
		{"conjunction half true", in{x("kill"), auditX86_64, [6]uint64{101, 16}}, 0x80000000, -1},
		{"runc splits conditions on one argument into alternatives", in{x("tgkill"), auditX86_64, [6]uint64{0, 0, 2}}, RetAllow, 7},
		{"MASKED_EQ", in{x("clone"), auditX86_64, [6]uint64{0x10000}}, RetAllow, 9},
		{"MASKED_EQ miss", in{x("clone"), auditX86_64, [6]uint64{0x20000}}, 0x80000000, -1},
		{"MASKED_EQ compares valueTwo masked, both halves", in{x("openat"), auditX86_64, [6]uint64{0, 0, 0x100000003}}, RetAllow, 10},
		{"MASKED_EQ high half differs", in{x("openat"), auditX86_64, [6]uint64{0, 0, 0x200000003}}, 0x80000000, -1},
		{"MASKED_EQ on i386 sees the low half only", in{i("openat"), auditI386, [6]uint64{0, 0, 0x3}}, RetAllow, 10},
		{"MASKED_EQ with an empty mask is unconditional", in{x("close"), auditX86_64, [6]uint64{77}}, RetAllow, 11},
		{"TRACE without errnoRet carries EPERM", in{x("mkdir"), auditX86_64, [6]uint64{}}, RetTrace | 1, 12},
		{"errno keeps 16 bits", in{x("rmdir"), auditX86_64, [6]uint64{}}, RetErrno | 70000&0xffff, 13},
		{"socket on i386 via socketcall", in{i("socketcall"), auditI386, [6]uint64{1, 1}}, RetUserNotif, 14},
		{"socketcall argument 0 is the call, the rule's own arg 0 condition is dropped", in{i("socketcall"), auditI386, [6]uint64{5, 1}}, RetUserNotif, 14},
		{"socketcall with another call", in{i("socketcall"), auditI386, [6]uint64{4, 1}}, 0x80000000, -1},
		{"direct socket on i386 keeps the rule", in{i("socket"), auditI386, [6]uint64{2, 1}}, 0x80000000, -1},
		{"direct socket on i386 matches", in{i("socket"), auditI386, [6]uint64{3, 1}}, RetUserNotif, 14},
		{"semop via ipc", in{i("ipc"), auditI386, [6]uint64{1, 1}}, RetUserNotif, 14},
		{"shmat via ipc", in{i("ipc"), auditI386, [6]uint64{21, 1}}, RetUserNotif, 14},
		{"unconditional bind becomes a socketcall condition", in{i("socketcall"), auditI386, [6]uint64{2}}, RetAllow, 15},
		{"unconditional semget through ipc", in{i("ipc"), auditI386, [6]uint64{2}}, RetAllow, 15},
		{"recvmmsg has a direct number on i386, no socketcall rule", in{i("socketcall"), auditI386, [6]uint64{19, 1}}, 0x80000000, -1},
		{"x32 numbers without x32 target: bad arch", in{x("read") | 0x40000000, auditX86_64, [6]uint64{}}, RetKillProcess, -1},
		{"nr -1 on x86_64: default", in{-1, auditX86_64, [6]uint64{}}, 0x80000000, -1},
		{"foreign arch", in{0, 0xc00000b7, [6]uint64{}}, RetKillProcess, -1},
	} {
		d := SeccompData{Nr: c.in.nr, Arch: c.in.arch, Args: c.in.args}
		for _, o := range []Options{{}, {NoOptimize: true}} {
			p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", o)
			if err != nil {
				t.Fatal(err)
			}
			v := p.IR.Evaluate(d)
			if v.Action != c.want || v.Rule != c.rule {
				t.Errorf("%s: IR says %s (rule %d), want %s (rule %d)", c.what, ActionString(v.Action), v.Rule, ActionString(c.want), c.rule)
			}
			got, _, err := Run(p.Instructions, d)
			if err != nil || got != c.want {
				t.Errorf("%s (%+v): program returns %s, %v; want %s", c.what, o, ActionString(got), err, ActionString(c.want))
			}
		}
	}
}

func TestErrors(t *testing.T) {
	base := func(f func(*schema.ResolvedSeccomp)) *schema.ResolvedSeccomp {
		s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ERRNO", Syscalls: []schema.SyscallRule{{Names: []string{"read"}, Action: "SCMP_ACT_ALLOW"}}}
		f(s)
		return s
	}
	for _, c := range []struct {
		name, native, want string
		s                  *schema.ResolvedSeccomp
	}{
		{"bad default", "x86_64", "default action", base(func(s *schema.ResolvedSeccomp) { s.DefaultAction = "ALLOW" })},
		{"bad action", "x86_64", "rule 0", base(func(s *schema.ResolvedSeccomp) { s.Syscalls[0].Action = "SCMP_ACT_NOPE" })},
		{"arg index", "x86_64", "index 6", base(func(s *schema.ResolvedSeccomp) {
			s.Syscalls[0].Args = []schema.Arg{{Index: 6, Op: "SCMP_CMP_EQ"}}
		})},
		{"bad op", "x86_64", "operator", base(func(s *schema.ResolvedSeccomp) {
			s.Syscalls[0].Args = []schema.Arg{{Index: 0, Op: "SCMP_CMP_XX"}}
		})},
		{"unknown arch", "x86_64", "unknown architecture", base(func(s *schema.ResolvedSeccomp) { s.Architectures = []string{"SCMP_ARCH_VAX"} })},
		{"unknown native", "pdp11", "native", base(func(s *schema.ResolvedSeccomp) {})},
		{"byte order", "x86_64", "byte order", base(func(s *schema.ResolvedSeccomp) { s.Architectures = []string{"SCMP_ARCH_S390X"} })},
		{"conflict", "x86_64", "EEXIST", base(func(s *schema.ResolvedSeccomp) {
			a := []schema.Arg{{Index: 0, Op: "SCMP_CMP_EQ", Value: 1}}
			s.Syscalls = []schema.SyscallRule{{Names: []string{"read"}, Action: "SCMP_ACT_ALLOW", Args: a}, {Names: []string{"read"}, Action: "SCMP_ACT_TRAP", Args: a}}
		})},
	} {
		_, err := CompileSeccomp(c.s, c.native, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
	if _, err := Compile(nil, Options{}); err == nil {
		t.Error("nil profile: no error")
	}
	if _, err := CompileSeccomp(nil, "x86_64", Options{}); err == nil {
		t.Error("nil seccomp: no error")
	}
	r := resolved(base(func(*schema.ResolvedSeccomp) {}))
	r.Target.Arch = ""
	if _, err := Compile(r, Options{}); err == nil || !strings.Contains(err.Error(), "target architecture") {
		t.Errorf("no target arch: err = %v", err)
	}
	if err := Verify(nil, nil); err == nil {
		t.Error("verify nil program: no error")
	}
	// A program that is not the IR's must fail verification.
	p, err := CompileSeccomp(base(func(*schema.ResolvedSeccomp) {}), "x86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := *p
	bad.Instructions = []plan.Instruction{{Code: bpf.RetK, K: RetAllow}}
	if err := Verify(nil, &bad); err == nil || !strings.Contains(err.Error(), "IR says") {
		t.Errorf("verify of an allow-all program against a deny-by-default IR: err = %v", err)
	}
	if _, _, err := Run([]plan.Instruction{{Code: bpf.LdAbsW, K: 3}}, SeccompData{}); err == nil {
		t.Error("run of an invalid program: no error")
	}
	if got := CacheableSyscalls([]plan.Instruction{{Code: bpf.LdAbsW}}, systab.NativeArch()); got != nil {
		t.Errorf("cacheable syscalls of an invalid program = %v", got)
	}
	if _, err := Decode([]byte{1, 2, 3}); err == nil {
		t.Error("decode of 3 bytes: no error")
	}
	// Disassembling garbage must not panic.
	_ = Disassemble([]plan.Instruction{{Code: bpf.JeqK, Jt: 200, Jf: 9}, {Code: bpf.JmpA, K: 1 << 30}, {Code: 0xffff}}, []string{"x86_64", "nonsense"})
}

func TestEmptyProfile(t *testing.T) {
	for _, def := range []string{"SCMP_ACT_ALLOW", "SCMP_ACT_KILL_PROCESS"} {
		s := &schema.ResolvedSeccomp{DefaultAction: def, Architectures: []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}
		if !differential(t, s, "SCMP_ARCH_X86_64") {
			t.Fatalf("%s: refused", def)
		}
	}
}

func TestDeterministic(t *testing.T) {
	r := resolved(compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1"))
	var outs [][]byte
	for range 3 {
		p, err := Compile(r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
		t.Fatal("two compiles of one profile differ")
	}
}

func resolved(s *schema.ResolvedSeccomp) *schema.Resolved {
	s.Enabled = true
	return &schema.Resolved{Name: "t", Target: schema.Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}, Seccomp: *s}
}

// manyRules returns n rules on distinct syscalls with two conditions on
// different arguments each, so nothing merges.
func manyRules(n int) *schema.ResolvedSeccomp {
	names := systab.SyscallNames("SCMP_ARCH_X86_64")
	s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ERRNO"}
	for i := range n {
		s.Syscalls = append(s.Syscalls, schema.SyscallRule{
			Names:  []string{names[i%len(names)]},
			Action: "SCMP_ACT_ALLOW",
			Args:   []schema.Arg{{Index: uint(i % 5), Op: "SCMP_CMP_GT", Value: uint64(i) << 20}, {Index: 5, Op: "SCMP_CMP_NE", Value: uint64(i)}},
		})
	}
	return s
}

func TestFarJumps(t *testing.T) {
	s := manyRules(120)
	p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Instructions) < 600 {
		t.Fatalf("program has %d instructions; the test needs one past 255-instruction reach", len(p.Instructions))
	}
	far := false
	for pc, in := range p.Instructions {
		if in.Code == bpf.JmpA && in.K > 255 {
			far = true
		}
		if bpf.IsCondJump(in.Code) && (pc+1+int(in.Jt) >= len(p.Instructions) || pc+1+int(in.Jf) >= len(p.Instructions)) {
			t.Fatalf("instruction %d jumps out of the program", pc)
		}
	}
	if !far {
		t.Fatal("no jump past 255 instructions: the trampolines went untested")
	}
	if !differential(t, s, "SCMP_ARCH_X86_64") {
		t.Fatal("refused")
	}
}

func TestTooLong(t *testing.T) {
	// One syscall with many rules must be refused quickly, not compared
	// pairwise.
	one := manyRules(0)
	for i := range 200000 {
		one.Syscalls = append(one.Syscalls, schema.SyscallRule{Names: []string{"read"}, Action: "SCMP_ACT_ALLOW",
			Args: []schema.Arg{{Index: 0, Op: "SCMP_CMP_EQ", Value: uint64(i)}}})
	}
	if _, err := CompileSeccomp(one, "SCMP_ARCH_X86_64", Options{}); err == nil || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("200000 rules on read: err = %v", err)
	}
	for _, n := range []int{1500, 60000} { // past the limit; far past it
		for _, o := range []Options{{}, {NoOptimize: true}} {
			_, err := CompileSeccomp(manyRules(n), "SCMP_ARCH_X86_64", o)
			if err == nil || !strings.Contains(err.Error(), "4096") {
				t.Fatalf("%d rules %+v: err = %v, want a refusal past 4096 instructions", n, o, err)
			}
		}
	}
}

func loadSeccomp(t *testing.T, path string) *schema.ResolvedSeccomp {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s schema.ResolvedSeccomp
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestGoldenDisasm pins the listing of a small profile; -update rewrites
// it. Compiling again, and optimising the compiled program again, must
// change nothing (the passes are at their fixpoint).
func TestGoldenDisasm(t *testing.T) {
	dir := filepath.Join("..", "testdata", "compiler")
	s := loadSeccomp(t, filepath.Join(dir, "small.json"))
	p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := Disassemble(p.Instructions, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"})
	golden := filepath.Join(dir, "small.disasm")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("disassembly differs from %s (-want +got):\n%s", golden, d)
	}
	for _, name := range []string{"read", "openat", "kill", "ptrace", "L"} {
		if !strings.Contains(got, name) {
			t.Errorf("listing lacks %q", name)
		}
	}
	again, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Instructions, p.Instructions) {
		t.Error("second compile differs")
	}
	lifted, err := bpf.Lift(fromPlan(p.Instructions))
	if err != nil {
		t.Fatal(err)
	}
	re, err := bpf.Assemble(bpf.Optimize(lifted))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(toPlan(re), p.Instructions) {
		t.Error("optimising the compiled program again changes it")
	}
}

// TestActionCache checks on Docker's default that exactly the syscalls
// allowed whatever their arguments are served by the kernel's cache.
func TestActionCache(t *testing.T) {
	s := compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1")
	p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, archName := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"} {
		arch, _ := systab.LookupArch(archName)
		a := p.IR.Lookup(archName)
		var want []int
		for n := 0; n <= systab.MaxSyscall(archName); n++ {
			sc := a.Syscall(uint32(n))
			if sc != nil && len(sc.Rules) == 0 && sc.Else.Action == RetAllow {
				want = append(want, n)
			}
		}
		got := CacheableSyscalls(p.Instructions, arch)
		if len(want) < 250 {
			t.Fatalf("%s: only %d unconditionally allowed syscalls; the profile did not load", archName, len(want))
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: cacheable syscalls differ from unconditionally allowed ones (-want +got):\n%s", archName, d)
		}
	}
	// The linear lowering loads arguments only behind JEQs as well, so the
	// emulation must agree; a program that loads an argument first is
	// never cacheable.
	loadsArg := []plan.Instruction{{Code: bpf.LdAbsW, K: 16}, {Code: bpf.RetK, K: RetAllow}}
	if got := CacheableSyscalls(loadsArg, systab.NativeArch()); len(got) != 0 {
		t.Errorf("argument load first: %d cacheable, want 0", len(got))
	}
}

func TestCompilePlan(t *testing.T) {
	mem, pids := int64(1<<30), int64(64)
	w := uint64(100)
	r := resolved(compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1"))
	r.Capabilities = schema.CapSets{Bounding: []string{"CAP_CHOWN"}, Effective: []string{"CAP_CHOWN"}}
	r.Namespaces = schema.Namespaces{
		User: &schema.UserNS{Enabled: true, UIDMap: []schema.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}},
		PID:  &schema.NS{Enabled: true}, Net: &schema.NS{Enabled: false},
		UTS: &schema.UTSNS{Enabled: true, Hostname: "box"},
	}
	r.Cgroups = schema.Cgroups{Memory: &schema.MemoryLimits{Max: &mem}, Pids: &schema.PidsLimits{Max: &pids}, IO: &schema.IOLimits{Weight: &w}}
	r.Rlimits = map[string]schema.Rlimit{"nproc": {Soft: 10, Hard: 20}, "nofile": {Soft: 1024, Hard: 4096}}
	r.NoNewPrivileges = true
	r.User = &schema.User{UID: 1000, GID: 1000, Groups: []uint32{10}}
	p, err := Compile(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != plan.Version || !strings.HasPrefix(p.ProfileDigest, "sha256:") || len(p.ProfileDigest) != 71 {
		t.Errorf("version %d digest %q", p.Version, p.ProfileDigest)
	}
	if p.Arch != "SCMP_ARCH_X86_64" || p.Name != "t" || !p.NoNewPrivileges {
		t.Errorf("header: %+v", p)
	}
	if p.Seccomp == nil || len(p.Seccomp.Program) == 0 || p.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" ||
		!slices.Equal(p.Seccomp.Architectures, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}) {
		t.Errorf("seccomp: %+v", p.Seccomp)
	}
	wantNS := plan.Namespaces{User: true, PID: true, UTS: true, Hostname: "box", UIDMap: []plan.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}}
	if d := cmp.Diff(wantNS, p.Namespaces); d != "" {
		t.Errorf("namespaces (-want +got):\n%s", d)
	}
	if p.Cgroup == nil || *p.Cgroup.MemoryMax != mem || *p.Cgroup.PidsMax != pids || *p.Cgroup.IOWeight != w || p.Cgroup.CPUMax != nil {
		t.Errorf("cgroup: %+v", p.Cgroup)
	}
	mem++
	if *p.Cgroup.MemoryMax == mem {
		t.Error("plan shares memory with the profile")
	}
	if d := cmp.Diff([]plan.Rlimit{{Name: "nofile", Soft: 1024, Hard: 4096}, {Name: "nproc", Soft: 10, Hard: 20}}, p.Rlimits); d != "" {
		t.Errorf("rlimits (-want +got):\n%s", d)
	}
	if p.User == nil || p.User.UID != 1000 || !slices.Equal(p.User.Groups, []uint32{10}) {
		t.Errorf("user: %+v", p.User)
	}
	if !slices.Equal(p.Capabilities.Bounding, []string{"CAP_CHOWN"}) || p.Capabilities.Ambient == nil {
		t.Errorf("capabilities: %+v", p.Capabilities)
	}
	// Another profile, another digest; no seccomp section, no filter;
	// no limits, no cgroup.
	r2 := *r
	r2.Seccomp = schema.ResolvedSeccomp{}
	r2.Cgroups = schema.Cgroups{}
	p2, err := Compile(&r2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Seccomp != nil || p2.Cgroup != nil || p2.ProfileDigest == p.ProfileDigest {
		t.Errorf("second plan: seccomp %v cgroup %v digest %s", p2.Seccomp, p2.Cgroup, p2.ProfileDigest)
	}
	r2.Rlimits = map[string]schema.Rlimit{"nofile": {Soft: 10, Hard: 5}}
	if _, err := Compile(&r2, Options{}); err == nil {
		t.Error("soft rlimit above hard: no error")
	}
}

func BenchmarkCompileDockerDefault(b *testing.B) {
	s := compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1")
	for _, o := range []struct {
		name string
		opts Options
	}{{"verified", Options{}}, {"no-verify", Options{NoVerify: true}}} {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", o.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLibseccompTreeQuirks pins where profilec keeps the rules' meaning
// and libseccomp 2.5.4's tree merging does not (checked against it with
// libseccomp-golang while writing this; compiler/libseccomp's profiles
// avoid these shapes). Conditions AND, rules OR.
func TestLibseccompTreeQuirks(t *testing.T) {
	a := func(i uint, op string, v uint64) schema.Arg { return schema.Arg{Index: i, Op: op, Value: v} }
	allow := func(args ...schema.Arg) schema.SyscallRule {
		return schema.SyscallRule{Names: []string{"read"}, Action: "SCMP_ACT_ALLOW", Args: args}
	}
	for _, c := range []struct {
		what  string
		rules []schema.SyscallRule
		args  [6]uint64
		want  uint32
	}{
		// libseccomp returns KILL_PROCESS: adding the second rule stops
		// at the shared "arg0 high half > 0" node and drops its other
		// branch.
		{"a rule sharing a range prefix is kept", []schema.SyscallRule{
			allow(a(0, "SCMP_CMP_GT", 2)),
			allow(a(0, "SCMP_CMP_GT", 1), a(1, "SCMP_CMP_LT", 2)),
		}, [6]uint64{2, 0}, RetAllow},
		// libseccomp returns ALLOW: merging LE 3, GT 0x100000003 (runc
		// splits them into two rules) and LT 3 on one argument lets 4
		// through although no rule matches it.
		{"no rule, no allow", []schema.SyscallRule{
			allow(a(1, "SCMP_CMP_LE", 3), a(1, "SCMP_CMP_GT", 0x100000003)),
			allow(a(1, "SCMP_CMP_LT", 3)),
		}, [6]uint64{0, 4}, RetKillProcess},
	} {
		s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_KILL_PROCESS", Syscalls: c.rules}
		for _, o := range []Options{{}, {NoOptimize: true}} {
			p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", o)
			if err != nil {
				t.Fatal(err)
			}
			d := SeccompData{Nr: nr(t, "SCMP_ARCH_X86_64", "read"), Arch: auditX86_64, Args: c.args}
			if got, _, err := Run(p.Instructions, d); err != nil || got != c.want {
				t.Errorf("%s (%+v): %s, %v; want %s", c.what, o, ActionString(got), err, ActionString(c.want))
			}
		}
	}
}
