package schema

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/profilec/profilec/schema/systab"
)

// DefaultTarget is the machine profilec runs on: its native architecture and
// running kernel.
func DefaultTarget() (Target, error) {
	a := systab.NativeArch()
	if a.Name == "" {
		return Target{}, errors.New("find target: this architecture has no seccomp table")
	}
	k, err := systab.KernelVersion()
	if err != nil {
		return Target{}, fmt.Errorf("find target: %w", err)
	}
	return Target{Arch: a.Name, Kernel: k}, nil
}

// merged is a chain folded into one profile, before conditions are resolved.
type merged struct {
	last       *Profile
	sources    []string
	seccomp    *Seccomp
	granted    map[string]bool
	ambient    map[string]Pos
	namespaces Namespaces
	cgroups    Cgroups
	rlimits    map[string]Rlimit
	nnp        *bool
	user       *User
	exceptions []PolicyException
}

// merge folds a chain (bases first) into one profile: later profiles
// override earlier ones as issue 2 describes.
func merge(chain []*Profile) *merged {
	m := &merged{granted: map[string]bool{}, ambient: map[string]Pos{}, seccomp: MergeSeccomp(chain)}
	for _, p := range chain {
		m.last = p
		m.sources = append(m.sources, p.File)
		if c := p.Capabilities; c != nil {
			m.mergeCaps(c)
		}
		if ns := p.Namespaces; ns != nil {
			mergeNamespaces(&m.namespaces, ns)
		}
		if c := p.Cgroups; c != nil {
			mergeCgroups(&m.cgroups, c)
		}
		for name, r := range p.Rlimits {
			if m.rlimits == nil {
				m.rlimits = map[string]Rlimit{}
			}
			m.rlimits[name] = r
		}
		if p.NoNewPrivileges != nil {
			v := *p.NoNewPrivileges
			m.nnp = &v
		}
		if p.User != nil {
			u := *p.User
			u.Groups = slices.Clone(p.User.Groups)
			m.user = &u
		}
		for _, e := range p.PolicyExceptions {
			i := slices.IndexFunc(m.exceptions, func(x PolicyException) bool { return x.ID == e.ID })
			if i >= 0 {
				m.exceptions[i] = e
			} else {
				m.exceptions = append(m.exceptions, e)
			}
		}
	}
	return m
}

// MergeSeccomp folds the seccomp sections of a chain (bases first, as
// LoadChain returns it) into one by the rules for extends (docs/profile.md),
// leaving conditions (includes/excludes, archMap) unresolved: scalars are
// overridden by the later profile, the architecture lists and flags
// replaced, and a syscall a later profile names is governed by its rules
// alone, so it is struck from every inherited rule. Pos is where the last
// seccomp section starts. It returns nil when no profile has one; the
// profiles are not modified.
func MergeSeccomp(chain []*Profile) *Seccomp {
	var out *Seccomp
	for _, p := range chain {
		s := p.Seccomp
		if s == nil {
			continue
		}
		if out == nil {
			out = &Seccomp{}
		}
		mergeSeccomp(out, s)
	}
	return out
}

func mergeSeccomp(out, s *Seccomp) {
	out.Pos = s.Pos
	if s.DefaultAction != "" {
		out.DefaultAction = s.DefaultAction
		// An inherited errno makes no sense under an action that returns
		// none; runc would refuse the pair.
		if s.DefaultErrnoRet == nil && !takesErrno(s.DefaultAction) {
			out.DefaultErrnoRet = nil
		}
	}
	if s.DefaultErrnoRet != nil {
		v := *s.DefaultErrnoRet
		out.DefaultErrnoRet = &v
	}
	if s.Architectures != nil || s.ArchMap != nil {
		out.Architectures = slices.Clone(s.Architectures)
		out.ArchMap = slices.Clone(s.ArchMap)
	}
	if s.Flags != nil {
		out.Flags = slices.Clone(s.Flags)
	}
	if s.ListenerPath != "" {
		out.ListenerPath = s.ListenerPath
	}
	if s.ListenerMetadata != "" {
		out.ListenerMetadata = s.ListenerMetadata
	}
	// A syscall this profile names is governed by this profile's rules
	// alone: strip it from every inherited rule, dropping rules left empty.
	named := map[string]bool{}
	for _, r := range s.Syscalls {
		for _, n := range r.Names {
			named[n] = true
		}
	}
	var kept []SyscallRule
	for _, r := range out.Syscalls {
		var names []string
		var pos []Pos
		for i, n := range r.Names {
			if named[n] {
				continue
			}
			names = append(names, n)
			if i < len(r.NamePos) {
				pos = append(pos, r.NamePos[i])
			}
		}
		if len(names) == 0 && len(r.Names) > 0 {
			continue
		}
		r.Names, r.NamePos = names, pos
		kept = append(kept, r)
	}
	for _, r := range s.Syscalls {
		kept = append(kept, cloneRule(r))
	}
	out.Syscalls = kept
}

func takesErrno(action string) bool {
	return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE"
}

func cloneRule(r SyscallRule) SyscallRule {
	r.Names = slices.Clone(r.Names)
	r.NamePos = slices.Clone(r.NamePos)
	r.Args = slices.Clone(r.Args)
	if r.ErrnoRet != nil {
		v := *r.ErrnoRet
		r.ErrnoRet = &v
	}
	return r
}

// mergeCaps applies one profile's capability changes as Docker's
// TweakCapabilities does: drop from the inherited set, then add; except that
// add: [ALL] grants everything but this profile's own drops.
func (m *merged) mergeCaps(c *Capabilities) {
	for _, d := range c.Drop {
		if d == "ALL" {
			clear(m.granted)
			clear(m.ambient)
			continue
		}
		delete(m.granted, d)
		delete(m.ambient, d)
	}
	for _, a := range c.Add {
		if a == "ALL" {
			for _, n := range systab.CapabilityNames() {
				if !slices.Contains(c.Drop, n) {
					m.granted[n] = true
				}
			}
			continue
		}
		m.granted[a] = true
	}
	for i, a := range c.Ambient {
		pos := c.Pos
		if i < len(c.AmbientPos) {
			pos = c.AmbientPos[i]
		}
		m.ambient[a] = pos
	}
}

func mergeNamespaces(dst, src *Namespaces) {
	if src.User != nil {
		u := *src.User
		u.UIDMap, u.GIDMap = slices.Clone(u.UIDMap), slices.Clone(u.GIDMap)
		dst.User = &u
	}
	if src.UTS != nil {
		u := *src.UTS
		dst.UTS = &u
	}
	for _, f := range []struct{ dst, src **NS }{
		{&dst.PID, &src.PID}, {&dst.Mount, &src.Mount}, {&dst.IPC, &src.IPC},
		{&dst.Net, &src.Net}, {&dst.Cgroup, &src.Cgroup}, {&dst.Time, &src.Time},
	} {
		if *f.src != nil {
			v := **f.src
			*f.dst = &v
		}
	}
	dst.Pos = src.Pos
}

func mergeCgroups(dst, src *Cgroups) {
	if m := src.Memory; m != nil {
		if dst.Memory == nil {
			dst.Memory = &MemoryLimits{}
		}
		setPtr(&dst.Memory.Max, m.Max)
		setPtr(&dst.Memory.High, m.High)
		setPtr(&dst.Memory.SwapMax, m.SwapMax)
	}
	if c := src.CPU; c != nil {
		if dst.CPU == nil {
			dst.CPU = &CPULimits{}
		}
		setPtr(&dst.CPU.Max, c.Max)
		setPtr(&dst.CPU.Weight, c.Weight)
	}
	if p := src.Pids; p != nil {
		if dst.Pids == nil {
			dst.Pids = &PidsLimits{}
		}
		setPtr(&dst.Pids.Max, p.Max)
	}
	if io := src.IO; io != nil {
		if dst.IO == nil {
			dst.IO = &IOLimits{}
		}
		setPtr(&dst.IO.Weight, io.Weight)
		if io.Max != nil {
			dst.IO.Max = slices.Clone(io.Max)
		}
	}
	if src.OptionalPos != (Pos{}) {
		dst.Optional = src.Optional
		dst.OptionalPos = src.OptionalPos
	}
	dst.Pos = src.Pos
}

func setPtr[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

// Resolve merges a chain (as LoadChain returns it) and resolves its
// conditions for t: capability sets from the granted set, seccomp
// includes/excludes exactly as moby's setupSeccomp does, architectures from
// architectures or archMap, and defaults filled in.
func Resolve(chain []*Profile, t Target) (*Resolved, error) {
	if len(chain) == 0 {
		return nil, errors.New("resolve profile: empty chain")
	}
	for i, p := range chain {
		if p == nil {
			return nil, fmt.Errorf("resolve profile: chain entry %d is nil", i)
		}
	}
	arch, ok := systab.LookupArch(t.Arch)
	if !ok {
		return nil, fmt.Errorf("resolve profile: unknown target architecture %q", t.Arch)
	}
	kmaj, kmin, err := parseRelease(t.Kernel)
	if err != nil {
		return nil, fmt.Errorf("resolve profile: %w", err)
	}
	m := merge(chain)
	var errs ErrorList
	r := &Resolved{
		Name:             m.last.Name,
		Description:      m.last.Description,
		Sources:          m.sources,
		Target:           Target{Arch: arch.Name, Kernel: fmt.Sprintf("%d.%d", kmaj, kmin)},
		Namespaces:       m.namespaces,
		Cgroups:          m.cgroups,
		Rlimits:          m.rlimits,
		NoNewPrivileges:  true,
		User:             m.user,
		PolicyExceptions: m.exceptions,
	}
	if m.nnp != nil {
		r.NoNewPrivileges = *m.nnp
	}

	granted := sortedKeys(m.granted)
	ambient := make([]string, 0, len(m.ambient))
	for a, pos := range m.ambient {
		if !m.granted[a] {
			errs = append(errs, &Error{Code: CodeValue, Path: "capabilities.ambient", Pos: pos,
				Msg: fmt.Sprintf("ambient capability %s is not granted; add it to capabilities.add too", a)})
			continue
		}
		ambient = append(ambient, a)
	}
	sort.Strings(ambient)
	r.Capabilities = CapSets{
		Bounding:    granted,
		Effective:   slices.Clone(granted),
		Permitted:   slices.Clone(granted),
		Inheritable: ambient,
		Ambient:     slices.Clone(ambient),
	}

	r.Seccomp = ResolvedSeccomp{Architectures: []string{}, Syscalls: []SyscallRule{}}
	if s := m.seccomp; s != nil && (s.DefaultAction != "" || len(s.Syscalls) > 0) {
		if s.DefaultAction == "" {
			errs = append(errs, &Error{Code: CodeRequired, Path: "seccomp.defaultAction", Pos: s.Pos,
				Msg: "defaultAction is required when seccomp rules are given (none is inherited either)"})
		}
		if s.DefaultErrnoRet != nil && s.DefaultAction != "" && !takesErrno(s.DefaultAction) {
			errs = append(errs, &Error{Code: CodeConflict, Path: "seccomp.defaultErrnoRet", Pos: s.Pos,
				Msg: fmt.Sprintf("defaultErrnoRet only applies to the errno and trace actions, not the inherited %s", s.DefaultAction)})
		}
		r.Seccomp.Enabled = true
		r.Seccomp.DefaultAction = s.DefaultAction
		r.Seccomp.DefaultErrnoRet = s.DefaultErrnoRet
		r.Seccomp.Flags = s.Flags
		r.Seccomp.ListenerPath = s.ListenerPath
		r.Seccomp.ListenerMetadata = s.ListenerMetadata
		r.Seccomp.Architectures = resolveArches(s, arch)
		for _, rule := range s.Syscalls {
			if len(rule.Names) == 0 || !ruleApplies(rule, m.granted, arch.Native, kmaj, kmin) {
				continue
			}
			rule.Includes, rule.Excludes = nil, nil
			r.Seccomp.Syscalls = append(r.Seccomp.Syscalls, rule)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// resolveArches picks the filter's architectures as Docker does: the
// explicit list, else the archMap entry for the target (itself and its
// sub-architectures), else the target alone.
func resolveArches(s *Seccomp, target systab.Arch) []string {
	var out []string
	add := func(a string) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	switch {
	case len(s.Architectures) > 0:
		for _, a := range s.Architectures {
			add(a)
		}
	default:
		for _, e := range s.ArchMap {
			if e.Architecture == target.Name {
				add(e.Architecture)
				for _, sub := range e.SubArchitectures {
					add(sub)
				}
				break
			}
		}
	}
	if len(out) == 0 {
		out = []string{target.Name}
	}
	return out
}

// ruleApplies mirrors setupSeccomp in github.com/moby/profiles/seccomp:
// excludes first (any matching arch, any held cap, or a new-enough kernel
// drops the rule), then includes (the arch must be listed, every cap held,
// the kernel new enough).
func ruleApplies(r SyscallRule, caps map[string]bool, native string, kmaj, kmin uint64) bool {
	atLeast := func(v string) bool {
		maj, min, err := parseKernel(v)
		if err != nil {
			return false
		}
		return kmaj > maj || (kmaj == maj && kmin >= min)
	}
	if e := r.Excludes; e != nil {
		if slices.Contains(e.Arches, native) {
			return false
		}
		for _, c := range e.Caps {
			if caps[c] {
				return false
			}
		}
		if e.MinKernel != "" && atLeast(e.MinKernel) {
			return false
		}
	}
	if in := r.Includes; in != nil {
		if len(in.Arches) > 0 && !slices.Contains(in.Arches, native) {
			return false
		}
		for _, c := range in.Caps {
			if !caps[c] {
				return false
			}
		}
		if in.MinKernel != "" && !atLeast(in.MinKernel) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
