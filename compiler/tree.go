package compiler

import (
	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/schema/systab"
)

// segment is a run of syscall numbers [lo, hi] with one outcome: a
// constant action, or the argument rules of one syscall.
type segment struct {
	lo, hi uint32
	action uint32
	sys    *SyscallIR // non-nil: the verdict depends on arguments
	arch   *ArchIR
	weight float64
}

func (s segment) sameOutcome(o segment) bool {
	return s.sys == nil && o.sys == nil && s.action == o.action
}

// segments covers all 2^32 numbers of one audit value: each arch's table
// in the numbers it claims, the bad-arch action elsewhere. Neighbours with
// one constant verdict merge into ranges.
func segments(ir *IR, g []*ArchIR) []segment {
	var out []segment
	push := func(s segment) {
		if n := len(out); n > 0 && out[n-1].sameOutcome(s) && out[n-1].hi+1 == s.lo {
			out[n-1].hi = s.hi
			out[n-1].weight += s.weight
			return
		}
		out = append(out, s)
	}
	// Claimed regions in ascending order; arches of one group do not overlap.
	var cur uint64
	sorted := append([]*ArchIR(nil), g...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if sorted[j].Lo < sorted[i].Lo {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	for _, a := range sorted {
		if uint64(a.Lo) > cur {
			push(segment{lo: uint32(cur), hi: a.Lo - 1, action: ir.BadArch})
		}
		w := weigher(a.Arch, a.Arch.Name == ir.Native)
		next := uint64(a.Lo)
		for _, s := range a.Syscalls {
			if uint64(s.Nr) > next {
				push(segment{lo: uint32(next), hi: s.Nr - 1, action: a.Default, weight: w(uint32(next), s.Nr-1)})
			}
			seg := segment{lo: s.Nr, hi: s.Nr, action: s.Else.Action, weight: w(s.Nr, s.Nr), arch: a}
			if len(s.Rules) > 0 {
				seg.sys = s
			}
			push(seg)
			next = uint64(s.Nr) + 1
		}
		if next <= uint64(a.Hi) {
			push(segment{lo: uint32(next), hi: a.Hi, action: a.Default, weight: w(uint32(next), a.Hi)})
		}
		cur = uint64(a.Hi) + 1
	}
	var minus1 *ArchIR
	for _, a := range g {
		if a.Minus1 {
			minus1 = a
		}
	}
	if minus1 != nil {
		if cur < 0xffffffff {
			push(segment{lo: uint32(cur), hi: 0xfffffffe, action: ir.BadArch})
		}
		push(segment{lo: 0xffffffff, hi: 0xffffffff, action: minus1.Default, arch: minus1})
	} else if cur <= 0xffffffff {
		push(segment{lo: uint32(cur), hi: 0xffffffff, action: ir.BadArch})
	}
	return out
}

// weigher says how likely a range of numbers is: the numbers of real
// syscalls count one each, the rest of the 32-bit space almost nothing,
// so the search tree spends its depth where calls happen.
func weigher(a systab.Arch, native bool) func(lo, hi uint32) float64 {
	scale := 1.0
	if !native {
		// Compat calls (i386, x32) are rare next to native ones.
		scale = 1e-3
	}
	base := uint64(a.NrBits)
	top := base + uint64(systab.MaxSyscall(a.Name)&^int(a.NrBits))
	return func(lo, hi uint32) float64 {
		l, h := max(uint64(lo), base), min(uint64(hi), top)
		w := 1e-6
		if l <= h {
			w += scale * float64(h-l+1)
		}
		return w
	}
}

// chunkSegments bounds a subtree that shares return blocks placed after
// it: its JGEs (one fewer than its segments) and those blocks stay within
// a conditional jump's 255-instruction reach.
const chunkSegments = 200

// lowerTree is the optimised lowering: per audit value, a search tree of
// JGE tests over the merged ranges, split at the median weight, with
// argument rules only in the leaves that need them.
func lowerTree(ir *IR) (bpf.Program, error) {
	e := newEmitter()
	groups := archGroups(ir)
	labels := e.dispatch(ir, groups)
	type argLeaf struct {
		l bpf.Label
		s segment
	}
	var leaves []argLeaf
	for gi, g := range groups {
		e.b.Bind(labels[gi])
		e.b.LoadAbs(offNr)
		segs := segments(ir, g)
		prefix := make([]float64, len(segs)+1)
		for i, s := range segs {
			prefix[i+1] = prefix[i] + s.weight
		}
		leafLabel := func(s segment) bpf.Label {
			l := e.b.NewLabel()
			leaves = append(leaves, argLeaf{l, s})
			return l
		}
		// emit lays out segs[i:j] at the current position. A leaf is a
		// jump to its block; the optimiser threads the JGE straight to
		// it and drops the jump.
		var emit func(i, j int)
		emit = func(i, j int) {
			if j-i == 1 {
				// Inside a chunk a constant verdict jumps to the
				// chunk's return blocks; outside one it is returned
				// right here, as shared blocks would be out of a
				// conditional jump's reach.
				switch {
				case segs[i].sys != nil:
					e.b.Goto(leafLabel(segs[i]))
				case e.local != nil:
					e.b.Goto(e.ret(segs[i].action))
				default:
					e.b.Ret(segs[i].action)
				}
				return
			}
			if e.local == nil && j-i <= chunkSegments {
				e.withLocalRets(func() { emit(i, j) })
				return
			}
			// Split where the weights on both sides are closest.
			best, bestDiff := i+1, -1.0
			for k := i + 1; k < j; k++ {
				d := (prefix[k] - prefix[i]) - (prefix[j] - prefix[k])
				if d < 0 {
					d = -d
				}
				if bestDiff < 0 || d < bestDiff {
					best, bestDiff = k, d
				}
			}
			lt, ge := e.b.NewLabel(), e.b.NewLabel()
			e.b.Jump(bpf.JGE, segs[best].lo, ge, lt)
			e.b.Bind(lt)
			emit(i, best)
			e.b.Bind(ge)
			emit(best, j)
		}
		emit(0, len(segs))
	}
	for _, lf := range leaves {
		e.b.Bind(lf.l)
		e.argBlock(lf.s.arch, lf.s.sys)
	}
	return e.finish()
}
