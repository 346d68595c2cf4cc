package compiler

import (
	"slices"

	"github.com/profilec/profilec/compiler/bpf"
)

// intervalOp reports whether op describes an interval of values.
func intervalOp(op string) bool {
	switch op {
	case "SCMP_CMP_EQ", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE":
		return true
	}
	return false
}

// runEnd returns the end of the run of rules starting at i that a search
// tree can decide: each has a single interval comparison of one argument
// with a value below 2^32. Outside such runs rules are tested one by one.
func runEnd(rules []ArgRule, i int) int {
	j := i
	for j < len(rules) {
		r := rules[j]
		if len(r.Conds) != 1 || !intervalOp(r.Conds[0].Op) || r.Conds[0].Value > 0xffffffff ||
			r.Conds[0].Arg != rules[i].Conds[0].Arg {
			break
		}
		j++
	}
	return j
}

// outcome of a value range in a run: an action, or -1 for "no rule".
type runSeg struct {
	lo, hi uint32
	act    int64
}

// covers returns the 32-bit interval c accepts.
func covers(c Cond) (lo, hi uint32, ok bool) {
	v := uint32(c.Value)
	switch c.Op {
	case "SCMP_CMP_EQ":
		return v, v, true
	case "SCMP_CMP_LT":
		if v == 0 {
			return 0, 0, false
		}
		return 0, v - 1, true
	case "SCMP_CMP_LE":
		return 0, v, true
	case "SCMP_CMP_GT":
		if v == 0xffffffff {
			return 0, 0, false
		}
		return v + 1, 0xffffffff, true
	case "SCMP_CMP_GE":
		return v, 0xffffffff, true
	}
	return 0, 0, false
}

// paint maps the low 32 bits through rules in order, first match winning.
func paint(rules []ArgRule) []runSeg {
	cuts := []uint64{0, 1 << 32}
	for _, r := range rules {
		if lo, hi, ok := covers(r.Conds[0]); ok {
			cuts = append(cuts, uint64(lo), uint64(hi)+1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []runSeg
	for k := 0; k+1 < len(cuts); k++ {
		lo, hi := uint32(cuts[k]), uint32(cuts[k+1]-1)
		act := int64(-1)
		for _, r := range rules {
			if a, b, ok := covers(r.Conds[0]); ok && a <= lo && hi <= b {
				act = int64(r.Action)
				break
			}
		}
		if n := len(out); n > 0 && out[n-1].act == act {
			out[n-1].hi = hi
			continue
		}
		out = append(out, runSeg{lo, hi, act})
	}
	return out
}

// runBlock emits a run of single-comparison rules as a search over the
// argument's value: the rules' values split the range into pieces, each
// with the verdict of the first rule covering it, and a balanced JGE tree
// finds the piece. On 64-bit arches a value with a non-zero high half
// can only meet a GT or GE rule.
func (e *emitter) runBlock(a *ArchIR, rules []ArgRule, miss bpf.Label) {
	b := &e.b
	arg := rules[0].Conds[0].Arg
	loOff, hiOff := argOffsets(a.Arch, arg)
	target := func(act int64) bpf.Label {
		if act < 0 {
			return miss
		}
		return e.ret(uint32(act))
	}
	if a.Arch.Bits == 64 {
		high := int64(-1)
		for _, r := range rules {
			if op := r.Conds[0].Op; op == "SCMP_CMP_GT" || op == "SCMP_CMP_GE" {
				high = int64(r.Action)
				break
			}
		}
		low := b.NewLabel()
		b.LoadAbs(hiOff)
		b.Jump(bpf.JEQ, 0, low, target(high))
		b.Bind(low)
	}
	b.LoadAbs(loOff)
	segs := paint(rules)
	var emit func(i, j int)
	emit = func(i, j int) {
		if j-i == 1 {
			b.Goto(target(segs[i].act))
			return
		}
		m := (i + j) / 2
		lt, ge := b.NewLabel(), b.NewLabel()
		b.Jump(bpf.JGE, segs[m].lo, ge, lt)
		b.Bind(lt)
		emit(i, m)
		b.Bind(ge)
		emit(m, j)
	}
	emit(0, len(segs))
}
