package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/internal/testenv"
)

// The full plan of issue 4's benchmark: new pid, mount, uts, ipc and net
// namespaces; Docker's default capabilities and seccomp profile;
// no_new_privs; memory and pids limits. The target is the host's
// /bin/true for all three runtimes, as the issue asks.
const (
	memoryLimit = 256 << 20
	pidsLimit   = 1024
	rounds      = 41
)

var dockerCaps = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func runOK(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

type tool struct {
	name  string
	cmd   func(i int) *exec.Cmd
	times []time.Duration
	rss   []int64 // ru_maxrss of the waited process, bytes
	// after are the times by the tool that ran just before.
	after map[string][]time.Duration
}

// median is the middle value, or the mean of the two middle values of an
// even count.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func medianInt(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestCompareLaunch(t *testing.T) {
	if os.Getenv("PROFILEC_BENCH") == "" {
		t.Skip("a benchmark, not a unit test: run with PROFILEC_BENCH=1 go test ./enforcer/bench -run TestCompareLaunch -v -count=1")
	}
	testenv.RequireRoot(t)
	testenv.RequireFile(t, "/bin/true")
	runc := testenv.RequireCommand(t, "runc")
	bwrap := testenv.RequireCommand(t, "bwrap")
	dir := t.TempDir()

	// profilec: the binary users run, and the plan compiled from Docker's
	// default profile with the benchmark's namespaces and limits; and, in
	// a directory of its own, the lean profilec-init for reference.
	profilec := filepath.Join(dir, "profilec")
	leanDir := filepath.Join(dir, "lean")
	for pkg, out := range map[string]string{"./cmd/profilec": dir, "./enforcer/cmd/profilec-init": leanDir} {
		build := exec.Command("go", "build", "-o", out+"/", pkg)
		build.Dir = moduleRoot(t)
		// As released: pure Go and statically linked. A cgo build would
		// start through the dynamic loader and libc, ~0.7 ms per launch.
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	var p plan.Plan
	if err := json.Unmarshal(runOK(t, profilec, "compile", "docker-default", "--no-policy"), &p); err != nil {
		t.Fatalf("decode plan: %v", err)
	}
	p.Namespaces = plan.Namespaces{PID: true, Mount: true, UTS: true, IPC: true, Net: true, Hostname: "bench"}
	p.Capabilities = plan.Capabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps}
	p.NoNewPrivileges = true
	mem, pids := int64(memoryLimit), int64(pidsLimit)
	p.Cgroup = &plan.Cgroup{MemoryMax: &mem, PidsMax: &pids}
	planFile := filepath.Join(dir, "bench.plan.json")
	writeJSON(t, planFile, &p)

	// bwrap: the same namespaces (a mount namespace is implicit) and the
	// same seccomp program as raw BPF; it applies no cgroup limits. Its
	// file system is the one profilec's plan gives: the host's root as it
	// is (--dev-bind / /, host /dev included) with a fresh /proc. A
	// read-only root with a private /dev (--ro-bind / / --dev /dev), as
	// many bwrap sandboxes use, is ten more mounts profilec does not make
	// (~0.5 ms here), so it is not the same configuration.
	bpfFile := filepath.Join(dir, "docker-default.bpf")
	runOK(t, profilec, "compile", "docker-default", "--no-policy", "--format", "bpf", "-o", bpfFile)

	// runc: a bundle whose root file system holds the host's /usr (read
	// only, bound in; bin, lib and lib64 are links into it, as on the
	// host), so that all three run the same /bin/true. Docker's seccomp
	// profile as moby builds it for runc, the same capabilities,
	// namespaces and limits.
	bundle := filepath.Join(dir, "bundle")
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "usr"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
		if err := os.Symlink("usr/"+l, filepath.Join(rootfs, l)); err != nil {
			t.Fatal(err)
		}
	}
	runOK(t, runc, "spec", "--bundle", bundle)
	var spec specs.Spec
	readJSON(t, filepath.Join(bundle, "config.json"), &spec)
	spec.Process.Terminal = false
	spec.Process.Args = []string{"/bin/true"}
	spec.Process.NoNewPrivileges = true
	spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps}
	spec.Hostname = "bench"
	// The same file system view as profilec's plan: a fresh /proc and the
	// host's programs, writable root, nothing masked. runc spec's defaults
	// (a tmpfs /dev with its devpts, mqueue and shm, /sys, masked and
	// read-only paths) are confinement profilec's plan does not ask for,
	// ~1 ms of runc's time.
	var mounts []specs.Mount
	for _, m := range spec.Mounts {
		if m.Destination == "/proc" {
			mounts = append(mounts, m)
		}
	}
	spec.Mounts = append(mounts, specs.Mount{Destination: "/usr", Type: "bind", Source: "/usr", Options: []string{"rbind", "ro"}})
	spec.Root.Readonly = false
	spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths = nil, nil
	spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "uts"}, {Type: "ipc"}, {Type: "network"}}
	spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &mem}, Pids: &specs.LinuxPids{Limit: pids}}
	sc, err := mobyseccomp.GetDefaultProfile(&spec)
	if err != nil {
		t.Fatalf("docker default seccomp for runc: %v", err)
	}
	spec.Linux.Seccomp = sc
	writeJSON(t, filepath.Join(bundle, "config.json"), &spec)
	runcRoot := filepath.Join(dir, "runc-state")

	bwrapCmd := func(mounts ...string) func(int) *exec.Cmd {
		return func(int) *exec.Cmd {
			args := []string{"--unshare-pid", "--unshare-uts", "--unshare-ipc", "--unshare-net", "--hostname", "bench"}
			args = append(args, mounts...)
			args = append(args, "--proc", "/proc", "--cap-drop", "ALL", "--cap-add", strings.Join(dockerCaps, ","),
				"--seccomp", "3", "/bin/true")
			c := exec.Command(bwrap, args...)
			f, err := os.Open(bpfFile)
			if err != nil {
				t.Fatal(err)
			}
			c.ExtraFiles = []*os.File{f}
			return c
		}
	}
	tools := []*tool{
		{name: "profilec exec", cmd: func(int) *exec.Cmd {
			return exec.Command(profilec, "exec", planFile, "--", "/bin/true")
		}},
		{name: "bwrap", cmd: bwrapCmd("--dev-bind", "/", "/")},
		{name: "runc run", cmd: func(i int) *exec.Cmd {
			return exec.Command(runc, "--root", runcRoot, "run", "--bundle", bundle, fmt.Sprintf("profilec-bench-%d-%d", os.Getpid(), i))
		}},
	}
	// PROFILEC_BENCH_ALSO=BIN[,BIN...] adds other profilec builds (an
	// older commit's, say) to the rotation, so that a change is measured
	// against what it changes in one run; the tables below then list them
	// too, and the ratios stay profilec's own.
	also := tools
	for _, bin := range strings.Split(os.Getenv("PROFILEC_BENCH_ALSO"), ",") {
		if bin == "" {
			continue
		}
		also = append(also, &tool{name: "profilec exec (" + bin + ")", cmd: func(int) *exec.Cmd {
			return exec.Command(bin, "exec", planFile, "--", "/bin/true")
		}})
	}
	alternate(t, also)
	// runc leaves the kernel busy after each run (network namespace and
	// memory cgroup teardown, RCU grace periods that cgroup v1 migration
	// then waits for), which taxes whatever runs next. A second pass
	// without runc shows profilec against bwrap on a quiet kernel.
	quiet := []*tool{{name: tools[0].name, cmd: tools[0].cmd}, {name: tools[1].name, cmd: tools[1].cmd}}
	for _, tl := range also[len(tools):] {
		quiet = append(quiet, &tool{name: tl.name, cmd: tl.cmd})
	}
	alternate(t, quiet)
	// The first rotation again with the lean launcher in profilec's place:
	// the same enforcer and plan without the CLI's start-up. Its ratio to
	// runc bounds what any work on the CLI's start-up alone could gain.
	leanCmd := func(int) *exec.Cmd {
		return exec.Command(filepath.Join(leanDir, "profilec-init"), "exec", planFile, "--", "/bin/true")
	}
	leanPass := []*tool{
		{name: "profilec-init exec (lean launcher)", cmd: leanCmd},
		{name: tools[1].name, cmd: tools[1].cmd},
		{name: tools[2].name, cmd: tools[2].cmd},
	}
	alternate(t, leanPass)
	// For reference, in a pass of their own so that they do not disturb
	// the comparison above: the same launch from the lean launcher, which
	// links only the enforcer (what profilec exec costs without the CLI's
	// start-up); the CLI starting and exiting without launching anything
	// (profilec exec of a plan file pays only the part before package
	// enforcer/handoff/early runs the launch; a profile to compile pays
	// all of it); bwrap as many sandboxes use it, with a read-only root
	// and a private /dev; and profilec exec again, so that its difference
	// from the lean launcher comes from one pass.
	ref := []*tool{
		{name: "bwrap", cmd: tools[1].cmd},
		{name: "profilec-init exec (lean launcher)", cmd: leanCmd},
		{name: "profilec version (CLI start-up only)", cmd: func(int) *exec.Cmd {
			return exec.Command(profilec, "version")
		}},
		{name: "bwrap --ro-bind / / --dev /dev", cmd: bwrapCmd("--ro-bind", "/", "/", "--dev", "/dev")},
		{name: "profilec exec", cmd: tools[0].cmd},
	}
	alternate(t, ref)

	// The supervisor's own peak RSS, which ru_maxrss above cannot separate
	// from the target it waited for: profilec measures it itself.
	var superRSS []int64
	re := regexp.MustCompile(`supervisor peak RSS ([0-9.]+) MiB`)
	for i := 0; i < 5; i++ {
		c := exec.Command(profilec, "exec", planFile, "--stats", "--", "/bin/true")
		out, err := c.CombinedOutput()
		m := re.FindSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("profilec exec --stats: %v\n%s", err, out)
		}
		f, _ := strconv.ParseFloat(string(m[1]), 64)
		superRSS = append(superRSS, int64(f*(1<<20)))
	}

	pc, bw, rc := median(tools[0].times), median(tools[1].times), median(tools[2].times)
	var b strings.Builder
	fmt.Fprintf(&b, "| runtime | median launch-to-exit | ru_maxrss (median) |\n|---|---|---|\n")
	for _, tl := range also {
		fmt.Fprintf(&b, "| %s | %.2f ms | %.1f MiB |\n", tl.name, ms(median(tl.times)), float64(medianInt(tl.rss))/(1<<20))
	}
	fmt.Fprintf(&b, "\nAlternating, %d runs of each: profilec is %.1fx faster than runc and takes %.2fx the time of bwrap.\n",
		len(tools[0].times), float64(rc)/float64(pc), float64(pc)/float64(bw))
	// runc's kernel teardown taxes whatever runs next, and each tool
	// follows runc in half its runs: each median above falls between the
	// two groups.
	fmt.Fprintf(&b, "\n| by what ran just before | after runc | after the others |\n|---|---|---|\n")
	for _, tl := range tools[:2] {
		var others []time.Duration
		for name, ds := range tl.after {
			if name != tools[2].name {
				others = append(others, ds...)
			}
		}
		if r := tl.after[tools[2].name]; len(r) > 0 && len(others) > 0 {
			fmt.Fprintf(&b, "| %s | %.2f ms (%d) | %.2f ms (%d) |\n", tl.name, ms(median(r)), len(r), ms(median(others)), len(others))
		}
	}
	qpc, qbw := median(quiet[0].times), median(quiet[1].times)
	fmt.Fprintf(&b, "\n| without runc in the rotation | median launch-to-exit |\n|---|---|\n")
	for _, tl := range quiet {
		fmt.Fprintf(&b, "| %s | %.2f ms |\n", tl.name, ms(median(tl.times)))
	}
	fmt.Fprintf(&b, "\nWithout runc, %d runs of each: profilec takes %.2fx the time of bwrap. profilec's supervisor peak RSS "+
		"(getrusage RUSAGE_SELF, median of 5 runs with --stats): %.1f MiB.\n",
		len(quiet[0].times), float64(qpc)/float64(qbw), float64(medianInt(superRSS))/(1<<20))
	fmt.Fprintf(&b, "\n| the first rotation, the lean launcher in profilec's place | median launch-to-exit |\n|---|---|\n")
	for _, tl := range leanPass {
		fmt.Fprintf(&b, "| %s | %.2f ms |\n", tl.name, ms(median(tl.times)))
	}
	lpc, lbw, lrc := median(leanPass[0].times), median(leanPass[1].times), median(leanPass[2].times)
	fmt.Fprintf(&b, "\nAlternating, %d runs of each: the lean launcher, the same enforcer without the CLI, is %.1fx faster than runc and takes %.2fx the time of bwrap.\n",
		len(leanPass[0].times), float64(lrc)/float64(lpc), float64(lpc)/float64(lbw))
	fmt.Fprintf(&b, "\n| for reference, a pass of its own | median launch-to-exit |\n|---|---|\n")
	for _, tl := range ref {
		fmt.Fprintf(&b, "| %s | %.2f ms |\n", tl.name, ms(median(tl.times)))
	}
	rbw, lean, rpc := median(ref[0].times), median(ref[1].times), median(ref[4].times)
	fmt.Fprintf(&b, "\nThe lean launcher takes %.2fx the time of bwrap; the CLI's start-up before its early launch costs profilec exec about %.2f ms "+
		"(profilec exec less the lean launcher, both in this pass).\n",
		float64(lean)/float64(rbw), ms(rpc-lean))
	t.Log("\n" + b.String())
	if out := os.Getenv("PROFILEC_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// alternate runs the tools in an order where each follows each other
// one equally often, and records rounds runs of each (at least; a whole
// number of cycles), after one unrecorded run of each that warms caches.
// Who runs just before matters: runc leaves work behind (network
// namespace and memory cgroup teardown in kernel workers) that taxes
// whichever launch comes next. The order is a closed walk through every
// ordered pair of tools once (an Eulerian circuit of the complete
// directed graph), repeated; until the fourth session a rotation that
// reversed every other block had profilec follow runc in 14 of 41 runs
// and bwrap in 21. Runs follow each other without a pause: an idle pause
// lets the VM's vCPUs halt, and every tool then pays the wake-up.
func alternate(t *testing.T, tools []*tool) {
	n := len(tools)
	order := pairCircuit(n)
	cycles := rounds // each cycle has n-1 runs of each tool, or 1 for one tool
	if n > 1 {
		cycles = (rounds + n - 2) / (n - 1)
	}
	seq := make([]int, 0, n+cycles*len(order))
	for j := range tools {
		seq = append(seq, j) // the warm-up
	}
	for c := 0; c < cycles; c++ {
		seq = append(seq, order...)
	}
	prev := ""
	for i, j := range seq {
		tl := tools[j]
		c := tl.cmd(i)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		start := time.Now()
		err := c.Run()
		d := time.Since(start)
		for _, f := range c.ExtraFiles {
			f.Close()
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", tl.name, err, stderr.String())
		}
		before := prev
		prev = tl.name
		if i < n {
			continue
		}
		if tl.after == nil {
			tl.after = map[string][]time.Duration{}
		}
		tl.after[before] = append(tl.after[before], d)
		tl.times = append(tl.times, d)
		tl.rss = append(tl.rss, int64(c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)*1024)
	}
}

// pairCircuit is an order of 0..n-1 in which, read as a cycle, every
// ordered pair of distinct numbers follows once: Hierholzer's algorithm
// on the complete directed graph, whose every vertex has as many edges
// in as out. It starts at 0 and has n*(n-1) entries (just [0] for n 1).
func pairCircuit(n int) []int {
	if n == 1 {
		return []int{0}
	}
	next := make([]int, n) // next[v]: v's next unused successor to try
	stack, circuit := []int{0}, []int(nil)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		for next[v] < n && next[v] == v {
			next[v]++
		}
		if next[v] < n {
			w := next[v]
			next[v]++
			stack = append(stack, w)
			continue
		}
		circuit = append(circuit, v)
		stack = stack[:len(stack)-1]
	}
	// circuit is the walk reversed and closed (it ends where it began).
	slices.Reverse(circuit)
	return circuit[:len(circuit)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// Every tool follows every other one equally often, itself never.
func TestPairCircuit(t *testing.T) {
	for n := 1; n <= 6; n++ {
		c := pairCircuit(n)
		want := n * (n - 1)
		if n == 1 {
			want = 1
		}
		if len(c) != want {
			t.Fatalf("n=%d: %d entries %v, want %d", n, len(c), c, want)
		}
		if n == 1 {
			continue
		}
		seen := map[[2]int]int{}
		for i := range c {
			seen[[2]int{c[i], c[(i+1)%len(c)]}]++
		}
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if want := map[bool]int{true: 0, false: 1}[a == b]; seen[[2]int{a, b}] != want {
					t.Errorf("n=%d: %d follows %d %d times in %v, want %d", n, b, a, seen[[2]int{a, b}], c, want)
				}
			}
		}
	}
}
