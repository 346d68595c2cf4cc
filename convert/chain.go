package convert

import (
	"fmt"
	"slices"
	"strings"

	"github.com/profilec/profilec/schema"
)

// ChainToDocker writes a profile and those it extends (the chain as
// schema.LoadChain returns it, bases first) as one Docker seccomp profile
// that still has its conditions: the chain is merged as the schema merges
// it, and Docker resolves includes/excludes and archMap when the container
// starts, on whatever host that is. r is the chain resolved for the target
// at hand; it supplies the capabilities and the rest for the docker run
// hints, and the runc check.
func ChainToDocker(chain []*schema.Profile, r *schema.Resolved) ([]byte, []Note, error) {
	if len(chain) == 0 || r == nil {
		return nil, nil, fmt.Errorf("write docker profile: no profile")
	}
	s := mergeSeccomp(chain)
	if s == nil || !r.Seccomp.Enabled {
		return nil, nil, fmt.Errorf("write docker profile: the profile has no seccomp section (run the container with --security-opt seccomp=unconfined)")
	}
	if s.DefaultAction == "" {
		return nil, nil, fmt.Errorf("write docker profile: seccomp.defaultAction is required (Docker has no default for it)")
	}
	out, err := dockerSeccomp(s)
	if err != nil {
		return nil, nil, err
	}
	data, err := marshalJSON(out)
	if err != nil {
		return nil, nil, fmt.Errorf("write docker profile: %w", err)
	}
	var ns notes
	if len(chain) > 1 {
		var files []string
		for _, p := range chain[:len(chain)-1] {
			files = append(files, p.File)
		}
		ns.add("extends", "%s merged in; conditions kept for Docker to resolve when the container starts", strings.Join(files, ", "))
	}
	runcNeeds(r, &ns)
	add := r.Capabilities.Bounding
	if sameSet(add, allCaps()) {
		add = []string{"ALL"}
	}
	dockerRunHints(&ns, hintInput{
		capsAdd: add, capsDrop: []string{"ALL"}, ambient: r.Capabilities.Ambient,
		namespaces: &r.Namespaces, cgroups: &r.Cgroups, rlimits: r.Rlimits,
		nnp: r.NoNewPrivileges, user: r.User,
	})
	return data, ns, nil
}

// mergeSeccomp folds the seccomp sections of a chain into one, conditions
// untouched, by the schema's rules for extends (docs/profile.md): scalars
// are overridden by the later profile, the architecture lists and flags
// replaced, and a syscall a later profile names is governed by its rules
// alone, so it is struck from every inherited rule. A test compiles the
// result against schema.Resolve on every target, so the two cannot drift.
func mergeSeccomp(chain []*schema.Profile) *schema.Seccomp {
	var out *schema.Seccomp
	for _, p := range chain {
		s := p.Seccomp
		if s == nil {
			continue
		}
		if out == nil {
			out = &schema.Seccomp{}
		}
		if s.DefaultAction != "" {
			out.DefaultAction = s.DefaultAction
			if s.DefaultErrnoRet == nil && s.DefaultAction != "SCMP_ACT_ERRNO" && s.DefaultAction != "SCMP_ACT_TRACE" {
				out.DefaultErrnoRet = nil
			}
		}
		if s.DefaultErrnoRet != nil {
			out.DefaultErrnoRet = copyUint(s.DefaultErrnoRet)
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
		named := map[string]bool{}
		for _, r := range s.Syscalls {
			for _, n := range r.Names {
				named[n] = true
			}
		}
		var kept []schema.SyscallRule
		for _, r := range out.Syscalls {
			names := slices.DeleteFunc(slices.Clone(r.Names), func(n string) bool { return named[n] })
			if len(names) == 0 && len(r.Names) > 0 {
				continue
			}
			r.Names, r.NamePos = names, nil
			kept = append(kept, r)
		}
		for _, r := range s.Syscalls {
			r.Names = slices.Clone(r.Names)
			r.Args = slices.Clone(r.Args)
			r.ErrnoRet = copyUint(r.ErrnoRet)
			kept = append(kept, r)
		}
		out.Syscalls = kept
	}
	return out
}
