package bpf

import (
	"fmt"

	xbpf "golang.org/x/net/bpf"
)

// Opcodes of the classic BPF subset seccomp accepts (linux/filter.h).
const (
	ClassLD   = 0x00
	ClassLDX  = 0x01
	ClassST   = 0x02
	ClassSTX  = 0x03
	ClassALU  = 0x04
	ClassJMP  = 0x05
	ClassRET  = 0x06
	ClassMISC = 0x07

	SizeW   = 0x00
	ModeIMM = 0x00
	ModeABS = 0x20
	ModeMEM = 0x60
	ModeLEN = 0x80

	SrcK = 0x00
	SrcX = 0x08
	SrcA = 0x10 // BPF_RET | BPF_A

	OpAdd = 0x00
	OpSub = 0x10
	OpMul = 0x20
	OpDiv = 0x30
	OpOr  = 0x40
	OpAnd = 0x50
	OpLsh = 0x60
	OpRsh = 0x70
	OpNeg = 0x80
	OpMod = 0x90
	OpXor = 0xa0

	JA   = 0x00
	JEQ  = 0x10
	JGT  = 0x20
	JGE  = 0x30
	JSET = 0x40

	MiscTAX = 0x00
	MiscTXA = 0x80

	// Common full opcodes.
	LdAbsW  = ClassLD | SizeW | ModeABS
	RetK    = ClassRET | SrcK
	JmpA    = ClassJMP | JA
	JeqK    = ClassJMP | JEQ | SrcK
	JgtK    = ClassJMP | JGT | SrcK
	JgeK    = ClassJMP | JGE | SrcK
	JsetK   = ClassJMP | JSET | SrcK
	AluAndK = ClassALU | OpAnd | SrcK
)

// MaxInstructions is BPF_MAXINSNS: the kernel refuses longer programs.
const MaxInstructions = 4096

// MaxCondJump is how far a conditional jump reaches (an 8-bit offset).
const MaxCondJump = 255

// Class returns the instruction class of code.
func Class(code uint16) uint16 { return code & 0x07 }

// IsCondJump reports whether code is a conditional jump.
func IsCondJump(code uint16) bool { return Class(code) == ClassJMP && code&0xf0 != JA }

// IsJA reports whether code is the unconditional jump.
func IsJA(code uint16) bool { return Class(code) == ClassJMP && code&0xf0 == JA }

// Insn is one instruction whose jumps name absolute instruction indices
// instead of 8-bit offsets, so passes can move code without caring about
// reach; Assemble turns it into real offsets. For JA, Jt is the target.
type Insn struct {
	Code uint16
	K    uint32
	Jt   int
	Jf   int
}

// Program is a program of Insns; jumps only go forward.
type Program []Insn

// Targets returns the successors of instruction pc: none for RET.
func (p Program) Targets(pc int) []int {
	in := p[pc]
	switch {
	case Class(in.Code) == ClassRET:
		return nil
	case IsJA(in.Code):
		return []int{in.Jt}
	case IsCondJump(in.Code):
		return []int{in.Jt, in.Jf}
	default:
		return []int{pc + 1}
	}
}

// Check verifies that every jump goes forward to an existing instruction
// and that the program ends in a RET, so passes can rely on it.
func (p Program) Check() error {
	if len(p) == 0 {
		return fmt.Errorf("check program: empty")
	}
	for pc := range p {
		for _, t := range p.Targets(pc) {
			if t <= pc || t >= len(p) {
				return fmt.Errorf("check program: instruction %d jumps to %d outside (%d, %d)", pc, t, pc, len(p))
			}
		}
	}
	if Class(p[len(p)-1].Code) != ClassRET {
		return fmt.Errorf("check program: last instruction is not a return")
	}
	return nil
}

// toXBPF converts resolved instructions to x/net/bpf's types, so the
// final encoding comes from its assembler rather than from ours.
func toXBPF(r []RawInsn) ([]xbpf.Instruction, error) {
	out := make([]xbpf.Instruction, len(r))
	for i, in := range r {
		out[i] = xbpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}.Disassemble()
		if _, ok := out[i].(xbpf.RawInstruction); ok {
			return nil, fmt.Errorf("convert instruction %d: opcode %#x has no x/net/bpf form", i, in.Code)
		}
	}
	return out, nil
}

// RawInsn is one struct sock_filter.
type RawInsn struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}
