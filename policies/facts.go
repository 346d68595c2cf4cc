package policies

import (
	"slices"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// Facts are what the profile means rather than how it is written, computed
// in Go so policies need not re-implement seccomp precedence. Policies see
// them as input.facts.
type Facts struct {
	// Syscalls maps each architecture the filter covers (the target's own
	// and those listed in seccomp.architectures) to its syscalls by outcome.
	Syscalls map[string]SyscallFacts `json:"syscalls"`
	// Capabilities is the effective capability set of the target.
	Capabilities []string `json:"capabilities"`
	Limits       Limits   `json:"limits"`
}

// SyscallFacts sorts one architecture's syscalls by what the filter does.
type SyscallFacts struct {
	Allowed []string `json:"allowed"`
	Denied  []string `json:"denied"`
	// Conditional syscalls are allowed only for some argument values, or
	// left to a tracer or a user-notification supervisor to decide.
	Conditional []string `json:"conditional"`
}

// Limits are the cgroup limits in plain units; an unset limit is omitted.
type Limits struct {
	MemoryBytes     *int64   `json:"memoryBytes,omitempty"`
	MemoryHighBytes *int64   `json:"memoryHighBytes,omitempty"`
	SwapBytes       *int64   `json:"swapBytes,omitempty"`
	Pids            *int64   `json:"pids,omitempty"`
	CPUs            *float64 `json:"cpus,omitempty"`
}

// ComputeFacts derives the facts of r.
func ComputeFacts(r *schema.Resolved) Facts {
	f := Facts{
		Syscalls:     map[string]SyscallFacts{},
		Capabilities: nonNil(r.Capabilities.Effective),
	}
	for _, arch := range filterArches(r) {
		f.Syscalls[arch] = syscallFacts(&r.Seccomp, arch)
	}
	c := r.Cgroups
	if c.Memory != nil {
		f.Limits.MemoryBytes = c.Memory.Max
		f.Limits.MemoryHighBytes = c.Memory.High
		f.Limits.SwapBytes = c.Memory.SwapMax
	}
	if c.Pids != nil {
		f.Limits.Pids = c.Pids.Max
	}
	if c.CPU != nil {
		f.Limits.CPUs = c.CPU.Max
	}
	return f
}

// filterArches lists the architectures a filter for r answers for: the
// target's own always (libseccomp adds the native arch to every filter),
// then the listed ones, without duplicates.
func filterArches(r *schema.Resolved) []string {
	var res []string
	add := func(s string) {
		if a, ok := systab.LookupArch(s); ok {
			s = a.Name
		}
		if s != "" && !slices.Contains(res, s) {
			res = append(res, s)
		}
	}
	add(r.Target.Arch)
	if r.Seccomp.Enabled {
		for _, a := range r.Seccomp.Architectures {
			add(a)
		}
	}
	return res
}

// permissive actions let the call reach the kernel unconditionally; deciding
// ones hand the decision to another process.
func permissive(action string) bool {
	return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG"
}

func deciding(action string) bool {
	return action == "SCMP_ACT_NOTIFY" || action == "SCMP_ACT_TRACE"
}

// syscallFacts classifies every syscall of arch under s.
//
// This reads the rules directly and errs towards "allowed": any rule that
// allows a syscall without conditions makes it allowed, as the safety rules
// must never miss a permission. It is the one place to switch to the
// compiler's IR, which knows libseccomp's exact precedence.
func syscallFacts(s *schema.ResolvedSeccomp, arch string) SyscallFacts {
	names := systab.SyscallNames(arch)
	f := SyscallFacts{Allowed: []string{}, Denied: []string{}, Conditional: []string{}}
	if !s.Enabled {
		f.Allowed = append(f.Allowed, names...)
		slices.Sort(f.Allowed)
		return f
	}
	type state struct{ uncondAllow, uncondDeny, uncondDecide, condAllow bool }
	st := map[string]*state{}
	for i := range s.Syscalls {
		rule := &s.Syscalls[i]
		for _, n := range rule.Names {
			x := st[n]
			if x == nil {
				x = &state{}
				st[n] = x
			}
			switch {
			case len(rule.Args) > 0 && (permissive(rule.Action) || deciding(rule.Action)):
				x.condAllow = true
			case len(rule.Args) > 0:
				// An argument rule that refuses leaves the other values to
				// the unconditional outcome; it restricts, never permits.
			case permissive(rule.Action):
				x.uncondAllow = true
			case deciding(rule.Action):
				x.uncondDecide = true
			default:
				x.uncondDeny = true
			}
		}
	}
	defAllow := permissive(s.DefaultAction)
	defDecide := deciding(s.DefaultAction)
	for _, n := range names {
		x := st[n]
		if x == nil {
			x = &state{}
		}
		explicit := x.uncondAllow || x.uncondDeny || x.uncondDecide
		switch {
		case x.uncondAllow || (!explicit && defAllow):
			f.Allowed = append(f.Allowed, n)
		case x.uncondDecide || x.condAllow || (!explicit && defDecide):
			f.Conditional = append(f.Conditional, n)
		default:
			f.Denied = append(f.Denied, n)
		}
	}
	slices.Sort(f.Allowed)
	slices.Sort(f.Denied)
	slices.Sort(f.Conditional)
	return f
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
