package policies

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// Facts are what the profile means rather than how it is written, computed
// in Go so policies need not re-implement seccomp precedence. Policies see
// them as input.facts.
type Facts struct {
	// Native is the target's own architecture, canonically spelt
	// ("SCMP_ARCH_X86_64"): the one the target is started on.
	Native string `json:"native"`
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
func ComputeFacts(r *schema.Resolved) (Facts, error) {
	f := Facts{
		Syscalls:     map[string]SyscallFacts{},
		Capabilities: nonNil(r.Capabilities.Effective),
	}
	var ir *compiler.IR
	if r.Seccomp.Enabled {
		var err error
		if ir, err = compiler.BuildIR(&r.Seccomp, r.Target.Arch); err != nil {
			return f, fmt.Errorf("compute facts: %w", err)
		}
	}
	for i, arch := range filterArches(r, ir) {
		if i == 0 {
			f.Native = arch
		}
		f.Syscalls[arch] = syscallFacts(&r.Seccomp, ir, arch)
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
	return f, nil
}

// filterArches lists the architectures a filter for r answers for: the
// IR's targets (native first, as libseccomp always holds it), or without a
// filter just the target's own.
func filterArches(r *schema.Resolved, ir *compiler.IR) []string {
	if ir == nil {
		if a, ok := systab.LookupArch(r.Target.Arch); ok {
			return []string{a.Name}
		}
		return []string{r.Target.Arch}
	}
	res := make([]string, 0, len(ir.Arches))
	for _, a := range ir.Arches {
		res = append(res, a.Arch.Name)
	}
	return res
}

// outcome sorts a filter's return value: 1 the call runs, 0 it is refused,
// -1 another process (a tracer, a user-notification supervisor) decides.
func outcome(action uint32) int {
	switch action & 0xffff0000 {
	case compiler.RetAllow, compiler.RetLog:
		return 1
	case compiler.RetUserNotif, compiler.RetTrace:
		return -1
	}
	return 0
}

// syscallFacts classifies every syscall of arch with the compiler's IR,
// which applies runc's and libseccomp's precedence exactly, so a policy sees
// what the kernel will do rather than a reading of the rules.
func syscallFacts(s *schema.ResolvedSeccomp, ir *compiler.IR, arch string) SyscallFacts {
	names := systab.SyscallNames(arch)
	f := SyscallFacts{Allowed: []string{}, Denied: []string{}, Conditional: []string{}}
	var a *compiler.ArchIR
	if s.Enabled && ir != nil {
		a = ir.Lookup(arch)
	}
	for _, n := range names {
		if a == nil {
			// No filter: everything runs.
			f.Allowed = append(f.Allowed, n)
			continue
		}
		verdict, someArgs := a.Default, false
		if nr, ok := systab.SyscallNumber(arch, n); ok {
			if sc := a.Syscall(uint32(nr)); sc != nil {
				verdict = sc.Else.Action
				for _, r := range sc.Rules {
					if outcome(r.Action) != 0 {
						someArgs = true
					}
				}
			}
		}
		switch o := outcome(verdict); {
		case o == 1:
			f.Allowed = append(f.Allowed, n)
		case o == -1 || someArgs:
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

// value is f as the JSON value policies see, built directly: the syscall
// lists are most of a profile's input, and a round trip through JSON text
// costs more than the rest of the conversion.
func (f Facts) value() ast.Value {
	strs := func(s []string) *ast.Term {
		ts := make([]*ast.Term, len(s))
		for i, x := range s {
			ts[i] = ast.StringTerm(x)
		}
		return ast.ArrayTerm(ts...)
	}
	sys := ast.NewObject()
	for arch, s := range f.Syscalls {
		sys.Insert(ast.StringTerm(arch), ast.ObjectTerm(
			ast.Item(ast.StringTerm("allowed"), strs(s.Allowed)),
			ast.Item(ast.StringTerm("denied"), strs(s.Denied)),
			ast.Item(ast.StringTerm("conditional"), strs(s.Conditional)),
		))
	}
	limits := ast.NewObject()
	for _, l := range []struct {
		key string
		v   *int64
	}{{"memoryBytes", f.Limits.MemoryBytes}, {"memoryHighBytes", f.Limits.MemoryHighBytes}, {"swapBytes", f.Limits.SwapBytes}, {"pids", f.Limits.Pids}} {
		if l.v != nil {
			limits.Insert(ast.StringTerm(l.key), ast.NumberTerm(json.Number(strconv.FormatInt(*l.v, 10))))
		}
	}
	if f.Limits.CPUs != nil {
		limits.Insert(ast.StringTerm("cpus"), ast.FloatNumberTerm(*f.Limits.CPUs))
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("native"), ast.StringTerm(f.Native)),
		ast.Item(ast.StringTerm("syscalls"), ast.NewTerm(sys)),
		ast.Item(ast.StringTerm("capabilities"), strs(nonNil(f.Capabilities))),
		ast.Item(ast.StringTerm("limits"), ast.NewTerm(limits)),
	)
}
