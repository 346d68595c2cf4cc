package bpf

import (
	"fmt"

	xbpf "golang.org/x/net/bpf"
)

// Resolve turns absolute jump targets into offsets. A conditional jump that
// reaches further than 255 instructions goes through a trampoline: a JA
// placed right after it, whose offset is 32 bits wide. Adding trampolines
// lengthens other jumps, so it repeats until nothing changes; the number of
// trampolines only grows, so it ends.
func Resolve(p Program) ([]RawInsn, error) {
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("resolve jumps: %w", err)
	}
	// tramp[pc] is a bit set: 1 jt goes through a trampoline, 2 jf does.
	tramp := make([]uint8, len(p))
	pos := make([]int, len(p)+1)
	for {
		n := 0
		for pc := range p {
			pos[pc] = n
			n += 1 + popcount(tramp[pc])
		}
		pos[len(p)] = n
		changed := false
		for pc, in := range p {
			if !IsCondJump(in.Code) {
				continue
			}
			next := pos[pc] + 1 // where offset 0 lands
			if tramp[pc]&1 == 0 && pos[in.Jt]-next > MaxCondJump {
				tramp[pc] |= 1
				changed = true
			}
			if tramp[pc]&2 == 0 && pos[in.Jf]-next > MaxCondJump {
				tramp[pc] |= 2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	out := make([]RawInsn, 0, pos[len(p)])
	for pc, in := range p {
		here := pos[pc]
		switch {
		case IsJA(in.Code):
			out = append(out, RawInsn{Code: in.Code, K: uint32(pos[in.Jt] - here - 1)})
		case IsCondJump(in.Code):
			slot := here + 1
			var jt, jf int
			var tr []int
			if tramp[pc]&1 != 0 {
				jt = slot - here - 1
				tr = append(tr, in.Jt)
				slot++
			} else {
				jt = pos[in.Jt] - here - 1
			}
			if tramp[pc]&2 != 0 {
				jf = slot - here - 1
				tr = append(tr, in.Jf)
			} else {
				jf = pos[in.Jf] - here - 1
			}
			out = append(out, RawInsn{Code: in.Code, Jt: uint8(jt), Jf: uint8(jf), K: in.K})
			for _, t := range tr {
				at := len(out)
				out = append(out, RawInsn{Code: JmpA, K: uint32(pos[t] - at - 1)})
			}
		default:
			out = append(out, RawInsn{Code: in.Code, K: in.K})
		}
	}
	return out, nil
}

func popcount(b uint8) int { return int(b&1) + int(b>>1&1) }

// Assemble resolves p and encodes it through golang.org/x/net/bpf, checking
// the result with seccomp's rules. It refuses programs longer than the
// kernel's limit of 4096 instructions.
func Assemble(p Program) ([]RawInsn, error) {
	if len(p) > MaxInstructions {
		// Trampolines only add instructions.
		return nil, fmt.Errorf("assemble program: %d instructions, the kernel accepts at most %d", len(p), MaxInstructions)
	}
	r, err := Resolve(p)
	if err != nil {
		return nil, err
	}
	if len(r) > MaxInstructions {
		return nil, fmt.Errorf("assemble program: %d instructions, the kernel accepts at most %d", len(r), MaxInstructions)
	}
	xi, err := toXBPF(r)
	if err != nil {
		return nil, fmt.Errorf("assemble program: %w", err)
	}
	raw, err := xbpf.Assemble(xi)
	if err != nil {
		return nil, fmt.Errorf("assemble program: %w", err)
	}
	out := make([]RawInsn, len(raw))
	for i, ri := range raw {
		out[i] = RawInsn{Code: ri.Op, Jt: ri.Jt, Jf: ri.Jf, K: ri.K}
		if out[i] != r[i] {
			return nil, fmt.Errorf("assemble program: instruction %d encoded as %+v, want %+v", i, out[i], r[i])
		}
	}
	if err := Validate(out); err != nil {
		return nil, fmt.Errorf("assemble program: %w", err)
	}
	return out, nil
}

// Lift turns resolved instructions back into a Program with absolute
// targets, e.g. to optimise or disassemble a program read from a file.
func Lift(r []RawInsn) (Program, error) {
	if err := Validate(r); err != nil {
		return nil, fmt.Errorf("lift program: %w", err)
	}
	p := make(Program, len(r))
	for pc, in := range r {
		p[pc] = Insn{Code: in.Code, K: in.K}
		switch {
		case IsJA(in.Code):
			p[pc].Jt = pc + 1 + int(in.K)
		case IsCondJump(in.Code):
			p[pc].Jt = pc + 1 + int(in.Jt)
			p[pc].Jf = pc + 1 + int(in.Jf)
		}
	}
	return p, nil
}
