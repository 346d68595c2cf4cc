package bpf

import "slices"

// wordFact is what the paths into an instruction agree on about one word
// of the input: it lies in [lo, hi] and differs from every value in ne.
type wordFact struct {
	lo, hi uint32
	ne     *[]uint32 // shared and never changed in place; nil when empty
}

func (f wordFact) neList() []uint32 {
	if f.ne == nil {
		return nil
	}
	return *f.ne
}

func fullFact() wordFact { return wordFact{lo: 0, hi: 0xffffffff} }

// flowState is the meet of all paths into an instruction: which word A
// holds unmodified (acc, or -1) and the facts on the 16 input words
// (known has bit i set when facts[i] says more than "anything"). It is a
// value: copying it is cheap, and ne slices are never changed in place.
type flowState struct {
	reached bool
	acc     int64
	known   uint16
	facts   [SeccompDataSize / 4]wordFact
}

func (s flowState) clone() flowState { return s }

func (s *flowState) fact(w uint32) (wordFact, bool) {
	if s.known&(1<<(w/4)) == 0 {
		return fullFact(), false
	}
	return s.facts[w/4], true
}

func (s *flowState) setFact(w uint32, f wordFact) {
	s.known |= 1 << (w / 4)
	s.facts[w/4] = f
}

func (s *flowState) meet(o flowState) {
	if !o.reached {
		return
	}
	if !s.reached {
		*s = o
		return
	}
	if s.acc != o.acc {
		s.acc = -1
	}
	s.known &= o.known
	for i := range s.facts {
		if s.known&(1<<i) == 0 {
			continue
		}
		f, g := s.facts[i], o.facts[i]
		m := wordFact{lo: min(f.lo, g.lo), hi: max(f.hi, g.hi)}
		if f.ne == g.ne {
			m.ne = f.ne
		} else if f.ne != nil && g.ne != nil {
			var both []uint32
			for _, v := range *f.ne {
				if slices.Contains(*g.ne, v) {
					both = append(both, v)
				}
			}
			if both != nil {
				m.ne = &both
			}
		}
		s.facts[i] = m
	}
}

// decide says whether "A op k" is known: 1 true, 0 false, -1 unknown.
func (f wordFact) decide(op uint16, k uint32) int {
	switch op {
	case JEQ:
		if f.lo == k && f.hi == k {
			return 1
		}
		if k < f.lo || k > f.hi || slices.Contains(f.neList(), k) {
			return 0
		}
	case JGT:
		if f.lo > k {
			return 1
		}
		if f.hi <= k {
			return 0
		}
	case JGE:
		if f.lo >= k {
			return 1
		}
		if f.hi < k {
			return 0
		}
	}
	return -1
}

// refine returns the fact after "A op k" came out as taken.
func (f wordFact) refine(op uint16, k uint32, taken bool) wordFact {
	g := wordFact{lo: f.lo, hi: f.hi, ne: f.ne}
	switch op {
	case JEQ:
		if taken {
			return wordFact{lo: k, hi: k}
		}
		ne := append(slices.Clip(f.neList()), k)
		g.ne = &ne
		if k == g.lo && g.lo < g.hi {
			g.lo++
		} else if k == g.hi && g.hi > g.lo {
			g.hi--
		}
	case JGT:
		if taken {
			g.lo = max(g.lo, k+1)
		} else {
			g.hi = min(g.hi, k)
		}
	case JGE:
		if taken {
			g.lo = max(g.lo, k)
		} else if k > 0 {
			g.hi = min(g.hi, k-1)
		}
	}
	return g
}

// KnownValues uses what earlier comparisons proved about input words:
// a comparison whose outcome is known becomes a JA, and a load of the
// word A already holds becomes a no-op (a JA to the next instruction).
// Input words never change, so facts survive loads of other words.
func KnownValues(p Program) (Program, bool) {
	st := make([]flowState, len(p))
	st[0] = flowState{reached: true, acc: -1}
	out := clone(p)
	changed := false
	for pc, in := range p {
		s := st[pc]
		if !s.reached {
			continue
		}
		send := func(to int, ns flowState) { st[to].meet(ns) }
		switch {
		case in.Code == LdAbsW:
			if s.acc == int64(in.K) {
				out[pc] = Insn{Code: JmpA, Jt: pc + 1}
				changed = true
			}
			ns := s.clone()
			ns.acc = int64(in.K)
			send(pc+1, ns)
		case Class(in.Code) == ClassRET:
		case IsJA(in.Code):
			send(in.Jt, s)
		case IsCondJump(in.Code):
			op := in.Code & 0xf0
			if in.Code&SrcX != 0 || op == JSET || s.acc < 0 {
				send(in.Jt, s)
				send(in.Jf, s)
				break
			}
			w := uint32(s.acc)
			f, _ := s.fact(w)
			switch f.decide(op, in.K) {
			case 1:
				out[pc] = Insn{Code: JmpA, Jt: in.Jt}
				changed = true
				send(in.Jt, s)
			case 0:
				out[pc] = Insn{Code: JmpA, Jt: in.Jf}
				changed = true
				send(in.Jf, s)
			default:
				t, e := s, s
				t.setFact(w, f.refine(op, in.K, true))
				e.setFact(w, f.refine(op, in.K, false))
				send(in.Jt, t)
				send(in.Jf, e)
			}
		default:
			ns := s
			switch Class(in.Code) {
			case ClassLD, ClassALU:
				ns = s.clone()
				ns.acc = -1
			case ClassMISC:
				if in.Code&0xf8 == MiscTXA {
					ns = s.clone()
					ns.acc = -1
				}
			}
			send(pc+1, ns)
		}
	}
	return out, changed
}

// DeadLoads turns instructions that set A to a value nobody reads before
// it is overwritten or a constant is returned into no-ops.
func DeadLoads(p Program) (Program, bool) {
	live := make([]bool, len(p)) // A is read on some path from pc on
	out := clone(p)
	changed := false
	for pc := len(p) - 1; pc >= 0; pc-- {
		in := p[pc]
		liveOut := false
		for _, t := range p.Targets(pc) {
			liveOut = liveOut || live[t]
		}
		switch Class(in.Code) {
		case ClassRET:
			live[pc] = in.Code&SrcA != 0
		case ClassJMP:
			live[pc] = liveOut || IsCondJump(in.Code)
		case ClassLD:
			if !liveOut {
				out[pc] = Insn{Code: JmpA, Jt: pc + 1}
				changed = true
			}
			live[pc] = false
		case ClassALU:
			if !liveOut {
				out[pc] = Insn{Code: JmpA, Jt: pc + 1}
				changed = true
				live[pc] = false
			} else {
				live[pc] = true
			}
		case ClassMISC:
			if in.Code&0xf8 == MiscTXA {
				if !liveOut {
					out[pc] = Insn{Code: JmpA, Jt: pc + 1}
					changed = true
				}
				live[pc] = false
			} else {
				live[pc] = true // TAX reads A
			}
		case ClassST:
			live[pc] = true
		default: // LDX, STX
			live[pc] = liveOut
		}
	}
	return out, changed
}

// inStates computes, for every instruction, the meet of the states on
// the paths into it.
func inStates(p Program) []flowState {
	st := make([]flowState, len(p))
	st[0] = flowState{reached: true, acc: -1}
	for pc := range p {
		if !st[pc].reached {
			continue
		}
		es, n := edges(p, pc, st[pc])
		for _, e := range es[:n] {
			st[e.to].meet(e.st)
		}
	}
	return st
}

type edge struct {
	to int
	st flowState
}

// edges returns the successors of pc with the state on each edge; a
// comparison the state decides has only the taken edge.
func edges(p Program, pc int, s flowState) (es [2]edge, n int) {
	in := p[pc]
	switch {
	case in.Code == LdAbsW:
		ns := s.clone()
		ns.acc = int64(in.K)
		return [2]edge{{pc + 1, ns}}, 1
	case Class(in.Code) == ClassRET:
		return es, 0
	case IsJA(in.Code):
		return [2]edge{{in.Jt, s}}, 1
	case IsCondJump(in.Code):
		op := in.Code & 0xf0
		if in.Code&SrcX != 0 || op == JSET || s.acc < 0 {
			return [2]edge{{in.Jt, s}, {in.Jf, s}}, 2
		}
		w := uint32(s.acc)
		f, _ := s.fact(w)
		switch f.decide(op, in.K) {
		case 1:
			return [2]edge{{in.Jt, s}}, 1
		case 0:
			return [2]edge{{in.Jf, s}}, 1
		}
		t, e := s, s
		t.setFact(w, f.refine(op, in.K, true))
		e.setFact(w, f.refine(op, in.K, false))
		return [2]edge{{in.Jt, t}, {in.Jf, e}}, 2
	}
	ns := s
	switch Class(in.Code) {
	case ClassLD, ClassALU:
		ns = s.clone()
		ns.acc = -1
	case ClassMISC:
		if in.Code&0xf8 == MiscTXA {
			ns = s.clone()
			ns.acc = -1
		}
	}
	return [2]edge{{pc + 1, ns}}, 1
}

// liveA reports for every instruction whether some path from it reads A
// before overwriting it.
func liveA(p Program) []bool {
	live := make([]bool, len(p)+1)
	for pc := len(p) - 1; pc >= 0; pc-- {
		in := p[pc]
		liveOut := false
		for _, t := range p.Targets(pc) {
			liveOut = liveOut || live[t]
		}
		switch Class(in.Code) {
		case ClassRET:
			live[pc] = in.Code&SrcA != 0
		case ClassJMP:
			live[pc] = liveOut || IsCondJump(in.Code)
		case ClassLD:
			live[pc] = false
		case ClassALU, ClassST:
			live[pc] = true
		case ClassMISC:
			live[pc] = in.Code&0xf8 != MiscTXA
		default:
			live[pc] = liveOut
		}
	}
	return live
}

// ThreadKnown retargets each branch of a comparison past tests its own
// edge already decides: "ld [w]; jeq k" whose outcome the facts on that
// edge imply is skipped when nothing after it reads the skipped load.
// This is what lets a run of rules on one argument check the shared high
// half once instead of once per rule.
func ThreadKnown(p Program) (Program, bool) {
	st := inStates(p)
	live := liveA(p)
	out := clone(p)
	changed := false
	for pc, in := range p {
		if !st[pc].reached || !IsCondJump(in.Code) {
			continue
		}
		es, n := edges(p, pc, st[pc])
		if n != 2 {
			continue
		}
		for bi, e := range es {
			t := e.to
			for steps := 0; steps < 64; steps++ {
				cur := p[t]
				if IsJA(cur.Code) {
					t = cur.Jt
					continue
				}
				acc := e.st.acc
				at := t
				if cur.Code == LdAbsW && t+1 < len(p) {
					acc = int64(cur.K)
					at = t + 1
				}
				c := p[at]
				if !IsCondJump(c.Code) || c.Code&SrcX != 0 || c.Code&0xf0 == JSET || acc < 0 {
					break
				}
				f, ok := e.st.fact(uint32(acc))
				if !ok {
					break
				}
				var next int
				switch f.decide(c.Code&0xf0, c.K) {
				case 1:
					next = c.Jt
				case 0:
					next = c.Jf
				default:
					next = -1
				}
				if next < 0 {
					break
				}
				// Skipping a load leaves A as it was on the edge,
				// which only matters if someone reads A there.
				if at != t && acc != e.st.acc && live[next] {
					break
				}
				t = next
			}
			if t != e.to {
				if bi == 0 {
					out[pc].Jt = t
				} else {
					out[pc].Jf = t
				}
				changed = true
			}
		}
	}
	return out, changed
}
