package compiler

import (
	"fmt"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema/systab"
)

// What the accumulator holds on a path, for the disassembler's notes.
const (
	accUnknown = iota
	accNr
	accArch
	accArg
)

type accState struct {
	valid bool
	acc   int
	arch  uint32 // audit value known on this path, 0 if not
	mixed bool   // paths with different arches meet here
}

func (s accState) merge(o accState) accState {
	if !s.valid {
		return o
	}
	if !o.valid {
		return s
	}
	if s.acc != o.acc {
		s.acc = accUnknown
	}
	if s.arch != o.arch || o.mixed {
		s.mixed = true
	}
	return s
}

// Disassemble lists prog with labels, syscall names of the archs (any
// spelling) next to comparisons of the syscall number, the fields loads
// read, and the actions returns give.
func Disassemble(prog []plan.Instruction, archs []string) string {
	r := fromPlan(prog)
	var known []systab.Arch
	for _, n := range archs {
		if a, ok := systab.LookupArch(n); ok {
			known = append(known, a)
		}
	}
	archName := func(audit uint32) string {
		for _, a := range systab.Arches() {
			if a.Audit == audit && a.NrBits == 0 {
				return a.Short
			}
		}
		return ""
	}
	nameOf := func(audit, nr uint32) string {
		for _, a := range known {
			if a.Audit != audit {
				continue
			}
			lo, hi := archSplit(a)
			if nr < lo || nr > hi {
				continue
			}
			if n, ok := systab.SyscallName(a.Name, int(nr)); ok {
				return n
			}
		}
		return ""
	}
	// Jumps only go forward, so one pass in order sees every
	// predecessor of an instruction before the instruction.
	st := make([]accState, len(r)+1)
	if len(r) > 0 {
		st[0] = accState{valid: true}
	}
	notes := make([]string, len(r))
	for pc, in := range r {
		s := st[pc]
		flow := func(to int, ns accState) {
			if to < len(st) {
				st[to] = st[to].merge(ns)
			}
		}
		out := s
		switch {
		case in.Code == bpf.LdAbsW:
			switch {
			case in.K == offNr:
				out.acc, notes[pc] = accNr, "nr"
			case in.K == offArch:
				out.acc, notes[pc] = accArch, "arch"
			case in.K >= 16:
				out.acc = accArg
				half := "lo"
				be := s.arch != 0 && !s.mixed && s.arch&0x40000000 == 0
				if (in.K%8 == 4) != be {
					half = "hi"
				}
				notes[pc] = fmt.Sprintf("arg%d %s", (in.K-16)/8, half)
			case in.K == 8:
				out.acc, notes[pc] = accUnknown, "instruction_pointer lo/hi"
			}
			flow(pc+1, out)
		case in.Code == bpf.RetK:
			notes[pc] = ActionString(in.K)
		case bpf.IsJA(in.Code):
			flow(pc+1+int(in.K), s)
		case bpf.IsCondJump(in.Code):
			t, f := s, s
			if s.acc == accArch && in.Code == bpf.JeqK {
				t.arch, t.mixed = in.K, false
				notes[pc] = archName(in.K)
			}
			if s.acc == accNr && !s.mixed && s.arch != 0 && in.Code&bpf.SrcX == 0 {
				if n := nameOf(s.arch, in.K); n != "" {
					switch in.Code {
					case bpf.JgeK:
						notes[pc] = "nr >= " + n
					case bpf.JgtK:
						notes[pc] = "nr > " + n
					default:
						notes[pc] = n
					}
				}
			}
			flow(pc+1+int(in.Jt), t)
			flow(pc+1+int(in.Jf), f)
		default:
			if bpf.Class(in.Code) == bpf.ClassALU || bpf.Class(in.Code) == bpf.ClassMISC {
				out.acc = accUnknown
				if s.acc == accArg {
					out.acc = accArg
				}
			}
			flow(pc+1, out)
		}
	}
	return bpf.Disassemble(r, func(pc int, _ bpf.RawInsn) string { return notes[pc] })
}
