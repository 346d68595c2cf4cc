package convert

import (
	"encoding/binary"
	"fmt"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/schema"
)

// ToBPF compiles a resolved profile's seccomp filter and writes it raw: an
// array of struct sock_filter (8 bytes each, in the host's byte order), the
// form seccomp(2), bwrap --seccomp FD and `--add-seccomp-fd` take.
func ToBPF(r *schema.Resolved, o compiler.Options) ([]byte, []Note, error) {
	if r == nil || !r.Seccomp.Enabled {
		return nil, nil, fmt.Errorf("write bpf: the profile has no seccomp section")
	}
	prog, err := compiler.CompileSeccomp(&r.Seccomp, r.Target.Arch, o)
	if err != nil {
		return nil, nil, fmt.Errorf("write bpf: %w", err)
	}
	out := make([]byte, 0, 8*len(prog.Instructions))
	for _, in := range prog.Instructions {
		out = binary.NativeEndian.AppendUint16(out, in.Code)
		out = append(out, in.Jt, in.Jf)
		out = binary.NativeEndian.AppendUint32(out, in.K)
	}
	var ns notes
	ns.add("", "compiled for %s: %d instructions; only the seccomp filter is written, the rest of the profile is not part of it", targetString(r.Target), len(prog.Instructions))
	return out, ns, nil
}
