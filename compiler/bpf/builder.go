package bpf

import "fmt"

// Label names an instruction that is not emitted yet. The zero Label is
// invalid, so a forgotten NewLabel is caught instead of jumping to 0.
type Label struct{ id int }

// Builder emits a Program whose jumps name Labels.
type Builder struct {
	insns []Insn
	// pos[id] is the bound instruction index of label id, -1 while unbound.
	pos []int
	err error
}

// NewLabel returns a fresh unbound label.
func (b *Builder) NewLabel() Label {
	if len(b.pos) == 0 {
		b.pos = append(b.pos, -1) // id 0 stays invalid
	}
	b.pos = append(b.pos, -1)
	return Label{len(b.pos) - 1}
}

// Bind places l at the next instruction emitted.
func (b *Builder) Bind(l Label) {
	if l.id <= 0 || l.id >= len(b.pos) {
		b.fail(fmt.Errorf("bind label: unknown label %d", l.id))
		return
	}
	if b.pos[l.id] >= 0 {
		b.fail(fmt.Errorf("bind label: label %d bound twice", l.id))
		return
	}
	b.pos[l.id] = len(b.insns)
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Len is the number of instructions emitted so far.
func (b *Builder) Len() int { return len(b.insns) }

// Emit appends a non-jump instruction.
func (b *Builder) Emit(code uint16, k uint32) {
	if Class(code) == ClassJMP {
		b.fail(fmt.Errorf("emit instruction: %#x is a jump, use Jump", code))
	}
	b.insns = append(b.insns, Insn{Code: code, K: k})
}

// LoadAbs loads the 32-bit word at offset off into A.
func (b *Builder) LoadAbs(off uint32) { b.Emit(LdAbsW, off) }

// And masks A with k.
func (b *Builder) And(k uint32) { b.Emit(AluAndK, k) }

// Ret returns k.
func (b *Builder) Ret(k uint32) { b.Emit(RetK, k) }

// Jump emits a conditional jump on A op k: to t when true, else to f.
// op is JEQ, JGT, JGE or JSET.
func (b *Builder) Jump(op uint16, k uint32, t, f Label) {
	b.insns = append(b.insns, Insn{Code: ClassJMP | op | SrcK, K: k, Jt: t.id, Jf: f.id})
}

// Goto emits an unconditional jump to l.
func (b *Builder) Goto(l Label) {
	b.insns = append(b.insns, Insn{Code: JmpA, Jt: l.id})
}

// Program resolves labels into absolute indices.
func (b *Builder) Program() (Program, error) {
	if b.err != nil {
		return nil, b.err
	}
	p := make(Program, len(b.insns))
	copy(p, b.insns)
	resolve := func(pc, id int) (int, error) {
		if id <= 0 || id >= len(b.pos) || b.pos[id] < 0 {
			return 0, fmt.Errorf("resolve labels: instruction %d jumps to unbound label %d", pc, id)
		}
		return b.pos[id], nil
	}
	var err error
	for pc := range p {
		in := &p[pc]
		if Class(in.Code) != ClassJMP {
			continue
		}
		if in.Jt, err = resolve(pc, in.Jt); err != nil {
			return nil, err
		}
		if IsCondJump(in.Code) {
			if in.Jf, err = resolve(pc, in.Jf); err != nil {
				return nil, err
			}
		}
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("resolve labels: %w", err)
	}
	return p, nil
}
