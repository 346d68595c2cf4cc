package convert

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// OCIOptions shape ToOCI's output.
type OCIOptions struct {
	// Bundle asks for a complete config.json that `runc run` accepts
	// instead of a fragment to merge into one.
	Bundle bool
	// Rootfs is root.path of a bundle config (relative to the bundle
	// directory, or absolute). Required with Bundle.
	Rootfs string
	// Args is process.args of a bundle config; empty means ["sh"].
	Args []string
	// HostUID and HostGID are whom a user namespace without explicit maps
	// maps root onto: profilec maps the caller, and a config has to say who
	// that is.
	HostUID, HostGID uint32
}

// ociFragment is the part of a runtime-spec config a profile decides; the
// engine's own config supplies the rest (root, mounts, args).
type ociFragment struct {
	OCIVersion string              `json:"ociVersion"`
	Hostname   string              `json:"hostname,omitempty"`
	Process    *ociProcessFragment `json:"process,omitempty"`
	Linux      *specs.Linux        `json:"linux,omitempty"`
}

type ociProcessFragment struct {
	User            *specs.User              `json:"user,omitempty"`
	Capabilities    *specs.LinuxCapabilities `json:"capabilities,omitempty"`
	Rlimits         []specs.POSIXRlimit      `json:"rlimits,omitempty"`
	NoNewPrivileges bool                     `json:"noNewPrivileges"`
}

// ToOCI writes a resolved profile as an OCI runtime-spec config: a fragment
// with process.capabilities, process.rlimits, process.noNewPrivileges,
// process.user, hostname and linux (seccomp, resources, namespaces, id
// mappings), or with o.Bundle a complete config.json. The runtime-spec has
// no conditions, so r must already be resolved for the target; notes say
// what the format changed or could not carry.
func ToOCI(r *schema.Resolved, o OCIOptions) ([]byte, []Note, error) {
	if r == nil {
		return nil, nil, fmt.Errorf("write oci config: no profile")
	}
	var ns notes
	ns.add("", "conditions (includes/excludes) and extends were resolved for %s", targetString(r.Target))
	linux := &specs.Linux{}
	if r.Seccomp.Enabled {
		linux.Seccomp = ociSeccomp(&r.Seccomp)
	} else {
		ns.add("seccomp", "the profile has no seccomp section: the config installs no filter")
	}
	if r.Seccomp.Enabled {
		runcNeeds(r, &ns)
	}
	res, err := ociResources(&r.Cgroups, &ns)
	if err != nil {
		return nil, nil, err
	}
	linux.Resources = res
	hostname := ociNamespaces(r, linux, o, &ns)
	proc := &ociProcessFragment{
		Capabilities: &specs.LinuxCapabilities{
			Bounding:    nonNil(r.Capabilities.Bounding),
			Effective:   nonNil(r.Capabilities.Effective),
			Permitted:   nonNil(r.Capabilities.Permitted),
			Inheritable: nonNil(r.Capabilities.Inheritable),
			Ambient:     nonNil(r.Capabilities.Ambient),
		},
		NoNewPrivileges: r.NoNewPrivileges,
	}
	if r.User != nil {
		proc.User = &specs.User{UID: r.User.UID, GID: r.User.GID, AdditionalGids: append([]uint32(nil), r.User.Groups...)}
	}
	for _, name := range sortedKeys(r.Rlimits) {
		l := r.Rlimits[name]
		proc.Rlimits = append(proc.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(name), Soft: l.Soft, Hard: l.Hard})
	}
	if !o.Bundle {
		data, err := marshalJSON(&ociFragment{OCIVersion: specs.Version, Hostname: hostname, Process: proc, Linux: linux})
		if err != nil {
			return nil, nil, fmt.Errorf("write oci config: %w", err)
		}
		return data, ns, nil
	}
	spec, err := bundleSpec(r, o, proc, linux, hostname, &ns)
	if err != nil {
		return nil, nil, err
	}
	data, err := marshalJSON(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("write oci config: %w", err)
	}
	return data, ns, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

// ociNamespaces fills linux.namespaces and the id mappings, and returns the
// hostname (which the runtime-spec keeps outside linux).
func ociNamespaces(r *schema.Resolved, linux *specs.Linux, o OCIOptions, ns *notes) string {
	n := &r.Namespaces
	add := func(t specs.LinuxNamespaceType, on bool) {
		if on {
			linux.Namespaces = append(linux.Namespaces, specs.LinuxNamespace{Type: t})
		}
	}
	add(specs.PIDNamespace, n.PID != nil && n.PID.Enabled)
	add(specs.NetworkNamespace, n.Net != nil && n.Net.Enabled)
	add(specs.MountNamespace, n.Mount != nil && n.Mount.Enabled)
	add(specs.IPCNamespace, n.IPC != nil && n.IPC.Enabled)
	add(specs.UTSNamespace, n.UTS != nil && n.UTS.Enabled)
	add(specs.UserNamespace, n.User != nil && n.User.Enabled)
	add(specs.CgroupNamespace, n.Cgroup != nil && n.Cgroup.Enabled)
	add(specs.TimeNamespace, n.Time != nil && n.Time.Enabled)
	if n.User != nil && n.User.Enabled {
		linux.UIDMappings = idMaps(n.User.UIDMap, o.HostUID)
		linux.GIDMappings = idMaps(n.User.GIDMap, o.HostGID)
		if len(n.User.UIDMap) == 0 {
			ns.add("namespaces.user.uidMap", "not given: root inside maps to host uid %d, the user who converted the profile", o.HostUID)
		}
		if len(n.User.GIDMap) == 0 {
			ns.add("namespaces.user.gidMap", "not given: root inside maps to host gid %d, the user who converted the profile", o.HostGID)
		}
	}
	if n.UTS != nil && n.UTS.Enabled {
		return n.UTS.Hostname
	}
	return ""
}

func idMaps(m []schema.IDMap, host uint32) []specs.LinuxIDMapping {
	if len(m) == 0 {
		return []specs.LinuxIDMapping{{ContainerID: 0, HostID: host, Size: 1}}
	}
	out := make([]specs.LinuxIDMapping, 0, len(m))
	for _, e := range m {
		out = append(out, specs.LinuxIDMapping{ContainerID: e.ContainerID, HostID: e.HostID, Size: e.Size})
	}
	return out
}

// cpuPeriod is the CFS period runc and Docker use by default, in µs.
const cpuPeriod = 100000

// ociResources maps profile limits onto linux.resources. The runtime-spec
// speaks cgroup v1 (runc translates to v2), so v2-only knobs are dropped
// with a note rather than written as linux.resources.unified, which runc
// refuses outright on a v1 host.
func ociResources(c *schema.Cgroups, ns *notes) (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{}
	empty := true
	if c.Memory != nil {
		m := &specs.LinuxMemory{}
		if c.Memory.Max != nil {
			v := *c.Memory.Max
			m.Limit = &v
		}
		if c.Memory.SwapMax != nil {
			if c.Memory.Max == nil {
				ns.add("cgroups.memory.swapMax", "the runtime-spec limits memory+swap together and needs memory.max for that; dropped")
			} else {
				v := *c.Memory.Max + *c.Memory.SwapMax
				m.Swap = &v
				ns.add("cgroups.memory.swapMax", "written as linux.resources.memory.swap = max + swapMax = %d (memory plus swap)", v)
			}
		}
		if c.Memory.High != nil {
			ns.add("cgroups.memory.high", "the runtime-spec has no memory.high outside linux.resources.unified, which cgroup v1 hosts refuse; dropped")
		}
		if m.Limit != nil || m.Swap != nil {
			res.Memory = m
			empty = false
		}
	}
	if c.CPU != nil {
		cpu := &specs.LinuxCPU{}
		if c.CPU.Max != nil {
			if *c.CPU.Max <= 0 || math.IsNaN(*c.CPU.Max) || math.IsInf(*c.CPU.Max, 0) {
				return nil, fmt.Errorf("write oci config: cgroups.cpu.max %v is not a positive number of CPUs", *c.CPU.Max)
			}
			q := int64(math.Round(*c.CPU.Max * cpuPeriod))
			p := uint64(cpuPeriod)
			cpu.Quota, cpu.Period = &q, &p
		}
		if c.CPU.Weight != nil {
			s := weightToShares(*c.CPU.Weight)
			cpu.Shares = &s
			ns.add("cgroups.cpu.weight", "written as linux.resources.cpu.shares %d; runc maps it back to cpu.weight %d on cgroup v2", s, *c.CPU.Weight)
		}
		if cpu.Quota != nil || cpu.Shares != nil {
			res.CPU = cpu
			empty = false
		}
	}
	if c.Pids != nil && c.Pids.Max != nil {
		res.Pids = &specs.LinuxPids{Limit: *c.Pids.Max}
		empty = false
	}
	if c.IO != nil {
		b := &specs.LinuxBlockIO{}
		set := false
		if c.IO.Weight != nil {
			w := uint16(weightToBlkio(*c.IO.Weight))
			b.Weight = &w
			set = true
			ns.add("cgroups.io.weight", "written as linux.resources.blockIO.weight %d (range 10-1000); runc maps it back to io.weight only approximately", w)
		}
		for i, d := range c.IO.Max {
			maj, min, err := parseDevice(d.Device)
			if err != nil {
				return nil, fmt.Errorf("write oci config: cgroups.io.max[%d].device: %w", i, err)
			}
			dev := specs.LinuxBlockIODevice{Major: maj, Minor: min}
			th := func(list *[]specs.LinuxThrottleDevice, rate uint64) {
				if rate != 0 {
					*list = append(*list, specs.LinuxThrottleDevice{LinuxBlockIODevice: dev, Rate: rate})
					set = true
				}
			}
			th(&b.ThrottleReadBpsDevice, d.RBps)
			th(&b.ThrottleWriteBpsDevice, d.WBps)
			th(&b.ThrottleReadIOPSDevice, d.RIOps)
			th(&b.ThrottleWriteIOPSDevice, d.WIOps)
		}
		if set {
			res.BlockIO = b
			empty = false
		}
	}
	if c.Optional && !empty {
		ns.add("cgroups.optional", "runtimes have no optional limits: the config requires every limit and fails to start without cgroup delegation")
	}
	if empty {
		return nil, nil
	}
	return res, nil
}

func parseDevice(s string) (int64, int64, error) {
	a, b, ok := strings.Cut(s, ":")
	maj, err1 := strconv.ParseInt(a, 10, 64)
	min, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || maj < 0 || min < 0 {
		return 0, 0, fmt.Errorf("%q is not MAJOR:MINOR", s)
	}
	return maj, min, nil
}

// bundleSpec completes a fragment into the config `runc spec` would write,
// with the profile's confinement in place of runc's defaults.
func bundleSpec(r *schema.Resolved, o OCIOptions, proc *ociProcessFragment, linux *specs.Linux, hostname string, ns *notes) (*specs.Spec, error) {
	if o.Rootfs == "" {
		return nil, fmt.Errorf("write oci bundle: a bundle needs a root filesystem (--rootfs)")
	}
	args := o.Args
	if len(args) == 0 {
		args = []string{"sh"}
	}
	user := specs.User{}
	if proc.User != nil {
		user = *proc.User
	}
	has := func(t specs.LinuxNamespaceType) bool {
		for _, n := range linux.Namespaces {
			if n.Type == t {
				return true
			}
		}
		return false
	}
	// runc pivots into the rootfs, which it may only do in a mount
	// namespace of its own; the profile's other namespaces stay as given.
	if !has(specs.MountNamespace) {
		linux.Namespaces = append(linux.Namespaces, specs.LinuxNamespace{Type: specs.MountNamespace})
		ns.add("namespaces.mount", "added: runc needs a mount namespace to pivot into the root filesystem")
	}
	userns := has(specs.UserNamespace)
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: devptsOptions(userns)},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
	}
	// mqueue and sysfs can be mounted fresh only by the owner of the IPC and
	// network namespaces; in a user namespace without its own, bind the host's
	// (as `runc spec --rootless` does).
	if !userns || has(specs.IPCNamespace) {
		mounts = append(mounts, specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}})
	}
	if !userns || has(specs.NetworkNamespace) {
		mounts = append(mounts,
			specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		)
	} else {
		mounts = append(mounts, specs.Mount{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}})
	}
	if !userns {
		// The default device cgroup rule of `runc spec`: no device access
		// beyond the ones runc itself creates.
		if linux.Resources == nil {
			linux.Resources = &specs.LinuxResources{}
		}
		linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
	}
	linux.MaskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
	}
	linux.ReadonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
	rootfs := filepath.Clean(o.Rootfs)
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Process: &specs.Process{
			User:            user,
			Args:            append([]string(nil), args...),
			Env:             []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"},
			Cwd:             "/",
			Capabilities:    proc.Capabilities,
			Rlimits:         proc.Rlimits,
			NoNewPrivileges: proc.NoNewPrivileges,
		},
		Hostname: hostname,
		Mounts:   mounts,
		Linux:    linux,
	}, nil
}

func devptsOptions(userns bool) []string {
	if userns {
		// gid=5 (tty) may not be mapped inside a user namespace.
		return []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
	}
	return []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}
}

// allCaps is every capability this build knows, canonical names.
func allCaps() []string { return systab.CapabilityNames() }

// runcAfterFilter are the syscalls runc 1.1 makes after installing the
// container's filter, found on x86_64 by denying each in turn, plus those
// the Go runtime in runc's init may make at any moment (futex, signals,
// memory), whose absence crashes runc only now and then. With
// noNewPrivileges runc installs the filter just before execve and only
// closes its descriptors after it; without, it installs the filter before
// dropping privileges, so setting up the user and capabilities comes after
// it too. profilec exec installs the filter as its very last step, so under
// profilec only execve is needed.
var runcAfterFilter = func() map[bool][]string {
	goRuntime := []string{"exit_group", "futex", "getpid", "gettid", "madvise", "mmap", "munmap", "nanosleep",
		"rt_sigprocmask", "rt_sigreturn", "sched_yield", "sigaltstack", "tgkill"}
	withNNP := append([]string{"close", "execve", "fstatfs", "getdents64", "openat", "write"}, goRuntime...)
	withoutNNP := append([]string{"capget", "capset", "chdir", "close", "execve", "faccessat", "fstat", "fstatfs",
		"getcwd", "getdents64", "getppid", "newfstatat", "openat", "readlinkat", "setgid", "setgroups", "setuid",
		"statx", "write"}, goRuntime...)
	sort.Strings(withNNP)
	sort.Strings(withoutNNP)
	return map[bool][]string{true: withNNP, false: withoutNNP}
}()

// runcNeeds notes the syscalls runc needs after installing the filter that
// the filter does not allow: a profile that runs under profilec exec can
// stop runc from starting the container at all.
func runcNeeds(r *schema.Resolved, ns *notes) {
	var missing []string
	for _, name := range runcAfterFilter[r.NoNewPrivileges] {
		if !allows(&r.Seccomp, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	when := "just before execve"
	if !r.NoNewPrivileges {
		when = "before it sets up the user and capabilities (noNewPrivileges is false)"
	}
	ns.add("seccomp", "runc installs the filter %s and then needs %s, which the filter does not allow: runc would fail to start the container (profilec exec needs only execve). Allow them, or extend docker-default", when, strings.Join(missing, ", "))
}

// allows reports whether the filter surely allows a call of name with any
// arguments: an unconditional ALLOW or LOG rule and no other unconditional
// rule for it, or no rule at all under an ALLOW or LOG default.
func allows(s *schema.ResolvedSeccomp, name string) bool {
	permissive := func(a string) bool { return a == "SCMP_ACT_ALLOW" || a == "SCMP_ACT_LOG" }
	named, allowed := false, false
	for _, r := range s.Syscalls {
		for _, n := range r.Names {
			if n != name {
				continue
			}
			named = true
			if len(r.Args) > 0 {
				continue
			}
			if !permissive(r.Action) {
				return false
			}
			allowed = true
		}
	}
	if named {
		return allowed
	}
	return permissive(s.DefaultAction)
}
