//go:build cgo

package libseccomp

import (
	"encoding/binary"
	"fmt"

	"github.com/profilec/profilec/compiler/plan"
)

// This is a seccomp-BPF interpreter written from the kernel's rules
// (net/core/filter.c bpf_check_classic, kernel/seccomp.c
// seccomp_check_filter) and nothing else, so that it shares no code and no
// assumptions with the compiler's own interpreter: two independent
// interpreters agreeing is the point.

// Classic BPF opcode fields (linux/filter.h, linux/bpf_common.h).
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07

	sizeW = 0x00

	modeIMM, modeABS, modeMEM, modeLEN = 0x00, 0x20, 0x60, 0x80

	srcK, srcX = 0x00, 0x08

	aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluNEG, aluMOD, aluXOR = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0

	jmpJA, jmpJEQ, jmpJGT, jmpJGE, jmpJSET = 0x00, 0x10, 0x20, 0x30, 0x40

	retK, retA = 0x00, 0x10

	miscTAX, miscTXA = 0x00, 0x80

	maxInsns        = 4096 // BPF_MAXINSNS
	seccompDataSize = 64   // sizeof(struct seccomp_data)
	memWords        = 16   // BPF_MEMWORDS
)

// input is struct seccomp_data.
type input struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

// bytes lays d out as the kernel does on a little-endian machine.
func (d input) bytes() [seccompDataSize]byte {
	var b [seccompDataSize]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(d.nr))
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	binary.LittleEndian.PutUint64(b[8:], d.ip)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// trace is what one run did.
type trace struct {
	ret      uint32
	executed int  // instructions executed, the RET included
	argLoad  bool // the path read an argument or the instruction pointer
}

// checkProgram applies the kernel's load-time checks, so that a program our
// interpreter runs is one the kernel would accept.
func checkProgram(prog []plan.Instruction) error {
	if len(prog) == 0 || len(prog) > maxInsns {
		return fmt.Errorf("check program: length %d not in 1..%d", len(prog), maxInsns)
	}
	for pc, in := range prog {
		bad := func(why string) error {
			return fmt.Errorf("check program: instruction %d %s: %s", pc, fmtInsn(in), why)
		}
		switch in.Code & 0x07 {
		case clsLD:
			switch in.Code {
			case clsLD | sizeW | modeABS:
				if in.K%4 != 0 || in.K >= seccompDataSize {
					return bad("load outside struct seccomp_data or misaligned")
				}
			case clsLD | sizeW | modeLEN, clsLD | modeIMM:
			case clsLD | modeMEM:
				if in.K >= memWords {
					return bad("scratch memory index out of range")
				}
			default:
				return bad("load mode not allowed in seccomp")
			}
		case clsLDX:
			switch in.Code {
			case clsLDX | sizeW | modeLEN, clsLDX | modeIMM:
			case clsLDX | modeMEM:
				if in.K >= memWords {
					return bad("scratch memory index out of range")
				}
			default:
				return bad("load mode not allowed in seccomp")
			}
		case clsST, clsSTX:
			if in.Code&^0x07 != 0 {
				return bad("unknown store")
			}
			if in.K >= memWords {
				return bad("scratch memory index out of range")
			}
		case clsALU:
			switch in.Code & 0xf0 {
			case aluADD, aluSUB, aluMUL, aluOR, aluAND, aluXOR, aluNEG:
			case aluLSH, aluRSH:
				if in.Code&srcX == srcK && in.K >= 32 {
					return bad("constant shift of 32 or more")
				}
			case aluDIV, aluMOD:
				if in.Code&srcX == srcK && in.K == 0 {
					return bad("division by constant zero")
				}
			default:
				return bad("unknown alu op")
			}
		case clsJMP:
			switch in.Code & 0xf0 {
			case jmpJA:
				if uint64(pc)+1+uint64(in.K) >= uint64(len(prog)) {
					return bad("jump past the end")
				}
			case jmpJEQ, jmpJGT, jmpJGE, jmpJSET:
				if pc+1+int(in.Jt) >= len(prog) || pc+1+int(in.Jf) >= len(prog) {
					return bad("jump past the end")
				}
			default:
				return bad("unknown jump")
			}
		case clsRET:
			if in.Code != clsRET|retK && in.Code != clsRET|retA {
				return bad("seccomp returns only K or A")
			}
		case clsMISC:
			if in.Code != clsMISC|miscTAX && in.Code != clsMISC|miscTXA {
				return bad("unknown misc op")
			}
		}
	}
	if last := prog[len(prog)-1]; last.Code&0x07 != clsRET {
		return fmt.Errorf("check program: last instruction %s is not a return", fmtInsn(last))
	}
	return nil
}

// run executes a program that passed checkProgram.
func run(prog []plan.Instruction, d input) (trace, error) {
	data := d.bytes()
	var (
		a, x uint32
		mem  [memWords]uint32
		tr   trace
	)
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		tr.executed++
		k := in.K
		switch in.Code & 0x07 {
		case clsLD, clsLDX:
			var v uint32
			switch in.Code & 0xe0 {
			case modeABS:
				v = binary.LittleEndian.Uint32(data[k:])
				tr.argLoad = tr.argLoad || k >= 8
			case modeLEN:
				v = seccompDataSize
			case modeIMM:
				v = k
			case modeMEM:
				v = mem[k]
			}
			if in.Code&0x07 == clsLD {
				a = v
			} else {
				x = v
			}
		case clsST:
			mem[k] = a
		case clsSTX:
			mem[k] = x
		case clsALU:
			op := k
			if in.Code&srcX == srcX {
				op = x
			}
			switch in.Code & 0xf0 {
			case aluADD:
				a += op
			case aluSUB:
				a -= op
			case aluMUL:
				a *= op
			case aluDIV:
				if op == 0 {
					return tr, nil // the kernel returns 0 (KILL_THREAD) on division by zero
				}
				a /= op
			case aluMOD:
				if op == 0 {
					return tr, nil
				}
				a %= op
			case aluOR:
				a |= op
			case aluAND:
				a &= op
			case aluLSH:
				a <<= op
			case aluRSH:
				a >>= op
			case aluXOR:
				a ^= op
			case aluNEG:
				a = -a
			}
		case clsJMP:
			if in.Code&0xf0 == jmpJA {
				pc += int(k)
				continue
			}
			op := k
			if in.Code&srcX == srcX {
				op = x
			}
			var cond bool
			switch in.Code & 0xf0 {
			case jmpJEQ:
				cond = a == op
			case jmpJGT:
				cond = a > op
			case jmpJGE:
				cond = a >= op
			case jmpJSET:
				cond = a&op != 0
			}
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case clsRET:
			if in.Code == clsRET|retA {
				tr.ret = a
			} else {
				tr.ret = k
			}
			return tr, nil
		case clsMISC:
			if in.Code == clsMISC|miscTAX {
				x = a
			} else {
				a = x
			}
		}
	}
	return tr, fmt.Errorf("run program: fell off the end after %d instructions", tr.executed)
}

// constAllow is the kernel's seccomp_is_const_allow (kernel/seccomp.c, Linux
// 5.11+): the action cache serves (arch, nr) without running the filter only
// if this symbolic walk, which knows nr and arch but not the arguments,
// reaches RET ALLOW.
func constAllow(prog []plan.Instruction, arch uint32, nr int32) bool {
	var reg uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case clsLD | sizeW | modeABS:
			switch in.K {
			case 0:
				reg = uint32(nr)
			case 4:
				reg = arch
			default:
				return false
			}
		case clsRET | retK:
			return in.K == actAllow
		case clsJMP | jmpJA:
			pc += int(in.K)
		case clsJMP | jmpJEQ | srcK, clsJMP | jmpJGE | srcK, clsJMP | jmpJGT | srcK, clsJMP | jmpJSET | srcK:
			var res bool
			switch in.Code & 0xf0 {
			case jmpJEQ:
				res = reg == in.K
			case jmpJGE:
				res = reg >= in.K
			case jmpJGT:
				res = reg > in.K
			case jmpJSET:
				res = reg&in.K != 0
			}
			if res {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case clsALU | aluAND | srcK:
			reg &= in.K
		default:
			return false
		}
	}
	return false
}

// cacheable lists the numbers 0..maxNr of arch that constAllow admits.
func cacheable(prog []plan.Instruction, arch uint32, maxNr int) []int {
	var out []int
	for nr := 0; nr <= maxNr; nr++ {
		if constAllow(prog, arch, int32(nr)) {
			out = append(out, nr)
		}
	}
	return out
}

// Seccomp return values (linux/seccomp.h).
const (
	actKillProcess = 0x80000000
	actKillThread  = 0x00000000
	actTrap        = 0x00030000
	actErrno       = 0x00050000
	actUserNotif   = 0x7fc00000
	actTrace       = 0x7ff00000
	actLog         = 0x7ffc0000
	actAllow       = 0x7fff0000
	actFull        = 0xffff0000
)

// fmtAction spells a seccomp return value.
func fmtAction(r uint32) string {
	data := r & 0xffff
	switch r & actFull {
	case actKillProcess:
		return "KILL_PROCESS"
	case actKillThread:
		return "KILL_THREAD"
	case actTrap:
		return fmt.Sprintf("TRAP(%d)", data)
	case actErrno:
		return fmt.Sprintf("ERRNO(%d)", data)
	case actUserNotif:
		return "NOTIFY"
	case actTrace:
		return fmt.Sprintf("TRACE(%d)", data)
	case actLog:
		return "LOG"
	case actAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("0x%08x", r)
}

func fmtInsn(in plan.Instruction) string {
	return fmt.Sprintf("{0x%02x %d %d 0x%08x}", in.Code, in.Jt, in.Jf, in.K)
}
