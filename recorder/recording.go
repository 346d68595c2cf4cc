package recorder

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// Recording is what a command did: how often each syscall was made, and for
// the syscalls Docker constrains by argument, with which values.
type Recording struct {
	// Arches counts the syscalls seen per libseccomp architecture name.
	Arches map[string]uint64
	// Syscalls is keyed by syscall name.
	Syscalls map[string]*Syscall
	// Unknown counts syscalls no table names ("SCMP_ARCH_X86_64 #470"): a
	// profile cannot name them, so they are reported, not written.
	Unknown map[string]uint64
}

// Syscall is one syscall name as recorded.
type Syscall struct {
	Count uint64
	// ArgIndex and Values are set for a constrained syscall (personality,
	// clone, socket): Values maps each argument value seen to its count.
	// Values nil means any value is allowed.
	ArgIndex uint
	Values   map[uint64]uint64
	// Refused is set for clone3, which the recorder answers with ENOSYS
	// (see docs/record.md): the profile refuses it the same way.
	Refused bool
	// NotInBase is set when at least one call was not allowed by the base
	// profile; without a base every call counts as not in it.
	NotInBase bool
}

// NewRecording returns an empty recording.
func NewRecording() *Recording {
	return &Recording{Arches: map[string]uint64{}, Syscalls: map[string]*Syscall{}, Unknown: map[string]uint64{}}
}

// constrainedArg says which argument of name the profile pins to the values
// seen. These are the syscalls Docker's default profile constrains by
// argument; clone's flags are arg 1 on s390 (see the kernel's
// CONFIG_CLONE_BACKWARDS2), arg 0 elsewhere.
func constrainedArg(arch, name string) (uint, bool) {
	switch name {
	case "personality", "socket":
		return 0, true
	case "clone":
		if arch == "SCMP_ARCH_S390" || arch == "SCMP_ARCH_S390X" {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// add records one call. refused marks clone3, notInBase a call the base
// profile would not have allowed.
func (r *Recording) add(arch systab.Arch, nr int, args [6]uint64, notInBase bool) {
	r.Arches[arch.Name]++
	name, ok := systab.SyscallName(arch.Name, nr)
	if !ok {
		r.Unknown[fmt.Sprintf("%s #%d", arch.Name, nr)]++
		return
	}
	s := r.Syscalls[name]
	if s == nil {
		s = &Syscall{}
		if idx, ok := constrainedArg(arch.Name, name); ok {
			s.ArgIndex, s.Values = idx, map[uint64]uint64{}
		}
		r.Syscalls[name] = s
	}
	s.Count++
	s.NotInBase = s.NotInBase || notInBase
	if name == "clone3" {
		s.Refused = true
	}
	if s.Values != nil {
		v := args[s.ArgIndex]
		if arch.Bits == 32 {
			// A 32-bit filter compares only the low half (and libseccomp
			// refuses a 64-bit value for it).
			v &= 0xffffffff
		}
		s.Values[v]++
	}
}

// Merge adds o to r: the union of syscalls and values, counts added. A
// syscall allowed with any value in either stays allowed with any value.
func (r *Recording) Merge(o *Recording) {
	for a, n := range o.Arches {
		r.Arches[a] += n
	}
	for k, n := range o.Unknown {
		r.Unknown[k] += n
	}
	for name, os := range o.Syscalls {
		s := r.Syscalls[name]
		if s == nil {
			c := *os
			c.Values = maps.Clone(os.Values)
			r.Syscalls[name] = &c
			continue
		}
		s.Count += os.Count
		s.Refused = s.Refused || os.Refused
		s.NotInBase = s.NotInBase || os.NotInBase
		if s.Values == nil || os.Values == nil {
			s.Values = nil
			continue
		}
		for v, n := range os.Values {
			s.Values[v] += n
		}
	}
}

var seenRE = regexp.MustCompile(`^seen (\d+) times?\b`)

// FromProfile reads back a profile written by Profile, for --merge. Only
// the shapes Profile writes are accepted: rules that allow names outright
// or with one SCMP_CMP_EQ argument, and the clone3 refusal.
func FromProfile(p *schema.Profile) (*Recording, error) {
	r := NewRecording()
	if p.Seccomp == nil {
		return r, nil
	}
	for _, a := range p.Seccomp.Architectures {
		r.Arches[a] += 0
	}
	anyValue := map[string]bool{}
	for i, rule := range p.Seccomp.Syscalls {
		var count uint64
		if m := seenRE.FindStringSubmatch(rule.Comment); m != nil {
			count, _ = strconv.ParseUint(m[1], 10, 64)
		}
		bad := func(why string) error {
			return fmt.Errorf("read recorded rule %d (%v): %s; only profiles written by profilec record can be merged", i+1, rule.Names, why)
		}
		if rule.Includes != nil || rule.Excludes != nil {
			return nil, bad("includes/excludes")
		}
		for _, name := range rule.Names {
			s := r.Syscalls[name]
			if s == nil {
				s = &Syscall{NotInBase: true}
				r.Syscalls[name] = s
			}
			switch {
			case rule.Action == "SCMP_ACT_ERRNO" && name == "clone3" && len(rule.Args) == 0:
				s.Refused = true
				s.Count += count
			case rule.Action != "SCMP_ACT_ALLOW":
				return nil, bad("action " + rule.Action)
			case len(rule.Args) == 0:
				anyValue[name] = true
				s.Values = nil
				s.Count += count
			case len(rule.Args) == 1 && rule.Args[0].Op == "SCMP_CMP_EQ":
				idx, ok := constrainedArg("", name)
				if !ok || rule.Args[0].Index != idx {
					return nil, bad("an argument condition on an unconstrained syscall")
				}
				if s.Values == nil && !anyValue[name] {
					s.ArgIndex, s.Values = idx, map[uint64]uint64{}
				}
				s.Count += count
				if s.Values != nil {
					s.Values[rule.Args[0].Value] += count
				}
			default:
				return nil, bad("argument conditions")
			}
		}
	}
	return r, nil
}

// names returns the syscall names in order.
func (r *Recording) names() []string {
	return slices.Sorted(maps.Keys(r.Syscalls))
}
