package convert

import (
	"fmt"
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
	s := schema.MergeSeccomp(chain)
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
	resolvedRunHints(r, &ns)
	return data, ns, nil
}
