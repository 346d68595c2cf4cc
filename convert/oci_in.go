package convert

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// FromOCI reads an OCI runtime-spec config.json into a profilec profile:
// linux.seccomp, process.capabilities (the bounding set becomes the granted
// set), rlimits, noNewPrivileges, user, hostname, namespaces, id mappings
// and linux.resources. What a profile cannot hold (mounts, root, args,
// devices, namespaces joined by path, ...) comes back as notes.
func FromOCI(data []byte) (*schema.Profile, []Note, error) {
	if len(data) > maxInput {
		return nil, nil, fmt.Errorf("read oci config: %d bytes is more than the %d a profile may have", len(data), maxInput)
	}
	// The seccomp object is decoded by the Docker reader (strict, with
	// positions in its messages); the rest leniently, as runtimes do.
	var raw struct {
		Linux struct {
			Seccomp json.RawMessage `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("read oci config: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, nil, fmt.Errorf("read oci config: %w", err)
	}
	var ns notes
	p := &schema.Profile{Version: 1, Description: "Converted from an OCI runtime-spec config."}
	if len(raw.Linux.Seccomp) > 0 && string(raw.Linux.Seccomp) != "null" {
		var in dockerIn
		if err := decodeStrict(raw.Linux.Seccomp, &in); err != nil {
			return nil, nil, fmt.Errorf("read oci config: linux.seccomp: %w", err)
		}
		s, err := seccompFromDocker(&in, "oci config", "linux.seccomp")
		if err != nil {
			return nil, nil, err
		}
		p.Seccomp = s
	}
	nnp := false
	if proc := spec.Process; proc != nil {
		nnp = proc.NoNewPrivileges
		if c := proc.Capabilities; c != nil {
			caps := &schema.Capabilities{}
			var err error
			if caps.Add, err = canonCaps("process.capabilities.bounding", c.Bounding); err != nil {
				return nil, nil, err
			}
			if caps.Ambient, err = canonCaps("process.capabilities.ambient", c.Ambient); err != nil {
				return nil, nil, err
			}
			for _, set := range []struct {
				name string
				caps []string
			}{{"effective", c.Effective}, {"permitted", c.Permitted}} {
				cs, err := canonCaps("process.capabilities."+set.name, set.caps)
				if err != nil {
					return nil, nil, err
				}
				if !sameSet(cs, caps.Add) {
					ns.add("process.capabilities."+set.name, "profilec sets the effective and permitted sets to the granted (bounding) set; this one differed and was not kept")
				}
			}
			p.Capabilities = caps
		} else {
			ns.add("process.capabilities", "absent: runc would give no capabilities; the profile grants none either")
			p.Capabilities = &schema.Capabilities{Add: []string{}}
		}
		for i, l := range proc.Rlimits {
			name := strings.ToLower(strings.TrimPrefix(l.Type, "RLIMIT_"))
			if !knownRlimit(name) {
				return nil, nil, fmt.Errorf("read oci config: process.rlimits[%d].type: unknown rlimit %q", i, l.Type)
			}
			if p.Rlimits == nil {
				p.Rlimits = map[string]schema.Rlimit{}
			}
			p.Rlimits[name] = schema.Rlimit{Soft: l.Soft, Hard: l.Hard}
		}
		if proc.User.UID != 0 || proc.User.GID != 0 || len(proc.User.AdditionalGids) > 0 {
			p.User = &schema.User{UID: proc.User.UID, GID: proc.User.GID, Groups: append([]uint32(nil), proc.User.AdditionalGids...)}
		}
		var dropped []string
		if len(proc.Args) > 0 {
			dropped = append(dropped, "args")
		}
		if len(proc.Env) > 0 {
			dropped = append(dropped, "env")
		}
		if proc.ApparmorProfile != "" {
			dropped = append(dropped, "apparmorProfile")
		}
		if proc.SelinuxLabel != "" {
			dropped = append(dropped, "selinuxLabel")
		}
		if proc.OOMScoreAdj != nil {
			dropped = append(dropped, "oomScoreAdj")
		}
		if len(dropped) > 0 {
			ns.add("process", "a profile says what a program may do, not which program or how it is started: %s dropped", strings.Join(dropped, ", "))
		}
	}
	p.NoNewPrivileges = &nnp
	if spec.Linux != nil {
		if err := namespacesFromOCI(p, &spec, &ns); err != nil {
			return nil, nil, err
		}
		if err := resourcesFromOCI(p, spec.Linux.Resources, &ns); err != nil {
			return nil, nil, err
		}
		var dropped []string
		if len(spec.Linux.Devices) > 0 {
			dropped = append(dropped, "devices")
		}
		if len(spec.Linux.Sysctl) > 0 {
			dropped = append(dropped, "sysctl")
		}
		if len(spec.Linux.MaskedPaths)+len(spec.Linux.ReadonlyPaths) > 0 {
			dropped = append(dropped, "maskedPaths/readonlyPaths")
		}
		if len(dropped) > 0 {
			ns.add("linux", "not part of a profile: %s dropped", strings.Join(dropped, ", "))
		}
	}
	if len(spec.Mounts) > 0 || spec.Root != nil {
		ns.add("mounts", "the root filesystem and mounts are the engine's business, not the profile's; dropped")
	}
	return p, ns, nil
}

func canonCaps(path string, in []string) ([]string, error) {
	out := []string{}
	for i, c := range in {
		n, ok := systab.Capability(c)
		if !ok {
			return nil, fmt.Errorf("read oci config: %s[%d]: unknown capability %q", path, i, c)
		}
		out = append(out, systab.CapabilityName(n))
	}
	sort.Strings(out)
	return out, nil
}

var rlimitNames = []string{
	"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
	"nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
}

func knownRlimit(name string) bool {
	for _, n := range rlimitNames {
		if n == name {
			return true
		}
	}
	return false
}

func namespacesFromOCI(p *schema.Profile, spec *specs.Spec, ns *notes) error {
	l := spec.Linux
	if len(l.Namespaces) == 0 {
		return nil
	}
	out := &schema.Namespaces{}
	on := &schema.NS{Enabled: true}
	for i, n := range l.Namespaces {
		path := fmt.Sprintf("linux.namespaces[%d]", i)
		if n.Path != "" {
			ns.add(path, "joins the %s namespace at %s; a profile creates namespaces and cannot join one, dropped", n.Type, n.Path)
			continue
		}
		switch n.Type {
		case specs.PIDNamespace:
			out.PID = on
		case specs.NetworkNamespace:
			out.Net = on
		case specs.MountNamespace:
			out.Mount = on
		case specs.IPCNamespace:
			out.IPC = on
		case specs.UTSNamespace:
			out.UTS = &schema.UTSNS{Enabled: true, Hostname: spec.Hostname}
		case specs.UserNamespace:
			u := &schema.UserNS{Enabled: true}
			for _, m := range l.UIDMappings {
				u.UIDMap = append(u.UIDMap, schema.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
			}
			for _, m := range l.GIDMappings {
				u.GIDMap = append(u.GIDMap, schema.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
			}
			out.User = u
		case specs.CgroupNamespace:
			out.Cgroup = on
		case specs.TimeNamespace:
			out.Time = on
		default:
			return fmt.Errorf("read oci config: %s.type: unknown namespace %q", path, n.Type)
		}
	}
	if spec.Hostname != "" && out.UTS == nil {
		ns.add("hostname", "set without a UTS namespace of its own; dropped")
	}
	p.Namespaces = out
	return nil
}

func resourcesFromOCI(p *schema.Profile, r *specs.LinuxResources, ns *notes) error {
	if r == nil {
		return nil
	}
	c := &schema.Cgroups{}
	set := false
	if m := r.Memory; m != nil {
		mem := &schema.MemoryLimits{}
		if m.Limit != nil && *m.Limit > 0 {
			v := *m.Limit
			mem.Max = &v
		}
		if m.Swap != nil && *m.Swap > 0 {
			if mem.Max == nil || *m.Swap < *mem.Max {
				ns.add("linux.resources.memory.swap", "memory+swap without a memory limit below it has no cgroup v2 meaning; dropped")
			} else {
				v := *m.Swap - *mem.Max
				mem.SwapMax = &v
			}
		}
		if m.Reservation != nil {
			ns.add("linux.resources.memory.reservation", "no profile field; dropped")
		}
		if mem.Max != nil || mem.SwapMax != nil {
			c.Memory, set = mem, true
		}
	}
	if cpu := r.CPU; cpu != nil {
		lim := &schema.CPULimits{}
		if cpu.Quota != nil && *cpu.Quota > 0 {
			period := uint64(cpuPeriod)
			if cpu.Period != nil && *cpu.Period > 0 {
				period = *cpu.Period
			}
			v := float64(*cpu.Quota) / float64(period)
			lim.Max = &v
		}
		if cpu.Shares != nil && *cpu.Shares > 0 {
			w := sharesToWeight(*cpu.Shares)
			lim.Weight = &w
		}
		if cpu.Cpus != "" || cpu.Mems != "" {
			ns.add("linux.resources.cpu", "cpuset pinning has no profile field; dropped")
		}
		if lim.Max != nil || lim.Weight != nil {
			c.CPU, set = lim, true
		}
	}
	if r.Pids != nil && r.Pids.Limit > 0 {
		v := r.Pids.Limit
		c.Pids, set = &schema.PidsLimits{Max: &v}, true
	}
	if b := r.BlockIO; b != nil {
		io := &schema.IOLimits{}
		if b.Weight != nil && *b.Weight > 0 {
			w := blkioToWeight(uint64(*b.Weight))
			io.Weight = &w
		}
		devs := map[string]*schema.IODevice{}
		var order []string
		th := func(list []specs.LinuxThrottleDevice, f func(d *schema.IODevice, v uint64)) {
			for _, t := range list {
				key := fmt.Sprintf("%d:%d", t.Major, t.Minor)
				d, ok := devs[key]
				if !ok {
					d = &schema.IODevice{Device: key}
					devs[key] = d
					order = append(order, key)
				}
				f(d, t.Rate)
			}
		}
		th(b.ThrottleReadBpsDevice, func(d *schema.IODevice, v uint64) { d.RBps = v })
		th(b.ThrottleWriteBpsDevice, func(d *schema.IODevice, v uint64) { d.WBps = v })
		th(b.ThrottleReadIOPSDevice, func(d *schema.IODevice, v uint64) { d.RIOps = v })
		th(b.ThrottleWriteIOPSDevice, func(d *schema.IODevice, v uint64) { d.WIOps = v })
		for _, k := range order {
			io.Max = append(io.Max, *devs[k])
		}
		if io.Weight != nil || len(io.Max) > 0 {
			c.IO, set = io, true
		}
	}
	if len(r.Devices) > 0 {
		ns.add("linux.resources.devices", "the device cgroup has no profile field; dropped")
	}
	if len(r.Unified) > 0 {
		ns.add("linux.resources.unified", "raw cgroup v2 files have no profile field; dropped")
	}
	if set {
		p.Cgroups = c
	}
	return nil
}

// sharesToWeight is runc's cgroup v1 -> v2 mapping, so a profile converted
// from a config limits a v2 host as runc would.
func sharesToWeight(s uint64) uint64 {
	if s < 2 {
		s = 2
	}
	if s > 262144 {
		s = 262144
	}
	return 1 + ((s-2)*9999)/262142
}

func blkioToWeight(b uint64) uint64 {
	if b < 10 {
		b = 10
	}
	if b > 1000 {
		b = 1000
	}
	return 1 + ((b-10)*9999)/990
}
