package convert

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
)

func confinedResolved(t *testing.T) *schema.Resolved {
	t.Helper()
	p, err := schema.LoadBytes("confined.yaml", readTestdata(t, "confined.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
}

func TestToOCIFragment(t *testing.T) {
	r := confinedResolved(t)
	out, _, err := ToOCI(r, OCIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var frag map[string]json.RawMessage
	if err := json.Unmarshal(out, &frag); err != nil {
		t.Fatal(err)
	}
	for k := range frag {
		if !slices.Contains([]string{"ociVersion", "hostname", "process", "linux"}, k) {
			t.Errorf("a fragment holds only what the profile decides; it has %q", k)
		}
	}
	var s specs.Spec
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Hostname != "pc-confined" || !s.Process.NoNewPrivileges {
		t.Errorf("hostname %q, noNewPrivileges %v", s.Hostname, s.Process.NoNewPrivileges)
	}
	want := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"}
	c := s.Process.Capabilities
	for name, set := range map[string][]string{"bounding": c.Bounding, "effective": c.Effective, "permitted": c.Permitted} {
		if !slices.Equal(set, want) {
			t.Errorf("%s %v", name, set)
		}
	}
	if len(c.Ambient) != 0 || len(c.Inheritable) != 0 {
		t.Errorf("inheritable and ambient must be empty: %+v", c)
	}
	if len(s.Process.Rlimits) != 1 || s.Process.Rlimits[0] != (specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 1024}) {
		t.Errorf("rlimits %+v", s.Process.Rlimits)
	}
	res := s.Linux.Resources
	if res == nil || res.Pids == nil || res.Pids.Limit != 64 || res.Memory == nil || *res.Memory.Limit != 64<<20 {
		t.Errorf("resources %+v", res)
	}
	var types []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		types = append(types, n.Type)
	}
	if !slices.Equal(types, []specs.LinuxNamespaceType{"pid", "mount", "ipc", "uts"}) {
		t.Errorf("namespaces %v", types)
	}
	sc := s.Linux.Seccomp
	if sc == nil || sc.DefaultAction != "SCMP_ACT_ALLOW" || len(sc.Syscalls) != 2 || *sc.Syscalls[0].ErrnoRet != 1 {
		t.Errorf("seccomp %+v", sc)
	}
}

func TestToOCIResources(t *testing.T) {
	p, err := schema.LoadBytes("r.yaml", []byte(`version: 1
cgroups:
  memory: {max: 100Mi, high: 80Mi, swapMax: 50Mi}
  cpu: {max: 1.5, weight: 100}
  io:
    weight: 100
    max: [{device: "8:0", rbps: 1048576, wiops: 100}]
namespaces:
  user: {enabled: true}
`), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	out, notes, err := ToOCI(r, OCIOptions{HostUID: 1000, HostGID: 1001})
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	res := s.Linux.Resources
	if *res.Memory.Limit != 100<<20 || *res.Memory.Swap != 150<<20 {
		t.Errorf("memory %+v: swap is memory plus swap in the runtime-spec", res.Memory)
	}
	if *res.CPU.Quota != 150000 || *res.CPU.Period != 100000 {
		t.Errorf("cpu %+v", res.CPU)
	}
	// runc turns shares back into cpu.weight on cgroup v2; it must land on
	// the weight asked for.
	if w := sharesToWeight(*res.CPU.Shares); w != 100 {
		t.Errorf("shares %d map back to weight %d", *res.CPU.Shares, w)
	}
	b := res.BlockIO
	if b == nil || len(b.ThrottleReadBpsDevice) != 1 || b.ThrottleReadBpsDevice[0].Major != 8 || b.ThrottleReadBpsDevice[0].Rate != 1<<20 ||
		len(b.ThrottleWriteIOPSDevice) != 1 || len(b.ThrottleWriteBpsDevice) != 0 || b.Weight == nil {
		t.Errorf("blockIO %+v", b)
	}
	if !slices.Equal(s.Linux.UIDMappings, []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}) ||
		!slices.Equal(s.Linux.GIDMappings, []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}}) {
		t.Errorf("id maps %+v %+v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	for _, path := range []string{"cgroups.memory.high", "cgroups.memory.swapMax", "cgroups.cpu.weight", "namespaces.user.uidMap", "seccomp"} {
		if !hasNote(notes, path) {
			t.Errorf("no note on %s: %v", path, notes)
		}
	}
	for w := uint64(1); w <= 10000; w += 37 {
		if got := sharesToWeight(weightToShares(w)); got != w {
			t.Fatalf("weight %d -> shares %d -> weight %d", w, weightToShares(w), got)
		}
	}
}

// TestOCIRoundTrip reads a bundle config ToOCI wrote back with FromOCI:
// the profile must resolve to the same confinement.
func TestOCIRoundTrip(t *testing.T) {
	r := confinedResolved(t)
	out, _, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "rootfs", Args: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := Detect(out); err != nil || k != KindOCI {
		t.Fatalf("Detect = %v, %v", k, err)
	}
	p, notes, err := FromOCI(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"process", "mounts", "linux", "linux.resources.devices"} {
		if !hasNote(notes, path) {
			t.Errorf("no note on %s: %v", path, notes)
		}
	}
	back := resolve(t, reload(t, p), "SCMP_ARCH_X86_64", "6.1")
	if d := cmp.Diff(r.Capabilities, back.Capabilities); d != "" {
		t.Errorf("capabilities (-want +got):\n%s", d)
	}
	if d := cmp.Diff(r.Cgroups, back.Cgroups, posFree); d != "" {
		t.Errorf("cgroups (-want +got):\n%s", d)
	}
	if d := cmp.Diff(r.Rlimits, back.Rlimits); d != "" {
		t.Errorf("rlimits (-want +got):\n%s", d)
	}
	if d := cmp.Diff(r.Namespaces, back.Namespaces, posFree); d != "" {
		t.Errorf("namespaces (-want +got):\n%s", d)
	}
	if r.NoNewPrivileges != back.NoNewPrivileges {
		t.Errorf("noNewPrivileges %v", back.NoNewPrivileges)
	}
	sameVerdicts(t, "oci round trip", r.Seccomp.Architectures, [][]schema.SyscallRule{r.Seccomp.Syscalls, back.Seccomp.Syscalls},
		progRunner(compileFor(t, r)), progRunner(compileFor(t, back)))
}

func TestFromOCI(t *testing.T) {
	cfg := `{"ociVersion": "1.0.2", "hostname": "h",
	"process": {"cwd": "/", "user": {"uid": 1000, "gid": 100, "additionalGids": [5]},
		"capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL", "CAP_CHOWN"], "ambient": ["CAP_KILL"]}},
	"linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}, {"type": "uts"}],
		"resources": {"cpu": {"quota": 50000, "period": 100000, "cpus": "0-1"}, "memory": {"limit": 1048576, "swap": 3145728}}}}`
	p, notes, err := FromOCI([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Capabilities.Add, []string{"CAP_CHOWN", "CAP_KILL"}) || !slices.Equal(p.Capabilities.Ambient, []string{"CAP_KILL"}) {
		t.Errorf("capabilities %+v", p.Capabilities)
	}
	if p.User == nil || p.User.UID != 1000 || p.User.GID != 100 || !slices.Equal(p.User.Groups, []uint32{5}) {
		t.Errorf("user %+v", p.User)
	}
	if p.Namespaces.PID == nil || p.Namespaces.Net != nil || p.Namespaces.UTS == nil || p.Namespaces.UTS.Hostname != "h" {
		t.Errorf("namespaces %+v", p.Namespaces)
	}
	if *p.Cgroups.CPU.Max != 0.5 || *p.Cgroups.Memory.Max != 1<<20 || *p.Cgroups.Memory.SwapMax != 2<<20 {
		t.Errorf("cgroups %+v %+v", p.Cgroups.CPU, p.Cgroups.Memory)
	}
	if p.Seccomp != nil {
		t.Error("no linux.seccomp, yet a seccomp section")
	}
	for _, path := range []string{"process.capabilities.effective", "linux.namespaces[1]", "linux.resources.cpu"} {
		if !hasNote(notes, path) {
			t.Errorf("no note on %s: %v", path, notes)
		}
	}
	if _, err := schema.LoadBytes("x", mustYAML(t, p), schema.Options{}); err != nil {
		t.Errorf("the converted profile does not load: %v", err)
	}
	for _, c := range []struct{ what, in, want string }{
		{"unknown cap", `{"process": {"capabilities": {"bounding": ["CAP_FLY"]}}}`, "unknown capability"},
		{"unknown rlimit", `{"process": {"rlimits": [{"type": "RLIMIT_FUN", "soft": 1, "hard": 1}]}}`, "unknown rlimit"},
		{"bad seccomp", `{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "nope"}]}}}`, "linux.seccomp.syscalls[0].action"},
		{"unknown namespace", `{"linux": {"namespaces": [{"type": "fun"}]}}`, "unknown namespace"},
		{"not json", `{"linux": `, "read oci config"},
	} {
		_, _, err := FromOCI([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.what, err, c.want)
		}
	}
}

func mustYAML(t *testing.T, p *schema.Profile) []byte {
	t.Helper()
	y, err := ToYAML(p, "")
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestToOCIBundleUserNamespace(t *testing.T) {
	p, err := schema.LoadBytes("u.yaml", []byte("version: 1\nnamespaces:\n  user: {enabled: true, uidMap: [{containerID: 0, hostID: 100000, size: 65536}], gidMap: [{containerID: 0, hostID: 100000, size: 65536}]}\n  pid: true\n"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	out, notes, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "/x/rootfs"})
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Root.Path != "/x/rootfs" || !slices.Equal(s.Process.Args, []string{"sh"}) || s.Process.Cwd != "/" {
		t.Errorf("root %+v args %v", s.Root, s.Process.Args)
	}
	if !hasNote(notes, "namespaces.mount") {
		t.Errorf("the added mount namespace is not noted: %v", notes)
	}
	for _, m := range s.Mounts {
		if m.Type == "sysfs" || m.Type == "mqueue" {
			t.Errorf("%s cannot be mounted fresh in a user namespace without its own net/ipc namespace", m.Type)
		}
	}
	if s.Linux.UIDMappings[0].HostID != 100000 {
		t.Errorf("uid maps %+v", s.Linux.UIDMappings)
	}
	if _, _, err := ToOCI(r, OCIOptions{Bundle: true}); err == nil {
		t.Error("a bundle without a rootfs was written")
	}
}

// TestFromOCINoCapabilities: a config without process.capabilities gives
// a process none (runc's reading), and so does the converted profile.
func TestFromOCINoCapabilities(t *testing.T) {
	p, notes, err := FromOCI([]byte(`{"ociVersion": "1.0.2", "process": {"cwd": "/", "args": ["sh"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(notes, "process.capabilities") || !hasNote(notes, "process") {
		t.Errorf("notes %v", notes)
	}
	r := resolve(t, reload(t, p), "SCMP_ARCH_X86_64", "6.1")
	if len(r.Capabilities.Bounding) != 0 || r.Seccomp.Enabled || r.NoNewPrivileges {
		t.Errorf("caps %v, seccomp %v, nnp %v", r.Capabilities.Bounding, r.Seccomp.Enabled, r.NoNewPrivileges)
	}
}

// TestOCIRoundTripRich: every field the OCI writer maps comes back from the
// reader unchanged.
func TestOCIRoundTripRich(t *testing.T) {
	p, err := schema.LoadBytes("rich.yaml", readTestdata(t, "rich.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	out, _, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "rootfs"})
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := FromOCI(out)
	if err != nil {
		t.Fatal(err)
	}
	back := resolve(t, reload(t, q), "SCMP_ARCH_X86_64", "6.1")
	for _, c := range []struct {
		what      string
		want, got any
	}{
		{"capabilities", r.Capabilities, back.Capabilities},
		{"user", r.User, back.User},
		{"namespaces", r.Namespaces, back.Namespaces},
		{"cgroups", r.Cgroups, back.Cgroups},
		{"rlimits", r.Rlimits, back.Rlimits},
		{"noNewPrivileges", r.NoNewPrivileges, back.NoNewPrivileges},
		{"seccomp", r.Seccomp, back.Seccomp},
	} {
		if d := cmp.Diff(c.want, c.got, posFree); d != "" {
			t.Errorf("%s changed through config.json (-want +got):\n%s", c.what, d)
		}
	}
}

// TestRuncNeedsNoteUnit: Docker's default allows everything runc needs
// after its filter; a minimal allow-list does not, and the note names
// exactly what is missing.
func TestRuncNeedsNoteUnit(t *testing.T) {
	mobyDefault := loadDockerJSON(t, dockerInputs(t)["moby-default"])
	for _, nnp := range []bool{true, false} {
		mobyDefault.NoNewPrivileges = &nnp
		r := resolve(t, mobyDefault, "SCMP_ARCH_X86_64", "6.1")
		_, notes, err := ToOCI(r, OCIOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if strings.Contains(n.Msg, "runc would fail") {
				t.Errorf("Docker's default, noNewPrivileges %v: %s", nnp, n)
			}
		}
	}
	p, err := schema.LoadBytes("m.yaml", []byte(`version: 1
noNewPrivileges: true
seccomp:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
    - {names: [execve, close, openat, write, futex, exit_group, getpid, gettid, madvise, mmap, munmap, nanosleep, rt_sigprocmask, rt_sigreturn, sched_yield, sigaltstack, tgkill], action: SCMP_ACT_ALLOW}
    - {names: [getdents64], action: SCMP_ACT_ALLOW, args: [{index: 2, value: 0, op: SCMP_CMP_NE}]}
`), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, notes, err := ToOCI(resolve(t, p, "SCMP_ARCH_X86_64", "6.1"), OCIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range notes {
		if strings.Contains(n.Msg, "runc would fail") {
			found = true
			if !strings.Contains(n.Msg, "needs fstatfs, getdents64, which") {
				t.Errorf("the note should name fstatfs and the argument-bound getdents64 only: %s", n)
			}
		}
	}
	if !found {
		t.Errorf("no runc note: %v", notes)
	}
}

func loadDockerJSON(t *testing.T, data []byte) *schema.Profile {
	t.Helper()
	p, err := FromDocker(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFromOCIRuncSpec reads the configs runc itself writes (`runc spec`,
// and `runc spec --rootless` with its user namespace).
func TestFromOCIRuncSpec(t *testing.T) {
	runc := testenv.RequireCommand(t, "runc")
	for _, args := range [][]string{{"spec"}, {"spec", "--rootless"}} {
		dir := t.TempDir()
		cmd := exec.Command(runc, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("runc %v: %v: %s", args, err, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if k, err := Detect(data); err != nil || k != KindOCI {
			t.Fatalf("runc %v: Detect = %v, %v", args, k, err)
		}
		p, notes, err := FromOCI(data)
		if err != nil {
			t.Fatalf("runc %v: %v", args, err)
		}
		r := resolve(t, reload(t, p), "SCMP_ARCH_X86_64", "6.1")
		if !slices.Equal(r.Capabilities.Bounding, []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}) ||
			!r.NoNewPrivileges || r.Rlimits["nofile"] != (schema.Rlimit{Soft: 1024, Hard: 1024}) ||
			r.Namespaces.PID == nil || r.Namespaces.Mount == nil || r.Namespaces.IPC == nil || r.Namespaces.UTS == nil ||
			r.Namespaces.UTS.Hostname != "runc" || r.Seccomp.Enabled {
			t.Errorf("runc %v: %+v %+v", args, r.Capabilities, r.Namespaces)
		}
		rootless := len(args) == 2
		if rootless != (r.Namespaces.User != nil && len(r.Namespaces.User.UIDMap) == 1) {
			t.Errorf("runc %v: user namespace %+v", args, r.Namespaces.User)
		}
		for _, path := range []string{"mounts", "process", "linux"} {
			if !hasNote(notes, path) {
				t.Errorf("runc %v: no note on %s: %v", args, path, notes)
			}
		}
	}
}

func TestFromOCIBlockIO(t *testing.T) {
	p, _, err := FromOCI([]byte(`{"linux": {"resources": {"blockIO": {"weight": 500,
		"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 100}],
		"throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 200}, {"major": 8, "minor": 16, "rate": 300}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	io := p.Cgroups.IO
	if io == nil || *io.Weight != blkioToWeight(500) || len(io.Max) != 2 ||
		io.Max[0] != (schema.IODevice{Device: "8:0", RBps: 100, WBps: 200}) || io.Max[1] != (schema.IODevice{Device: "8:16", WBps: 300}) {
		t.Errorf("io %+v", io)
	}
	if w := blkioToWeight(500); w < 1 || w > 10000 || blkioToWeight(10) != 1 || blkioToWeight(1000) != 10000 {
		t.Errorf("blkio weights map to %d, %d, %d", w, blkioToWeight(10), blkioToWeight(1000))
	}
}
