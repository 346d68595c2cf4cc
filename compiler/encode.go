package compiler

import (
	"encoding/binary"
	"fmt"

	"github.com/profilec/profilec/compiler/plan"
)

// Encode returns prog as the raw struct sock_filter array the kernel
// takes (seccomp(2), bwrap --seccomp): 8 bytes per instruction in the
// byte order of this machine, which is the one that will load it.
func Encode(prog []plan.Instruction) []byte {
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		out = binary.NativeEndian.AppendUint16(out, in.Code)
		out = append(out, in.Jt, in.Jf)
		out = binary.NativeEndian.AppendUint32(out, in.K)
	}
	return out
}

// Decode is the inverse of Encode.
func Decode(raw []byte) ([]plan.Instruction, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("decode program: %d bytes is not a whole number of 8-byte instructions", len(raw))
	}
	out := make([]plan.Instruction, len(raw)/8)
	for i := range out {
		b := raw[8*i:]
		out[i] = plan.Instruction{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	return out, nil
}
