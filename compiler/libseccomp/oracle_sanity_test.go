//go:build cgo

package libseccomp

import (
	"fmt"

	mobyseccomp "github.com/moby/profiles/seccomp"
	"golang.org/x/sys/unix"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
)

// Audit arch values (linux/audit.h) and x86 syscall numbers, spelled out here
// rather than taken from schema/systab so the oracle's checks stand alone.
const (
	auditX86_64  = 0xc000003e
	auditI386    = 0x40000003
	auditAarch64 = 0xc00000b7
	auditArm     = 0x40000028
	x32Bit       = 0x40000000
)

// TestOracleDockerDefault pins libseccomp's reading of Docker's default
// profile on facts that hold whatever profilec does, so that a broken oracle
// or interpreter cannot make the differential tests pass vacuously.
func TestOracleDockerDefault(t *testing.T) {
	s, err := mobyDefault(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Architectures); got != 3 {
		t.Fatalf("docker default resolved for amd64 has architectures %v, want x86_64, x86, x32", s.Architectures)
	}
	for _, opt := range []optimize{optimizePriority, optimizeBinaryTree} {
		t.Run(opt.String(), func(t *testing.T) {
			prog, err := oracleProgram(s, "SCMP_ARCH_X86_64", opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkProgram(prog); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				what string
				d    input
				want uint32
			}{
				{"read on x86_64", input{nr: 0, arch: auditX86_64}, actAllow},
				{"read on x32", input{nr: x32Bit | 0, arch: auditX86_64}, actAllow},
				{"read on i386", input{nr: 3, arch: auditI386}, actAllow},
				{"kexec_load on x86_64 (no CAP_SYS_BOOT)", input{nr: 246, arch: auditX86_64}, actErrno | 1},
				{"clone3 on x86_64 (errnoRet ENOSYS)", input{nr: 435, arch: auditX86_64}, actErrno | 38},
				{"personality(0)", input{nr: 135, arch: auditX86_64}, actAllow},
				{"personality(0xffffffff)", input{nr: 135, arch: auditX86_64, args: [6]uint64{0xffffffff}}, actAllow},
				{"personality(0x1234)", input{nr: 135, arch: auditX86_64, args: [6]uint64{0x1234}}, actErrno | 1},
				{"personality(1<<32) compares both halves", input{nr: 135, arch: auditX86_64, args: [6]uint64{1 << 32}}, actErrno | 1},
				{"personality(1<<32) on i386 compares the low half", input{nr: 136, arch: auditI386, args: [6]uint64{1 << 32}}, actAllow},
				{"clone(CLONE_NEWUSER) without CAP_SYS_ADMIN", input{nr: 56, arch: auditX86_64, args: [6]uint64{0x10000000}}, actErrno | 1},
				{"clone(SIGCHLD)", input{nr: 56, arch: auditX86_64, args: [6]uint64{17}}, actAllow},
				{"foreign arch aarch64", input{nr: 63, arch: auditAarch64}, actKillProcess},
				{"foreign arch arm", input{nr: 3, arch: auditArm}, actKillProcess},
				{"syscall -1 on i386", input{nr: -1, arch: auditI386}, actErrno | 1},
				{"syscall 100000 on x86_64", input{nr: 100000, arch: auditX86_64}, actErrno | 1},
			}
			for _, c := range cases {
				tr, err := run(prog, c.d)
				if err != nil {
					t.Fatalf("%s: %v", c.what, err)
				}
				if tr.ret != c.want {
					t.Errorf("%s: libseccomp's program returns %s (0x%08x), want %s", c.what, fmtAction(tr.ret), tr.ret, fmtAction(c.want))
				}
			}
		})
	}
}

// TestOracleRuncConversion checks the runc-specific parts of the oracle:
// ERRNO and TRACE without errnoRet mean EPERM, rules equal to the default are
// dropped, unknown names are ignored, and conditions on a repeated argument
// OR instead of AND.
func TestOracleRuncConversion(t *testing.T) {
	u := func(v uint) *uint { return &v }
	s := &schema.ResolvedSeccomp{
		DefaultAction: "SCMP_ACT_ALLOW",
		Architectures: []string{"SCMP_ARCH_X86_64"},
		Syscalls: []schema.SyscallRule{
			{Names: []string{"read"}, Action: "SCMP_ACT_ERRNO"},
			{Names: []string{"write"}, Action: "SCMP_ACT_TRACE"},
			{Names: []string{"open"}, Action: "SCMP_ACT_TRACE", ErrnoRet: u(7)},
			{Names: []string{"close", "no_such_syscall"}, Action: "SCMP_ACT_ALLOW"},
			{Names: []string{"kill"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(3), Args: []schema.Arg{
				{Index: 1, Value: 9, Op: "SCMP_CMP_EQ"},
				{Index: 1, Value: 15, Op: "SCMP_CMP_EQ"},
			}},
			{Names: []string{"tkill"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(4), Args: []schema.Arg{
				{Index: 0, Value: 1, Op: "SCMP_CMP_EQ"},
				{Index: 1, Value: 9, Op: "SCMP_CMP_EQ"},
			}},
			{Names: []string{"no_such_syscall"}, Action: "SCMP_ACT_KILL"},
		},
	}
	prog, err := oracleProgram(s, "SCMP_ARCH_X86_64", optimizePriority)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		nr   int32
		args [6]uint64
		want uint32
	}{
		{0, [6]uint64{}, actErrno | 1},
		{1, [6]uint64{}, actTrace | 1},
		{2, [6]uint64{}, actTrace | 7},
		{3, [6]uint64{}, actAllow},
		{62, [6]uint64{0, 9}, actErrno | 3},
		{62, [6]uint64{0, 15}, actErrno | 3},
		{62, [6]uint64{0, 2}, actAllow},
		{200, [6]uint64{1, 9}, actErrno | 4},
		{200, [6]uint64{1, 8}, actAllow},
		{200, [6]uint64{2, 9}, actAllow},
	}
	for _, c := range cases {
		tr, err := run(prog, input{nr: c.nr, arch: auditX86_64, args: c.args})
		if err != nil {
			t.Fatal(err)
		}
		if tr.ret != c.want {
			t.Errorf("nr %d args %#x: got %s, want %s", c.nr, c.args, fmtAction(tr.ret), fmtAction(c.want))
		}
	}
}

// TestOracleArchSelection checks that the oracle's filter holds exactly the
// target architectures (runc would keep the host's as well).
func TestOracleArchSelection(t *testing.T) {
	s := &schema.ResolvedSeccomp{
		DefaultAction: "SCMP_ACT_ERRNO",
		Architectures: []string{"SCMP_ARCH_X86"},
		Syscalls:      []schema.SyscallRule{{Names: []string{"read"}, Action: "SCMP_ACT_ALLOW"}},
	}
	prog, err := oracleProgram(s, "SCMP_ARCH_X86", optimizePriority)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d    input
		want uint32
	}{
		{input{nr: 3, arch: auditI386}, actAllow},
		{input{nr: 0, arch: auditX86_64}, actKillProcess},
		{input{nr: x32Bit, arch: auditX86_64}, actKillProcess},
	} {
		tr, err := run(prog, c.d)
		if err != nil {
			t.Fatal(err)
		}
		if tr.ret != c.want {
			t.Errorf("arch 0x%x nr %d: got %s, want %s", c.d.arch, c.d.nr, fmtAction(tr.ret), fmtAction(c.want))
		}
	}
}

// TestInterpreter runs hand-assembled programs through the interpreter and
// the kernel's action-cache walk.
func TestInterpreter(t *testing.T) {
	ld := func(k uint32) plan.Instruction { return plan.Instruction{Code: clsLD | sizeW | modeABS, K: k} }
	jeq := func(k uint32, jt, jf uint8) plan.Instruction {
		return plan.Instruction{Code: clsJMP | jmpJEQ | srcK, Jt: jt, Jf: jf, K: k}
	}
	ret := func(k uint32) plan.Instruction { return plan.Instruction{Code: clsRET | retK, K: k} }
	// arch == x86_64 ? (nr == 1 ? (arg0.hi == 7 ? allow : errno 5) : allow) : kill
	prog := []plan.Instruction{
		ld(4), jeq(auditX86_64, 1, 0), ret(actKillProcess),
		ld(0), jeq(1, 1, 0), ret(actAllow),
		ld(20), jeq(7, 0, 1), ret(actAllow), ret(actErrno | 5),
	}
	if err := checkProgram(prog); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d        input
		want     uint32
		executed int
		argLoad  bool
	}{
		{input{arch: auditI386}, actKillProcess, 3, false},
		{input{arch: auditX86_64, nr: 0}, actAllow, 5, false},
		{input{arch: auditX86_64, nr: 1, args: [6]uint64{7 << 32}}, actAllow, 7, true},
		{input{arch: auditX86_64, nr: 1, args: [6]uint64{7}}, actErrno | 5, 7, true},
	} {
		tr, err := run(prog, c.d)
		if err != nil {
			t.Fatal(err)
		}
		if tr.ret != c.want || tr.executed != c.executed || tr.argLoad != c.argLoad {
			t.Errorf("%+v: got %s after %d (arg load %v), want %s after %d (arg load %v)",
				c.d, fmtAction(tr.ret), tr.executed, tr.argLoad, fmtAction(c.want), c.executed, c.argLoad)
		}
	}
	if !constAllow(prog, auditX86_64, 0) || constAllow(prog, auditX86_64, 1) || constAllow(prog, auditI386, 0) {
		t.Error("action-cache walk: want only x86_64 nr 0 cacheable")
	}
	if got := cacheable(prog, auditX86_64, 3); len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 3 {
		t.Errorf("cacheable x86_64 0..3 = %v, want [0 2 3]", got)
	}

	for _, bad := range [][]plan.Instruction{
		nil,
		{ld(0)},
		{ld(2), ret(0)},
		{ld(64), ret(0)},
		{{Code: clsLD | 0x10 | modeABS}, ret(0)}, // byte load
		{jeq(0, 2, 0), ret(0)},
		{{Code: clsJMP | jmpJA, K: 1}, ret(0)},
		{{Code: clsALU | aluDIV | srcK}, ret(0)},
		{{Code: clsRET | 0x08}}, // RET X
	} {
		if err := checkProgram(bad); err == nil {
			t.Errorf("checkProgram(%v) accepted a program the kernel refuses", bad)
		}
	}
}

// TestMobyKernelAssumption backs mobyDefault's claim that Docker's own
// resolution, which reads the running kernel, equals the resolution for
// kernel 6.1: every minKernel in the profile is at most 6.1 and at most the
// running kernel.
func TestMobyKernelAssumption(t *testing.T) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var hostMajor, hostMinor uint64
	if _, err := fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &hostMajor, &hostMinor); err != nil {
		t.Fatal(err)
	}
	atMost := func(k *mobyseccomp.KernelVersion, major, minor uint64) bool {
		return k.Kernel < major || k.Kernel == major && k.Major <= minor
	}
	for i, c := range mobyseccomp.DefaultProfile().Syscalls {
		for _, f := range []*mobyseccomp.Filter{c.Includes, c.Excludes} {
			if f == nil || f.MinKernel == nil {
				continue
			}
			if !atMost(f.MinKernel, 6, 1) || !atMost(f.MinKernel, hostMajor, hostMinor) {
				t.Errorf("docker default rule %d %v has minKernel %s: above 6.1 or the running kernel %d.%d, so mobyDefault no longer resolves for 6.1",
					i, c.Names, f.MinKernel, hostMajor, hostMinor)
			}
		}
	}
}
