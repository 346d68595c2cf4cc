package compiler

import (
	"fmt"
	"math"
	"slices"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// Run executes a compiled program on d, as the kernel would.
func Run(prog []plan.Instruction, d SeccompData) (action uint32, executed int, err error) {
	return bpf.Run(fromPlan(prog), bpf.Data(d))
}

// Verify checks p's program against its IR on every syscall number of
// every target (-1, 0 to 64 past the highest, the same with x32's bit 30
// and the edges of the 32-bit space), with every known audit value, and on
// boundary argument values for every syscall whose verdict depends on its
// arguments. s is only used to say which rule a mismatch concerns.
func Verify(s *schema.ResolvedSeccomp, p *Program) error {
	if p == nil || p.IR == nil {
		return fmt.Errorf("verify program: no IR")
	}
	m, err := bpf.NewMachine(fromPlan(p.Instructions))
	if err != nil {
		return fmt.Errorf("verify program: %w", err)
	}
	ir := p.IR
	check := func(d SeccompData) error {
		want := ir.Evaluate(d)
		got, _, err := m.Run(bpf.Data(d))
		if err != nil {
			return fmt.Errorf("verify program: %+v: %w", d, err)
		}
		if got != want.Action {
			rule := "the default action"
			if want.Rule >= 0 {
				rule = fmt.Sprintf("rule %d", want.Rule)
				if s != nil && want.Rule < len(s.Syscalls) {
					rule += fmt.Sprintf(" %v", s.Syscalls[want.Rule].Names)
				}
			}
			return fmt.Errorf("verify program: nr %d arch %#x args %#x: program returns %s, IR says %s (%s)",
				d.Nr, d.Arch, d.Args, ActionString(got), ActionString(want.Action), rule)
		}
		return nil
	}
	nrs := verifyNumbers(ir)
	// Bit 30 only means something where x86_64 and x32 share an audit
	// value; elsewhere a few such numbers show the default holds.
	var plainNrs []uint32
	for _, n := range nrs {
		if n&0x40000000 == 0 || n > 0x7fffffff || n&0xffff <= 2 {
			plainNrs = append(plainNrs, n)
		}
	}
	var audits []uint32
	for _, a := range ir.Arches {
		if !slices.Contains(audits, a.Arch.Audit) {
			audits = append(audits, a.Arch.Audit)
		}
	}
	for _, audit := range audits {
		list := plainNrs
		for _, a := range ir.Arches {
			if a.Arch.Audit == audit && (a.Lo != 0 || a.Hi != 0xffffffff) {
				list = nrs
			}
		}
		for _, nr := range list {
			if err := check(SeccompData{Nr: int32(nr), Arch: audit}); err != nil {
				return err
			}
		}
	}
	// Foreign audit values meet the bad-arch action whatever the number;
	// a few numbers per value are enough to see the dispatch.
	others := []uint32{0, math.MaxUint32, 0x40000000, 0x80000000}
	for _, a := range systab.Arches() {
		if !slices.Contains(audits, a.Audit) {
			others = append(others, a.Audit)
		}
	}
	for _, audit := range others {
		for _, nr := range []int32{-1, 0, 1, 59, 0x40000000} {
			if err := check(SeccompData{Nr: nr, Arch: audit}); err != nil {
				return err
			}
		}
	}
	for _, a := range ir.Arches {
		for _, sc := range a.Syscalls {
			if len(sc.Rules) == 0 {
				continue
			}
			for _, args := range boundaryArgs(sc) {
				if err := check(SeccompData{Nr: int32(sc.Nr), Arch: a.Arch.Audit, Args: args}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// verifyNumbers lists the syscall numbers Verify tries: every number up
// to 64 past the highest ordinary one, every number in a target's table
// (ARM's private calls sit near 0xf0000) and its neighbours, each also
// with x32's bit 30, and the edges of the 32-bit space.
func verifyNumbers(ir *IR) []uint32 {
	const dense = 0x8000
	top := 0
	var out []uint32
	add := func(n uint32) { out = append(out, n, n|0x40000000) }
	var extra []uint32
	note := func(n int) {
		n &^= 0x40000000
		if n < dense {
			top = max(top, n)
		} else {
			extra = append(extra, uint32(n-1), uint32(n), uint32(n+1))
		}
	}
	for _, a := range ir.Arches {
		for _, name := range systab.SyscallNames(a.Arch.Name) {
			if nr, ok := systab.SyscallNumber(a.Arch.Name, name); ok {
				note(nr)
			}
		}
		for _, s := range a.Syscalls {
			note(int(s.Nr))
		}
	}
	for n := 0; n <= top+64; n++ {
		add(uint32(n))
	}
	for _, n := range extra {
		add(n)
	}
	for _, n := range []uint32{math.MaxUint32, math.MaxUint32 - 1, 0x3fffffff, 0x7fffffff, 0x80000000} {
		add(n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// boundaryArgs returns argument vectors around every condition of sc:
// from all zeros, each used argument swept over the values at and around
// every edge any condition has; and from each rule's satisfying vector,
// each of its arguments swept over the edges of its own conditions.
func boundaryArgs(sc *SyscallIR) [][6]uint64 {
	edges := func(c Cond) []uint64 {
		v := c.Value
		out := []uint64{v, v - 1, v + 1, v ^ 1<<32, v | 0xffffffff00000000, v & 0xffffffff, v + 1<<32, v - 1<<32}
		if c.Op == "SCMP_CMP_MASKED_EQ" {
			out = append(out, c.Mask, ^c.Mask, v|^c.Mask, v^(c.Mask&-c.Mask))
		}
		return out
	}
	var all [6][]uint64
	seen := map[[2]uint64]bool{}
	add := func(i int, vs ...uint64) {
		for _, v := range vs {
			if k := [2]uint64{uint64(i), v}; !seen[k] {
				seen[k] = true
				all[i] = append(all[i], v)
			}
		}
	}
	var out [][6]uint64
	for _, r := range sc.Rules {
		var sat [6]uint64
		for _, c := range r.Conds {
			add(c.Arg, 0, math.MaxUint64, 0xffffffff, 1<<32, 1<<63)
			add(c.Arg, edges(c)...)
			switch c.Op {
			case "SCMP_CMP_NE", "SCMP_CMP_GT":
				sat[c.Arg] = c.Value + 1
			case "SCMP_CMP_LT":
				sat[c.Arg] = c.Value - 1
			default:
				sat[c.Arg] = c.Value
			}
		}
		out = append(out, sat)
		for _, c := range r.Conds {
			for _, v := range edges(c) {
				x := sat
				x[c.Arg] = v
				out = append(out, x)
			}
		}
	}
	out = append(out, [6]uint64{})
	for i, vs := range all {
		for _, v := range vs {
			var x [6]uint64
			x[i] = v
			out = append(out, x)
		}
	}
	return out
}
