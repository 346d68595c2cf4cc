package bpf

import (
	"fmt"
	"strings"
)

// Disassemble lists r one instruction a line, with "Lnnn:" labels on jump
// targets and jumps written as label names. note, if not nil, returns a
// comment for an instruction (a syscall name, an action).
func Disassemble(r []RawInsn, note func(pc int, in RawInsn) string) string {
	target := make([]bool, len(r)+1)
	jt := func(pc int, off uint32) int { return pc + 1 + int(off) }
	for pc, in := range r {
		switch {
		case IsJA(in.Code):
			if t := jt(pc, in.K); t <= len(r) {
				target[t] = true
			}
		case IsCondJump(in.Code):
			target[min(jt(pc, uint32(in.Jt)), len(r))] = true
			target[min(jt(pc, uint32(in.Jf)), len(r))] = true
		}
	}
	var sb strings.Builder
	for pc, in := range r {
		lbl := ""
		if target[pc] {
			lbl = fmt.Sprintf("L%d:", pc)
		}
		text := insnString(pc, in)
		if note != nil {
			if c := note(pc, in); c != "" {
				text = fmt.Sprintf("%-34s ; %s", text, c)
			}
		}
		fmt.Fprintf(&sb, "%-7s %4d  %s\n", lbl, pc, text)
	}
	return sb.String()
}

func insnString(pc int, in RawInsn) string {
	lbl := func(off uint32) string { return fmt.Sprintf("L%d", pc+1+int(off)) }
	src := func() string {
		if in.Code&SrcX != 0 {
			return "x"
		}
		return fmt.Sprintf("#%#x", in.K)
	}
	switch Class(in.Code) {
	case ClassLD:
		switch in.Code &^ 0x07 {
		case ModeABS:
			return fmt.Sprintf("ld   [%d]", in.K)
		case ModeLEN:
			return "ld   #len"
		case ModeIMM:
			return fmt.Sprintf("ld   #%#x", in.K)
		case ModeMEM:
			return fmt.Sprintf("ld   M[%d]", in.K)
		}
	case ClassLDX:
		switch in.Code &^ 0x07 {
		case ModeLEN:
			return "ldx  #len"
		case ModeIMM:
			return fmt.Sprintf("ldx  #%#x", in.K)
		case ModeMEM:
			return fmt.Sprintf("ldx  M[%d]", in.K)
		}
	case ClassST:
		return fmt.Sprintf("st   M[%d]", in.K)
	case ClassSTX:
		return fmt.Sprintf("stx  M[%d]", in.K)
	case ClassALU:
		names := map[uint16]string{OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpOr: "or", OpAnd: "and", OpLsh: "lsh", OpRsh: "rsh", OpNeg: "neg", OpMod: "mod", OpXor: "xor"}
		op := in.Code & 0xf0
		if op == OpNeg {
			return "neg"
		}
		return fmt.Sprintf("%-4s %s", names[op], src())
	case ClassJMP:
		if IsJA(in.Code) {
			return "ja   " + lbl(in.K)
		}
		names := map[uint16]string{JEQ: "jeq", JGT: "jgt", JGE: "jge", JSET: "jset"}
		return fmt.Sprintf("%-4s %s, %s, %s", names[in.Code&0xf0], src(), lbl(uint32(in.Jt)), lbl(uint32(in.Jf)))
	case ClassRET:
		if in.Code&SrcA != 0 {
			return "ret  a"
		}
		return fmt.Sprintf("ret  #%#x", in.K)
	case ClassMISC:
		if in.Code&0xf8 == MiscTXA {
			return "txa"
		}
		return "tax"
	}
	return fmt.Sprintf(".word %#04x, %d, %d, %#x", in.Code, in.Jt, in.Jf, in.K)
}
