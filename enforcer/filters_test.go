package enforcer_test

import (
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
)

const (
	auditArchX8664 = 0xc000003e
	retKillProcess = 0x80000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retAllow       = 0x7fff0000
)

// filter hand-assembles an x86_64 seccomp program: a foreign arch is
// killed, the listed syscalls get action, everything else defaultAction.
func filter(t testing.TB, defaultAction uint32, action uint32, nrs ...uint32) *plan.Seccomp {
	t.Helper()
	insns := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArchX8664, SkipTrue: 1},
		bpf.RetConstant{Val: retKillProcess},
		bpf.LoadAbsolute{Off: 0, Size: 4},
	}
	for i, nr := range nrs {
		// On a match, skip the remaining tests and the default return.
		insns = append(insns, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipTrue: uint8(len(nrs) - i)})
	}
	insns = append(insns, bpf.RetConstant{Val: defaultAction}, bpf.RetConstant{Val: action})
	return assemble(t, insns)
}

func assemble(t testing.TB, insns []bpf.Instruction) *plan.Seccomp {
	t.Helper()
	raw, err := bpf.Assemble(insns)
	if err != nil {
		t.Fatalf("assemble filter: %v", err)
	}
	s := &plan.Seccomp{Architectures: []string{"SCMP_ARCH_X86_64"}, DefaultAction: "SCMP_ACT_ALLOW"}
	for _, r := range raw {
		s.Program = append(s.Program, plan.Instruction{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K})
	}
	return s
}

var _ = unix.SYS_MKDIR
