package compiler

import (
	"fmt"
	"slices"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// Options tune a compile.
type Options struct {
	// NoVerify skips checking the program against the IR.
	NoVerify bool
	// NoOptimize emits a plain linear filter (one JEQ per syscall, no
	// passes), as a second lowering the optimised one is tested against.
	NoOptimize bool
}

// Program is a compiled filter and the IR it came from.
type Program struct {
	Instructions []plan.Instruction
	IR           *IR
}

// Offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
)

// CompileSeccomp compiles s into one filter for its target architectures.
func CompileSeccomp(s *schema.ResolvedSeccomp, native string, opts Options) (*Program, error) {
	ir, err := BuildIR(s, native)
	if err != nil {
		return nil, fmt.Errorf("compile seccomp: %w", err)
	}
	var p bpf.Program
	if opts.NoOptimize {
		p, err = lowerLinear(ir)
	} else {
		p, err = lowerTree(ir)
	}
	if err != nil {
		return nil, fmt.Errorf("compile seccomp: %w", err)
	}
	// The passes shrink programs by far less than this factor, so a
	// lowering this long cannot fit; refusing now keeps huge profiles
	// from costing optimiser time.
	if len(p) > 16*bpf.MaxInstructions {
		return nil, fmt.Errorf("compile seccomp: %d instructions before optimisation, the kernel accepts at most %d", len(p), bpf.MaxInstructions)
	}
	if !opts.NoOptimize {
		p = bpf.Optimize(p)
	}
	raw, err := bpf.Assemble(p)
	if err != nil {
		return nil, fmt.Errorf("compile seccomp: %w", err)
	}
	prog := &Program{Instructions: toPlan(raw), IR: ir}
	if !opts.NoVerify {
		if err := Verify(s, prog); err != nil {
			return nil, fmt.Errorf("compile seccomp: %w", err)
		}
	}
	return prog, nil
}

func toPlan(r []bpf.RawInsn) []plan.Instruction {
	out := make([]plan.Instruction, len(r))
	for i, in := range r {
		out[i] = plan.Instruction{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return out
}

func fromPlan(p []plan.Instruction) []bpf.RawInsn {
	out := make([]bpf.RawInsn, len(p))
	for i, in := range p {
		out[i] = bpf.RawInsn{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return out
}

// emitter holds what both lowerings share: one return block per distinct
// action, emitted once at the end.
type emitter struct {
	b bpf.Builder
	// plain turns off searching runs of rules, for the linear lowering.
	plain bool
	rets  map[uint32]bpf.Label
	keys  []uint32
	// local, when set, holds return blocks placed right after the code
	// being emitted, within reach of its conditional jumps.
	local     map[uint32]bpf.Label
	localKeys []uint32
}

// withLocalRets emits f's code followed by the return blocks it uses.
func (e *emitter) withLocalRets(f func()) {
	e.local, e.localKeys = map[uint32]bpf.Label{}, nil
	f()
	local, keys := e.local, e.localKeys
	e.local, e.localKeys = nil, nil
	for _, k := range keys {
		e.b.Bind(local[k])
		e.b.Ret(k)
	}
}

func newEmitter() *emitter { return &emitter{rets: map[uint32]bpf.Label{}} }

func (e *emitter) ret(action uint32) bpf.Label {
	if e.local != nil {
		l, ok := e.local[action]
		if !ok {
			l = e.b.NewLabel()
			e.local[action] = l
			e.localKeys = append(e.localKeys, action)
		}
		return l
	}
	l, ok := e.rets[action]
	if !ok {
		l = e.b.NewLabel()
		e.rets[action] = l
		e.keys = append(e.keys, action)
	}
	return l
}

func (e *emitter) finish() (bpf.Program, error) {
	for _, k := range e.keys {
		e.b.Bind(e.rets[k])
		e.b.Ret(k)
	}
	return e.b.Program()
}

// archGroups groups the targets by audit value, keeping target order.
func archGroups(ir *IR) [][]*ArchIR {
	var groups [][]*ArchIR
	for _, a := range ir.Arches {
		i := slices.IndexFunc(groups, func(g []*ArchIR) bool { return g[0].Arch.Audit == a.Arch.Audit })
		if i < 0 {
			groups = append(groups, []*ArchIR{a})
		} else {
			groups[i] = append(groups[i], a)
		}
	}
	return groups
}

// dispatch emits the architecture check and returns one label per group.
func (e *emitter) dispatch(ir *IR, groups [][]*ArchIR) []bpf.Label {
	e.b.LoadAbs(offArch)
	labels := make([]bpf.Label, len(groups))
	for i, g := range groups {
		labels[i] = e.b.NewLabel()
		next := e.b.NewLabel()
		if i == len(groups)-1 {
			next = e.ret(ir.BadArch)
		}
		e.b.Jump(bpf.JEQ, g[0].Arch.Audit, labels[i], next)
		if i < len(groups)-1 {
			e.b.Bind(next)
		}
	}
	return labels
}

// argOffsets returns where the low and high halves of argument i live.
func argOffsets(a systab.Arch, i int) (lo, hi uint32) {
	base := uint32(16 + 8*i)
	if a.Audit&0x40000000 == 0 { // big-endian
		return base + 4, base
	}
	return base, base + 4
}

// argBlock emits the argument rules of s and jumps to the verdicts.
func (e *emitter) argBlock(a *ArchIR, s *SyscallIR) {
	for i := 0; i < len(s.Rules); i++ {
		r := s.Rules[i]
		if j := runEnd(s.Rules, i); !e.plain && j-i >= 3 {
			next := e.b.NewLabel()
			e.runBlock(a, s.Rules[i:j], next)
			e.b.Bind(next)
			i = j - 1
			continue
		}
		next := e.b.NewLabel()
		for ci, c := range r.Conds {
			ok := e.b.NewLabel()
			if ci == len(r.Conds)-1 {
				ok = e.ret(r.Action)
			}
			e.cond(a.Arch, c, ok, next)
			if ci < len(r.Conds)-1 {
				e.b.Bind(ok)
			}
		}
		e.b.Bind(next)
	}
	e.b.Goto(e.ret(s.Else.Action))
}

// cond emits one comparison: to ok when it holds, else to fail. 64-bit
// values are compared high half first, as libseccomp does.
func (e *emitter) cond(a systab.Arch, c Cond, ok, fail bpf.Label) {
	b := &e.b
	loOff, hiOff := argOffsets(a, c.Arg)
	vlo, vhi := uint32(c.Value), uint32(c.Value>>32)
	if a.Bits == 32 {
		b.LoadAbs(loOff)
		switch c.Op {
		case "SCMP_CMP_EQ":
			b.Jump(bpf.JEQ, vlo, ok, fail)
		case "SCMP_CMP_NE":
			b.Jump(bpf.JEQ, vlo, fail, ok)
		case "SCMP_CMP_GT":
			b.Jump(bpf.JGT, vlo, ok, fail)
		case "SCMP_CMP_GE":
			b.Jump(bpf.JGE, vlo, ok, fail)
		case "SCMP_CMP_LT":
			b.Jump(bpf.JGE, vlo, fail, ok)
		case "SCMP_CMP_LE":
			b.Jump(bpf.JGT, vlo, fail, ok)
		case "SCMP_CMP_MASKED_EQ":
			b.And(uint32(c.Mask))
			b.Jump(bpf.JEQ, vlo, ok, fail)
		}
		return
	}
	lo := b.NewLabel()
	switch c.Op {
	case "SCMP_CMP_EQ", "SCMP_CMP_NE":
		t, f := ok, fail
		if c.Op == "SCMP_CMP_NE" {
			t, f = fail, ok
		}
		b.LoadAbs(hiOff)
		b.Jump(bpf.JEQ, vhi, lo, f)
		b.Bind(lo)
		b.LoadAbs(loOff)
		b.Jump(bpf.JEQ, vlo, t, f)
	case "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_LT", "SCMP_CMP_LE":
		// GT/GE hold when hi > vhi, or hi == vhi and the low halves
		// compare; LT and LE are their negations.
		t, f := ok, fail
		if c.Op == "SCMP_CMP_LT" || c.Op == "SCMP_CMP_LE" {
			t, f = fail, ok
		}
		op := uint16(bpf.JGT)
		if c.Op == "SCMP_CMP_GE" || c.Op == "SCMP_CMP_LT" {
			op = bpf.JGE
		}
		eq := b.NewLabel()
		b.LoadAbs(hiOff)
		b.Jump(bpf.JGT, vhi, t, eq)
		b.Bind(eq)
		b.Jump(bpf.JEQ, vhi, lo, f)
		b.Bind(lo)
		b.LoadAbs(loOff)
		b.Jump(op, vlo, t, f)
	case "SCMP_CMP_MASKED_EQ":
		mlo, mhi := uint32(c.Mask), uint32(c.Mask>>32)
		if mhi != 0 {
			next := lo
			if mlo == 0 {
				next = ok
			}
			b.LoadAbs(hiOff)
			b.And(mhi)
			b.Jump(bpf.JEQ, vhi, next, fail)
		}
		b.Bind(lo)
		if mlo != 0 {
			b.LoadAbs(loOff)
			b.And(mlo)
			b.Jump(bpf.JEQ, vlo, ok, fail)
		} else {
			b.Goto(ok)
		}
	}
}

// lowerLinear is the plain lowering: per architecture a chain of JEQs,
// one per syscall, the way libseccomp lays out a filter without its tree.
func lowerLinear(ir *IR) (bpf.Program, error) {
	e := newEmitter()
	e.plain = true
	groups := archGroups(ir)
	labels := e.dispatch(ir, groups)
	for gi, g := range groups {
		e.b.Bind(labels[gi])
		e.b.LoadAbs(offNr)
		for ai, a := range g {
			next := e.ret(ir.BadArch)
			if ai < len(g)-1 {
				next = e.b.NewLabel()
			}
			in := e.b.NewLabel()
			if a.Lo > 0 {
				e.b.Jump(bpf.JGE, a.Lo, in, next)
			} else if a.Hi < 0xffffffff && a.Minus1 {
				above := e.b.NewLabel()
				e.b.Jump(bpf.JGT, a.Hi, above, in)
				e.b.Bind(above)
				e.b.Jump(bpf.JEQ, 0xffffffff, in, next)
			} else if a.Hi < 0xffffffff {
				e.b.Jump(bpf.JGT, a.Hi, next, in)
			} else {
				e.b.Goto(in)
			}
			e.b.Bind(in)
			blocks := make([]bpf.Label, len(a.Syscalls))
			for i, s := range a.Syscalls {
				blocks[i] = e.b.NewLabel()
				cont := e.b.NewLabel()
				e.b.Jump(bpf.JEQ, s.Nr, blocks[i], cont)
				e.b.Bind(cont)
			}
			e.b.Goto(e.ret(a.Default))
			for i, s := range a.Syscalls {
				e.b.Bind(blocks[i])
				if len(s.Rules) == 0 {
					e.b.Goto(e.ret(s.Else.Action))
				} else {
					e.argBlock(a, s)
				}
			}
			if ai < len(g)-1 {
				e.b.Bind(next)
			}
		}
	}
	return e.finish()
}
