package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
)

// Compile turns a resolved profile into a launch plan: the seccomp filter
// for r.Target.Arch and its architectures, and the capabilities,
// namespaces, cgroup limits, rlimits, user and no_new_privs copied over.
// It makes no syscalls, and equal input gives byte-identical output.
func Compile(r *schema.Resolved, opts Options) (*plan.Plan, error) {
	if r == nil {
		return nil, fmt.Errorf("compile profile: no profile")
	}
	canon, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("compile profile: encode resolved profile: %w", err)
	}
	sum := sha256.Sum256(canon)
	p := &plan.Plan{
		Version:         plan.Version,
		ProfileDigest:   "sha256:" + hex.EncodeToString(sum[:]),
		Name:            r.Name,
		Arch:            r.Target.Arch,
		NoNewPrivileges: r.NoNewPrivileges,
		Capabilities: plan.Capabilities{
			Bounding:    nonNil(r.Capabilities.Bounding),
			Effective:   nonNil(r.Capabilities.Effective),
			Permitted:   nonNil(r.Capabilities.Permitted),
			Inheritable: nonNil(r.Capabilities.Inheritable),
			Ambient:     nonNil(r.Capabilities.Ambient),
		},
		Namespaces: namespaces(r.Namespaces),
		Cgroup:     cgroup(r.Cgroups),
	}
	if r.User != nil {
		p.User = &plan.User{UID: r.User.UID, GID: r.User.GID, Groups: slices.Clone(r.User.Groups)}
	}
	names := make([]string, 0, len(r.Rlimits))
	for n := range r.Rlimits {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		l := r.Rlimits[n]
		if l.Soft > l.Hard {
			return nil, fmt.Errorf("compile profile: rlimit %s: soft limit %d above hard limit %d", n, l.Soft, l.Hard)
		}
		p.Rlimits = append(p.Rlimits, plan.Rlimit{Name: n, Soft: l.Soft, Hard: l.Hard})
	}
	if r.Seccomp.Enabled {
		if r.Target.Arch == "" {
			return nil, fmt.Errorf("compile profile: no target architecture")
		}
		prog, err := CompileSeccomp(&r.Seccomp, r.Target.Arch, opts)
		if err != nil {
			return nil, fmt.Errorf("compile profile: %w", err)
		}
		archs := make([]string, len(prog.IR.Arches))
		for i, a := range prog.IR.Arches {
			archs[i] = a.Arch.Name
		}
		p.Seccomp = &plan.Seccomp{
			Program:          prog.Instructions,
			Flags:            slices.Clone(r.Seccomp.Flags),
			ListenerPath:     r.Seccomp.ListenerPath,
			ListenerMetadata: r.Seccomp.ListenerMetadata,
			Architectures:    archs,
			DefaultAction:    r.Seccomp.DefaultAction,
		}
	}
	return p, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func namespaces(n schema.Namespaces) plan.Namespaces {
	var out plan.Namespaces
	on := func(ns *schema.NS) bool { return ns != nil && ns.Enabled }
	if n.User != nil && n.User.Enabled {
		out.User = true
		out.UIDMap = idMaps(n.User.UIDMap)
		out.GIDMap = idMaps(n.User.GIDMap)
	}
	out.PID = on(n.PID)
	out.Mount = on(n.Mount)
	out.IPC = on(n.IPC)
	out.Net = on(n.Net)
	out.Cgroup = on(n.Cgroup)
	out.Time = on(n.Time)
	if n.UTS != nil && n.UTS.Enabled {
		out.UTS = true
		out.Hostname = n.UTS.Hostname
	}
	return out
}

func idMaps(m []schema.IDMap) []plan.IDMap {
	var out []plan.IDMap
	for _, x := range m {
		out = append(out, plan.IDMap{ContainerID: x.ContainerID, HostID: x.HostID, Size: x.Size})
	}
	return out
}

// cgroup returns nil when no limit is set, so no cgroup is created.
func cgroup(c schema.Cgroups) *plan.Cgroup {
	out := &plan.Cgroup{Optional: c.Optional}
	set := false
	if m := c.Memory; m != nil {
		out.MemoryMax, out.MemoryHigh, out.MemorySwapMax = ptr(m.Max), ptr(m.High), ptr(m.SwapMax)
		set = set || m.Max != nil || m.High != nil || m.SwapMax != nil
	}
	if cpu := c.CPU; cpu != nil {
		out.CPUMax, out.CPUWeight = ptr(cpu.Max), ptr(cpu.Weight)
		set = set || cpu.Max != nil || cpu.Weight != nil
	}
	if c.Pids != nil && c.Pids.Max != nil {
		out.PidsMax = ptr(c.Pids.Max)
		set = true
	}
	if io := c.IO; io != nil {
		out.IOWeight = ptr(io.Weight)
		set = set || io.Weight != nil
		for _, d := range io.Max {
			out.IOMax = append(out.IOMax, plan.IOMax{Device: d.Device, RBps: d.RBps, WBps: d.WBps, RIOps: d.RIOps, WIOps: d.WIOps})
			set = true
		}
	}
	if !set {
		return nil
	}
	return out
}

// ptr copies *p so the plan shares no memory with the profile.
func ptr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
