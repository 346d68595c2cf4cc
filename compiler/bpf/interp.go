package bpf

import (
	"encoding/binary"
	"fmt"
)

// SeccompDataSize is sizeof(struct seccomp_data).
const SeccompDataSize = 64

// Validate applies the kernel's checks (bpf_check_classic and
// seccomp_check_filter): length, opcodes seccomp allows, aligned loads
// inside struct seccomp_data, jumps inside the program, a final RET.
func Validate(r []RawInsn) error {
	if len(r) == 0 || len(r) > MaxInstructions {
		return fmt.Errorf("validate program: %d instructions, want 1 to %d", len(r), MaxInstructions)
	}
	for pc, in := range r {
		switch in.Code {
		case LdAbsW:
			if in.K >= SeccompDataSize || in.K&3 != 0 {
				return fmt.Errorf("validate program: instruction %d loads offset %d outside struct seccomp_data or unaligned", pc, in.K)
			}
		case ClassLD | SizeW | ModeLEN, ClassLDX | SizeW | ModeLEN,
			RetK, ClassRET | SrcA,
			ClassLD | ModeIMM, ClassLDX | ModeIMM,
			ClassMISC | MiscTAX, ClassMISC | MiscTXA:
		case ClassLD | ModeMEM, ClassLDX | ModeMEM, ClassST, ClassSTX:
			if in.K >= 16 {
				return fmt.Errorf("validate program: instruction %d uses scratch slot %d of 16", pc, in.K)
			}
		case JmpA:
			if uint64(pc)+1+uint64(in.K) >= uint64(len(r)) {
				return fmt.Errorf("validate program: instruction %d jumps past the end", pc)
			}
		default:
			switch Class(in.Code) {
			case ClassALU:
				op := in.Code & 0xf0
				switch op {
				case OpAdd, OpSub, OpMul, OpDiv, OpAnd, OpOr, OpXor, OpLsh, OpRsh, OpNeg:
				default:
					return fmt.Errorf("validate program: instruction %d: ALU op %#x not allowed in seccomp", pc, in.Code)
				}
				if in.Code&SrcX == 0 && op == OpDiv && in.K == 0 {
					return fmt.Errorf("validate program: instruction %d divides by zero", pc)
				}
				if in.Code&SrcX == 0 && (op == OpLsh || op == OpRsh) && in.K >= 32 {
					return fmt.Errorf("validate program: instruction %d shifts by %d", pc, in.K)
				}
			case ClassJMP:
				switch in.Code & 0xf0 {
				case JEQ, JGT, JGE, JSET:
				default:
					return fmt.Errorf("validate program: instruction %d: jump %#x not allowed", pc, in.Code)
				}
				if pc+1+int(max(in.Jt, in.Jf)) >= len(r) {
					return fmt.Errorf("validate program: instruction %d jumps past the end", pc)
				}
			default:
				return fmt.Errorf("validate program: instruction %d: opcode %#x not allowed in seccomp", pc, in.Code)
			}
		}
	}
	if Class(r[len(r)-1].Code) != ClassRET {
		return fmt.Errorf("validate program: last instruction is not a return")
	}
	return nil
}

// Data is struct seccomp_data as the filter sees it.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// Bytes lays d out as the kernel does: in the byte order of the machine
// running the filter, which the audit arch value names (__AUDIT_ARCH_LE).
func (d Data) Bytes() [SeccompDataSize]byte {
	var b [SeccompDataSize]byte
	var o binary.ByteOrder = binary.LittleEndian
	if d.Arch&0x40000000 == 0 {
		o = binary.BigEndian
	}
	o.PutUint32(b[0:], uint32(d.Nr))
	o.PutUint32(b[4:], d.Arch)
	o.PutUint64(b[8:], d.IP)
	for i, a := range d.Args {
		o.PutUint64(b[16+8*i:], a)
	}
	return b
}

// Run executes a validated program on d with the kernel's classic BPF
// semantics and returns the filter's return value and how many
// instructions ran.
func Run(r []RawInsn, d Data) (ret uint32, executed int, err error) {
	if err := Validate(r); err != nil {
		return 0, 0, err
	}
	return run(r, d.Bytes())
}

func run(r []RawInsn, data [SeccompDataSize]byte) (uint32, int, error) {
	var a, x uint32
	var mem [16]uint32
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.LittleEndian.Uint32(data[4:])&0x40000000 == 0 {
		order = binary.BigEndian
	}
	n := 0
	for pc := 0; pc < len(r); pc++ {
		in := r[pc]
		n++
		switch Class(in.Code) {
		case ClassLD:
			switch in.Code &^ 0x07 {
			case ModeABS:
				a = order.Uint32(data[in.K:])
			case ModeLEN:
				a = SeccompDataSize
			case ModeIMM:
				a = in.K
			case ModeMEM:
				a = mem[in.K]
			}
		case ClassLDX:
			switch in.Code &^ 0x07 {
			case ModeLEN:
				x = SeccompDataSize
			case ModeIMM:
				x = in.K
			case ModeMEM:
				x = mem[in.K]
			}
		case ClassST:
			mem[in.K] = a
		case ClassSTX:
			mem[in.K] = x
		case ClassALU:
			v := in.K
			if in.Code&SrcX != 0 {
				v = x
			}
			switch in.Code & 0xf0 {
			case OpAdd:
				a += v
			case OpSub:
				a -= v
			case OpMul:
				a *= v
			case OpDiv:
				if v == 0 {
					// The kernel's classic BPF ends the program with 0.
					return 0, n, nil
				}
				a /= v
			case OpAnd:
				a &= v
			case OpOr:
				a |= v
			case OpXor:
				a ^= v
			case OpLsh:
				a <<= v & 31
			case OpRsh:
				a >>= v & 31
			case OpNeg:
				a = -a
			}
		case ClassJMP:
			if IsJA(in.Code) {
				pc += int(in.K)
				continue
			}
			v := in.K
			if in.Code&SrcX != 0 {
				v = x
			}
			var ok bool
			switch in.Code & 0xf0 {
			case JEQ:
				ok = a == v
			case JGT:
				ok = a > v
			case JGE:
				ok = a >= v
			case JSET:
				ok = a&v != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case ClassRET:
			if in.Code&SrcA != 0 {
				return a, n, nil
			}
			return in.K, n, nil
		case ClassMISC:
			if in.Code&0xf8 == MiscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return 0, n, fmt.Errorf("run program: fell off the end")
}

// Machine is a validated program, ready to run many times.
type Machine struct{ prog []RawInsn }

// NewMachine validates r once so Run can skip it.
func NewMachine(r []RawInsn) (*Machine, error) {
	if err := Validate(r); err != nil {
		return nil, err
	}
	return &Machine{prog: r}, nil
}

// Run executes the program on d; see the package-level Run. It reads
// words instead of bytes: every load seccomp allows is an aligned word.
func (m *Machine) Run(d Data) (uint32, int, error) { return runWords(m.prog, d.words()) }

// words is struct seccomp_data as 16 words the way loads see them: the
// byte order only decides which word holds which half of an argument.
func (d Data) words() [SeccompDataSize / 4]uint32 {
	var w [SeccompDataSize / 4]uint32
	w[0], w[1] = uint32(d.Nr), d.Arch
	lo, hi := 0, 1
	if d.Arch&0x40000000 == 0 {
		lo, hi = 1, 0
	}
	w[2+lo], w[2+hi] = uint32(d.IP), uint32(d.IP>>32)
	for i, a := range d.Args {
		w[4+2*i+lo], w[4+2*i+hi] = uint32(a), uint32(a>>32)
	}
	return w
}

// runWords is run for validated programs on pre-split words.
func runWords(r []RawInsn, w [SeccompDataSize / 4]uint32) (uint32, int, error) {
	var a, x uint32
	var mem [16]uint32
	n := 0
	for pc := 0; pc < len(r); pc++ {
		in := r[pc]
		n++
		switch in.Code {
		case LdAbsW:
			a = w[in.K/4]
			continue
		case JeqK, JgtK, JgeK, JsetK:
			var ok bool
			switch in.Code {
			case JeqK:
				ok = a == in.K
			case JgtK:
				ok = a > in.K
			case JgeK:
				ok = a >= in.K
			default:
				ok = a&in.K != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
			continue
		case RetK:
			return in.K, n, nil
		case JmpA:
			pc += int(in.K)
			continue
		}
		switch Class(in.Code) {
		case ClassLD:
			switch in.Code &^ 0x07 {
			case ModeLEN:
				a = SeccompDataSize
			case ModeIMM:
				a = in.K
			case ModeMEM:
				a = mem[in.K]
			}
		case ClassLDX:
			switch in.Code &^ 0x07 {
			case ModeLEN:
				x = SeccompDataSize
			case ModeIMM:
				x = in.K
			case ModeMEM:
				x = mem[in.K]
			}
		case ClassST:
			mem[in.K] = a
		case ClassSTX:
			mem[in.K] = x
		case ClassALU:
			v := in.K
			if in.Code&SrcX != 0 {
				v = x
			}
			switch in.Code & 0xf0 {
			case OpAdd:
				a += v
			case OpSub:
				a -= v
			case OpMul:
				a *= v
			case OpDiv:
				if v == 0 {
					return 0, n, nil
				}
				a /= v
			case OpAnd:
				a &= v
			case OpOr:
				a |= v
			case OpXor:
				a ^= v
			case OpLsh:
				a <<= v & 31
			case OpRsh:
				a >>= v & 31
			case OpNeg:
				a = -a
			}
		case ClassJMP:
			v := x
			var ok bool
			switch in.Code & 0xf0 {
			case JEQ:
				ok = a == v
			case JGT:
				ok = a > v
			case JGE:
				ok = a >= v
			case JSET:
				ok = a&v != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case ClassRET:
			return a, n, nil
		case ClassMISC:
			if in.Code&0xf8 == MiscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return 0, n, fmt.Errorf("run program: fell off the end")
}
