package compiler

import (
	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema/systab"
)

// CacheableSyscalls returns the syscall numbers of arch whose path through
// prog the kernel's action cache (Linux 5.11+) serves without running the
// filter. It emulates kernel/seccomp.c seccomp_is_const_allow: with the
// arch and nr known and the arguments not, the path may only load nr or
// arch, compare with constants (JEQ, JGE, JGT, JSET), jump, AND with a
// constant and return a constant, and that constant must be ALLOW. The
// numbers tried are 0 to the arch's highest ordinary one (with bit 30 on
// x32, whose calls the kernel in fact never caches); ARM's private calls
// near 0xf0000 lie past the kernel's table and are never cached.
func CacheableSyscalls(prog []plan.Instruction, arch systab.Arch) []int {
	r := fromPlan(prog)
	if bpf.Validate(r) != nil {
		return nil
	}
	var out []int
	for nr := int(arch.NrBits); nr <= cacheTop(arch); nr++ {
		if constAllow(r, arch.Audit, uint32(nr)) {
			out = append(out, nr)
		}
	}
	return out
}

func constAllow(r []bpf.RawInsn, audit, nr uint32) bool {
	var a uint32
	for pc := 0; pc < len(r); pc++ {
		in := r[pc]
		switch in.Code {
		case bpf.LdAbsW:
			switch in.K {
			case offNr:
				a = nr
			case offArch:
				a = audit
			default:
				return false
			}
		case bpf.RetK:
			return in.K == RetAllow
		case bpf.JmpA:
			pc += int(in.K)
		case bpf.JeqK, bpf.JgeK, bpf.JgtK, bpf.JsetK:
			var ok bool
			switch in.Code {
			case bpf.JeqK:
				ok = a == in.K
			case bpf.JgeK:
				ok = a >= in.K
			case bpf.JgtK:
				ok = a > in.K
			default:
				ok = a&in.K != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpf.AluAndK:
			a &= in.K
		default:
			return false
		}
	}
	return false
}

// cacheTop is the highest number of arch's table below its private
// ranges: what the kernel's cache bitmap (NR_syscalls entries) spans.
func cacheTop(arch systab.Arch) int {
	top := -1
	for _, name := range systab.SyscallNames(arch.Name) {
		if nr, ok := systab.SyscallNumber(arch.Name, name); ok && nr < int(arch.NrBits)+0x10000 {
			top = max(top, nr)
		}
	}
	return top
}
