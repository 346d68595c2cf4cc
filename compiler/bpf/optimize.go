package bpf

// A Pass rewrites a program without changing what it returns for any
// input. It reports whether it changed anything, so Optimize can run the
// list to a fixpoint.
type Pass func(Program) (Program, bool)

// Passes is the ordered list Optimize runs.
var Passes = []struct {
	Name string
	Pass Pass
}{
	// Cheap clean-ups first, so the data-flow passes see a small program.
	{"thread-jumps", ThreadJumps},
	{"same-target-cond", SameTargetCond},
	{"inline-ret", InlineRet},
	{"drop-nop-alu", DropNopALU},
	{"drop-nop-jumps", DropNopJumps},
	{"merge-tails", MergeTails},
	{"drop-dead-code", DropDeadCode},
	{"known-values", KnownValues},
	{"thread-known", ThreadKnown},
	{"dead-loads", DeadLoads},
}

// Optimize runs Passes in order until none changes the program. A pass is
// a function of the program alone, so one that already ran on the current
// program is skipped rather than asked again.
func Optimize(p Program) Program {
	version := 0
	ranAt := make([]int, len(Passes))
	for i := range ranAt {
		ranAt[i] = -1
	}
	for range 100 { // each pass shrinks or shortens, so this is a safety net
		changed := false
		for i, ps := range Passes {
			if ranAt[i] == version {
				continue
			}
			var c bool
			p, c = ps.Pass(p)
			if c {
				// The pass made a program it has not seen: it runs
				// again next round.
				version++
				changed = true
				continue
			}
			ranAt[i] = version
		}
		if !changed {
			break
		}
	}
	return p
}

// final follows a chain of JAs from t.
func final(p Program, t int) int {
	for IsJA(p[t].Code) {
		t = p[t].Jt
	}
	return t
}

// ThreadJumps points every jump that lands on a JA at the JA's target.
func ThreadJumps(p Program) (Program, bool) {
	changed := false
	out := clone(p)
	for pc := range out {
		in := &out[pc]
		if Class(in.Code) != ClassJMP {
			continue
		}
		if t := final(out, in.Jt); t != in.Jt {
			in.Jt, changed = t, true
		}
		if IsCondJump(in.Code) {
			if f := final(out, in.Jf); f != in.Jf {
				in.Jf, changed = f, true
			}
		}
	}
	return out, changed
}

// SameTargetCond turns a conditional jump whose branches meet into a JA:
// the comparison cannot matter.
func SameTargetCond(p Program) (Program, bool) {
	changed := false
	out := clone(p)
	for pc := range out {
		in := &out[pc]
		if IsCondJump(in.Code) && in.Jt == in.Jf {
			*in = Insn{Code: JmpA, Jt: in.Jt}
			changed = true
		}
	}
	return out, changed
}

// InlineRet replaces a JA to a constant RET by a copy of that RET: one
// instruction fewer on the path, and the kernel's action cache sees the
// same constant.
func InlineRet(p Program) (Program, bool) {
	changed := false
	out := clone(p)
	for pc := range out {
		in := out[pc]
		if IsJA(in.Code) && out[in.Jt].Code == RetK {
			out[pc] = Insn{Code: RetK, K: out[in.Jt].K}
			changed = true
		}
	}
	return out, changed
}

// DropNopJumps removes JAs to the next instruction.
func DropNopJumps(p Program) (Program, bool) {
	del := make([]bool, len(p))
	any := false
	for pc, in := range p {
		if IsJA(in.Code) && in.Jt == pc+1 {
			del[pc], any = true, true
		}
	}
	if !any {
		return p, false
	}
	return remove(p, del), true
}

// DropDeadCode removes instructions no path reaches.
func DropDeadCode(p Program) (Program, bool) {
	live := make([]bool, len(p))
	live[0] = true
	for pc := range p {
		if !live[pc] {
			continue
		}
		for _, t := range p.Targets(pc) {
			if t < len(p) {
				live[t] = true
			}
		}
	}
	del := make([]bool, len(p))
	any := false
	for pc := range p {
		if !live[pc] {
			del[pc], any = true, true
		}
	}
	if !any {
		return p, false
	}
	return remove(p, del), true
}

// remove deletes the marked instructions. A jump to a deleted one goes to
// the next kept instruction, which is right for the two callers: deleted
// nop jumps fall through there, and dead code has no jumps to it.
func remove(p Program, del []bool) Program {
	newIdx := make([]int, len(p)+1)
	n := 0
	for pc := range p {
		newIdx[pc] = n
		if !del[pc] {
			n++
		}
	}
	newIdx[len(p)] = n
	// A deleted instruction maps to the next kept one.
	for pc := len(p) - 1; pc >= 0; pc-- {
		if del[pc] {
			newIdx[pc] = newIdx[pc+1]
		}
	}
	out := make(Program, 0, n)
	for pc, in := range p {
		if del[pc] {
			continue
		}
		if Class(in.Code) == ClassJMP {
			in.Jt = newIdx[in.Jt]
			if IsCondJump(in.Code) {
				in.Jf = newIdx[in.Jf]
			}
		}
		out = append(out, in)
	}
	return out
}

func clone(p Program) Program { return append(Program(nil), p...) }

// DropNopALU removes arithmetic that leaves A unchanged (and #0xffffffff,
// or #0, add #0, ...), which rule lowering produces for full masks.
func DropNopALU(p Program) (Program, bool) {
	del := make([]bool, len(p))
	any := false
	for pc, in := range p {
		if Class(in.Code) != ClassALU || in.Code&SrcX != 0 {
			continue
		}
		op := in.Code & 0xf0
		if (op == OpAnd && in.K == 0xffffffff) ||
			(in.K == 0 && (op == OpOr || op == OpAdd || op == OpSub || op == OpXor || op == OpLsh || op == OpRsh)) ||
			(in.K == 1 && (op == OpMul || op == OpDiv)) {
			del[pc], any = true, true
		}
	}
	if !any {
		return p, false
	}
	return remove(p, del), true
}

// MergeTails points every jump at the last of a set of identical
// instruction sequences (same opcodes and constants, leading to the same
// places), like libseccomp's block hashing; the earlier copies then die.
// Identical code run from the same state does the same thing, so this
// holds whatever A, X and the scratch memory hold.
func MergeTails(p Program) (Program, bool) {
	type key struct {
		code   uint16
		k      uint32
		jt, jf int
	}
	canon := make([]int, len(p)) // canonical instruction index of pc
	seen := make(map[key]int, len(p))
	for pc := len(p) - 1; pc >= 0; pc-- {
		in := p[pc]
		k := key{code: in.Code, k: in.K, jt: -1, jf: -1}
		switch {
		case Class(in.Code) == ClassRET:
		case IsJA(in.Code):
			k.jt = canon[in.Jt]
		case IsCondJump(in.Code):
			k.jt, k.jf = canon[in.Jt], canon[in.Jf]
		default:
			k.jt = canon[pc+1]
		}
		if c, ok := seen[k]; ok {
			canon[pc] = c
		} else {
			seen[k] = pc
			canon[pc] = pc
		}
	}
	// Jumps are not sent to another RET: copies of a return near their
	// jumps save the trampolines one shared far away would need.
	target := func(t int) int {
		if Class(p[t].Code) == ClassRET {
			return t
		}
		return canon[t]
	}
	out := clone(p)
	changed := false
	for pc := range out {
		in := &out[pc]
		if Class(in.Code) != ClassJMP {
			continue
		}
		if c := target(in.Jt); c != in.Jt {
			in.Jt, changed = c, true
		}
		if IsCondJump(in.Code) {
			if c := target(in.Jf); c != in.Jf {
				in.Jf, changed = c, true
			}
		}
	}
	return out, changed
}
