//go:build cgo

package libseccomp

import (
	"encoding/binary"
	"slices"

	"github.com/profilec/profilec/schema"
)

// genProfile turns fuzz bytes into a small profile: a few rules over a pool
// of syscalls that includes arg-filtered ones, x86-only ones, a name
// libseccomp 2.5.4 does not know and one nobody knows; every action and op;
// boundary values. Running out of bytes reads zeros, so every input makes
// a profile.
func genProfile(data []byte) *schema.ResolvedSeccomp {
	r := &byteReader{b: data}
	s := &schema.ResolvedSeccomp{Enabled: true}
	s.Architectures = [][]string{
		{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
		{"SCMP_ARCH_X86_64"},
		{"SCMP_ARCH_X86"},
		{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"},
		{"SCMP_ARCH_X86_64", "SCMP_ARCH_X32"},
		{"SCMP_ARCH_X32"},
		nil,
	}[r.pick(7)]
	s.DefaultAction, s.DefaultErrnoRet = r.action()
	for range 1 + r.pick(8) {
		var rule schema.SyscallRule
		for range 1 + r.pick(3) {
			rule.Names = append(rule.Names, genNames[r.pick(len(genNames))])
		}
		rule.Action, rule.ErrnoRet = r.action()
		for range r.pick(4) {
			a := schema.Arg{Op: genOps[r.pick(len(genOps))]}
			if r.pick(2) == 0 {
				a.Index = uint(r.pick(3)) // repeats an index often: runc's OR split
			} else {
				a.Index = uint(r.pick(6))
			}
			a.Value = r.value()
			if a.Op == "SCMP_CMP_MASKED_EQ" {
				a.ValueTwo = r.value()
			}
			rule.Args = append(rule.Args, a)
		}
		s.Syscalls = append(s.Syscalls, rule)
	}
	return s
}

// Changing genNames or the other pools changes the profile every committed
// input under testdata/fuzz stands for, and those inputs were kept for the
// libseccomp defects their profiles show.
var genNames = []string{
	"read", "write", "open", "close", "personality", "socket", "clone", "ioctl",
	"kill", "mmap", "futex", "getpid", "_llseek", "socketcall", "rt_sigaction",
	"mseal", "no_such_syscall",
}

var genOps = []string{
	"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
}

var genActions = []string{
	"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
	"SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
}

var genErrnos = []uint{0, 1, 13, 38, 4094}

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) pick(n int) int { return int(r.byte()) % n }

func (r *byteReader) action() (string, *uint) {
	act := genActions[r.pick(len(genActions))]
	if act != "SCMP_ACT_ERRNO" && act != "SCMP_ACT_TRACE" {
		return act, nil
	}
	if r.pick(2) == 0 {
		return act, nil
	}
	e := genErrnos[r.pick(len(genErrnos))]
	return act, &e
}

func (r *byteReader) value() uint64 {
	if c := r.pick(4); c < 3 {
		return boundaryValues[r.pick(len(boundaryValues))] + uint64(r.pick(3)) - 1
	}
	var b [8]byte
	for i := range b {
		b[i] = r.byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

// mutateProfile applies up to eight mutations read from data to s: a rule's
// action, errno, first argument's value or op changes, a rule loses its
// arguments or its first name, or the default action changes.
func mutateProfile(s *schema.ResolvedSeccomp, data []byte) {
	r := &byteReader{b: data}
	for range min(8, len(data)/3) {
		if len(s.Syscalls) == 0 {
			return
		}
		i := (int(r.byte())<<8 | int(r.byte())) % len(s.Syscalls)
		rule := &s.Syscalls[i]
		switch r.pick(6) {
		case 0:
			rule.Action, rule.ErrnoRet = r.action()
		case 1:
			if len(rule.Args) > 0 {
				rule.Args = slices.Clone(rule.Args)
				rule.Args[0].Value = r.value()
			}
		case 2:
			if len(rule.Args) > 0 {
				rule.Args = slices.Clone(rule.Args)
				rule.Args[0].Op = genOps[r.pick(len(genOps))]
			}
		case 3:
			rule.Args = nil
		case 4:
			if len(rule.Names) > 1 {
				rule.Names = rule.Names[1:]
			}
		case 5:
			s.DefaultAction, s.DefaultErrnoRet = r.action()
		}
	}
}
