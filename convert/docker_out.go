package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	mseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/schema"
)

// ToDocker writes the seccomp section of p as a Docker seccomp profile.
// Docker's format has conditions, so includes/excludes, comments, archMap
// and rule order are kept and Docker resolves them when the container
// starts. p must not extend other profiles (resolve those with
// ResolvedToDocker). What a seccomp profile cannot say (capabilities,
// limits, user, ...) comes back as notes naming the `docker run` flags
// that do it.
func ToDocker(p *schema.Profile) ([]byte, []Note, error) {
	if p == nil || p.Seccomp == nil {
		return nil, nil, fmt.Errorf("write docker profile: the profile has no seccomp section (run the container with --security-opt seccomp=unconfined)")
	}
	if len(p.Extends) > 0 {
		return nil, nil, fmt.Errorf("write docker profile: the profile extends %s; resolve it first", strings.Join(p.Extends, ", "))
	}
	if p.Seccomp.DefaultAction == "" {
		return nil, nil, fmt.Errorf("write docker profile: seccomp.defaultAction is required (Docker has no default for it)")
	}
	out, err := dockerSeccomp(p.Seccomp)
	if err != nil {
		return nil, nil, err
	}
	data, err := marshalJSON(out)
	if err != nil {
		return nil, nil, fmt.Errorf("write docker profile: %w", err)
	}
	var ns notes
	// A profile without extends starts from no capabilities, so what it
	// adds is the whole set: Docker's defaults must go first.
	dockerRunHints(&ns, hintInput{
		capsAdd: capsOf(p.Capabilities), capsDrop: []string{"ALL"},
		ambient: ambientOf(p.Capabilities), namespaces: p.Namespaces, cgroups: p.Cgroups,
		rlimits: p.Rlimits, nnp: p.NoNewPrivileges != nil && *p.NoNewPrivileges, user: p.User,
	})
	return data, ns, nil
}

// ResolvedToDocker writes a resolved profile's seccomp filter as a Docker
// seccomp profile without conditions, which is also the OCI linux.seccomp
// object and the file a kubelet's Localhost seccomp profile holds.
func ResolvedToDocker(r *schema.Resolved) ([]byte, []Note, error) {
	if r == nil || !r.Seccomp.Enabled {
		return nil, nil, fmt.Errorf("write docker profile: the profile has no seccomp section (run the container with --security-opt seccomp=unconfined)")
	}
	s := ociSeccomp(&r.Seccomp)
	data, err := marshalJSON(s)
	if err != nil {
		return nil, nil, fmt.Errorf("write docker profile: %w", err)
	}
	var ns notes
	ns.add("seccomp", "conditions (includes/excludes) and extends were resolved for %s", targetString(r.Target))
	resolvedRunHints(r, &ns)
	return data, ns, nil
}

// resolvedRunHints notes what a Docker profile cannot say about r: what
// runc needs, and the docker run options for the rest.
func resolvedRunHints(r *schema.Resolved, ns *notes) {
	runcNeeds(r, ns)
	add := r.Capabilities.Bounding
	if sameSet(add, allCaps()) {
		add = []string{"ALL"}
	}
	dockerRunHints(ns, hintInput{
		capsAdd: add, capsDrop: []string{"ALL"}, ambient: r.Capabilities.Ambient,
		namespaces: &r.Namespaces, cgroups: &r.Cgroups, rlimits: r.Rlimits,
		nnp: r.NoNewPrivileges, user: r.User,
	})
}

func marshalJSON(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func dockerSeccomp(s *schema.Seccomp) (*mseccomp.Seccomp, error) {
	out := &mseccomp.Seccomp{
		LinuxSeccomp: specs.LinuxSeccomp{
			DefaultAction:    specs.LinuxSeccompAction(s.DefaultAction),
			DefaultErrnoRet:  copyUint(s.DefaultErrnoRet),
			ListenerPath:     s.ListenerPath,
			ListenerMetadata: s.ListenerMetadata,
		},
		Syscalls: []*mseccomp.Syscall{},
	}
	for _, a := range s.Architectures {
		out.Architectures = append(out.Architectures, specs.Arch(a))
	}
	for _, f := range s.Flags {
		out.Flags = append(out.Flags, specs.LinuxSeccompFlag(f))
	}
	for _, m := range s.ArchMap {
		e := mseccomp.Architecture{Arch: specs.Arch(m.Architecture), SubArches: []specs.Arch{}}
		for _, sub := range m.SubArchitectures {
			e.SubArches = append(e.SubArches, specs.Arch(sub))
		}
		out.ArchMap = append(out.ArchMap, e)
	}
	for i := range s.Syscalls {
		r := &s.Syscalls[i]
		sc := &mseccomp.Syscall{LinuxSyscall: ociSyscall(r), Comment: r.Comment}
		var err error
		if sc.Includes, err = dockerFilterOut(r.Includes); err != nil {
			return nil, fmt.Errorf("write docker profile: seccomp.syscalls[%d].includes: %w", i, err)
		}
		if sc.Excludes, err = dockerFilterOut(r.Excludes); err != nil {
			return nil, fmt.Errorf("write docker profile: seccomp.syscalls[%d].excludes: %w", i, err)
		}
		out.Syscalls = append(out.Syscalls, sc)
	}
	return out, nil
}

func dockerFilterOut(f *schema.Filter) (*mseccomp.Filter, error) {
	if f == nil {
		return nil, nil
	}
	out := &mseccomp.Filter{Caps: append([]string(nil), f.Caps...), Arches: append([]string(nil), f.Arches...)}
	if f.MinKernel != "" {
		maj, min, ok := strings.Cut(f.MinKernel, ".")
		a, err1 := strconv.ParseUint(maj, 10, 8)
		b, err2 := strconv.ParseUint(min, 10, 8)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("minKernel %q is not MAJOR.MINOR", f.MinKernel)
		}
		out.MinKernel = &mseccomp.KernelVersion{Kernel: a, Major: b}
	}
	return out, nil
}

// ociSeccomp is the runtime-spec form of a resolved filter.
func ociSeccomp(s *schema.ResolvedSeccomp) *specs.LinuxSeccomp {
	out := &specs.LinuxSeccomp{
		DefaultAction:    specs.LinuxSeccompAction(s.DefaultAction),
		DefaultErrnoRet:  copyUint(s.DefaultErrnoRet),
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}
	for _, a := range s.Architectures {
		out.Architectures = append(out.Architectures, specs.Arch(a))
	}
	for _, f := range s.Flags {
		out.Flags = append(out.Flags, specs.LinuxSeccompFlag(f))
	}
	for i := range s.Syscalls {
		out.Syscalls = append(out.Syscalls, ociSyscall(&s.Syscalls[i]))
	}
	return out
}

func ociSyscall(r *schema.SyscallRule) specs.LinuxSyscall {
	out := specs.LinuxSyscall{
		Names:    append([]string(nil), r.Names...),
		Action:   specs.LinuxSeccompAction(r.Action),
		ErrnoRet: copyUint(r.ErrnoRet),
	}
	for _, a := range r.Args {
		out.Args = append(out.Args, specs.LinuxSeccompArg{
			Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: specs.LinuxSeccompOperator(a.Op),
		})
	}
	return out
}

func copyUint(p *uint) *uint {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func targetString(t schema.Target) string {
	s := t.Arch
	if t.Kernel != "" {
		s += ", kernel " + t.Kernel
	}
	return s
}

// hintInput is what a seccomp-only format cannot carry, from either a
// profile or a resolved one.
type hintInput struct {
	capsAdd, capsDrop, ambient []string
	namespaces                 *schema.Namespaces
	cgroups                    *schema.Cgroups
	rlimits                    map[string]schema.Rlimit
	nnp                        bool
	user                       *schema.User
}

// dockerRunHints turns the rest of a profile into `docker run` flags, so a
// user of the Docker JSON can still get the confinement the profile asks for.
func dockerRunHints(ns *notes, h hintInput) {
	var flags []string
	for _, c := range h.capsDrop {
		flags = append(flags, "--cap-drop "+dockerCapName(c))
	}
	for _, c := range h.capsAdd {
		flags = append(flags, "--cap-add "+dockerCapName(c))
	}
	if len(flags) > 0 {
		ns.add("capabilities", "not part of a seccomp profile; run the container with %s (Docker resolves includes.caps against that set)", strings.Join(flags, " "))
	}
	if len(h.ambient) > 0 {
		ns.add("capabilities.ambient", "Docker has no flag for ambient capabilities; dropped")
	}
	if h.nnp {
		ns.add("noNewPrivileges", "not part of a seccomp profile; run with --security-opt no-new-privileges")
	}
	if h.user != nil {
		ns.add("user", "not part of a seccomp profile; run with --user %d:%d", h.user.UID, h.user.GID)
	}
	if n := h.namespaces; n != nil {
		if n.UTS != nil && n.UTS.Hostname != "" {
			ns.add("namespaces.uts.hostname", "run with --hostname %s", n.UTS.Hostname)
		}
		if n.User != nil && n.User.Enabled {
			ns.add("namespaces.user", "Docker maps users with the daemon's --userns-remap, not per profile; dropped")
		}
		if n.Net != nil && n.Net.Enabled {
			ns.add("namespaces.net", "Docker gives every container a network namespace; use --network none for one without interfaces")
		}
	}
	if c := h.cgroups; c != nil {
		var fl []string
		if c.Memory != nil && c.Memory.Max != nil {
			fl = append(fl, fmt.Sprintf("--memory %d", *c.Memory.Max))
			if c.Memory.SwapMax != nil {
				fl = append(fl, fmt.Sprintf("--memory-swap %d", *c.Memory.Max+*c.Memory.SwapMax))
			}
		}
		if c.Memory != nil && c.Memory.High != nil {
			ns.add("cgroups.memory.high", "Docker has no flag for memory.high; dropped")
		}
		if c.CPU != nil && c.CPU.Max != nil {
			fl = append(fl, "--cpus "+strconv.FormatFloat(*c.CPU.Max, 'f', -1, 64))
		}
		if c.CPU != nil && c.CPU.Weight != nil {
			fl = append(fl, fmt.Sprintf("--cpu-shares %d", weightToShares(*c.CPU.Weight)))
		}
		if c.Pids != nil && c.Pids.Max != nil {
			fl = append(fl, fmt.Sprintf("--pids-limit %d", *c.Pids.Max))
		}
		if c.IO != nil && c.IO.Weight != nil {
			fl = append(fl, fmt.Sprintf("--blkio-weight %d", weightToBlkio(*c.IO.Weight)))
		}
		if len(fl) > 0 {
			ns.add("cgroups", "not part of a seccomp profile; run with %s", strings.Join(fl, " "))
		}
	}
	if len(h.rlimits) > 0 {
		var fl []string
		for _, name := range sortedKeys(h.rlimits) {
			l := h.rlimits[name]
			fl = append(fl, fmt.Sprintf("--ulimit %s=%s:%s", name, rlimitString(l.Soft), rlimitString(l.Hard)))
		}
		ns.add("rlimits", "not part of a seccomp profile; run with %s", strings.Join(fl, " "))
	}
}

func dockerCapName(c string) string {
	if c == "ALL" {
		return c
	}
	return strings.TrimPrefix(c, "CAP_")
}

func rlimitString(v uint64) string {
	if v == math.MaxUint64 {
		return "-1"
	}
	return strconv.FormatUint(v, 10)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// capsOf is what a profile without extends grants: its Add list, since its
// Drop applies first, to the empty set it starts from.
func capsOf(c *schema.Capabilities) []string {
	if c == nil {
		return nil
	}
	out := append([]string(nil), c.Add...)
	sort.Strings(out)
	return out
}

func ambientOf(c *schema.Capabilities) []string {
	if c == nil {
		return nil
	}
	return c.Ambient
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

// weightToShares inverts runc's cgroup v1 shares -> v2 weight mapping
// (weight = 1 + (shares-2)*9999/262142), so that runc on a v2 host writes
// the weight the profile asked for, give or take rounding.
func weightToShares(w uint64) uint64 {
	if w < 1 {
		w = 1
	}
	if w > 10000 {
		w = 10000
	}
	return 2 + ((w-1)*262142+9998)/9999
}

// weightToBlkio inverts runc's blkio weight -> io.weight mapping
// (io = 1 + (blkio-10)*9999/990).
func weightToBlkio(w uint64) uint64 {
	if w < 1 {
		w = 1
	}
	if w > 10000 {
		w = 10000
	}
	return 10 + ((w-1)*990+9998)/9999
}
