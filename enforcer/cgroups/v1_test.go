package cgroups

import (
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/internal/testenv"
)

func requireV1(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireFile(t, "/sys/fs/cgroup/memory/memory.limit_in_bytes")
	testenv.RequireFile(t, "/sys/fs/cgroup/pids/cgroup.procs")
}

func name(t *testing.T) string {
	return fmt.Sprintf("test-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// noLeftovers fails if any cgroup named n remains in any hierarchy, and
// removes it.
func noLeftovers(t *testing.T, n string) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(DefaultMount, "*", Parent, n))
	for _, d := range dirs {
		t.Errorf("cgroup %s left behind", d)
		_ = rmdirRetry(d)
	}
}

func TestV1OnTheKernel(t *testing.T) {
	requireV1(t)
	n := name(t)
	t.Cleanup(func() { noLeftovers(t, n) })
	c := &plan.Cgroup{MemoryMax: i64(64 << 20), MemorySwapMax: i64(0), CPUMax: f64(0.5), CPUWeight: u64(100), PidsMax: i64(10)}
	m, err := NewV1(c, Options{Name: n, Stats: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if err := m.SetPids(); err != nil {
		t.Fatal(err)
	}
	v := m.(*v1)
	for _, tc := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.memsw.limit_in_bytes", "67108864"}, // memory+swap
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.shares", "1024"},
		{"pids", "pids.max", "10"},
	} {
		d, ok := v.dirs[tc.ctrl]
		if !ok {
			t.Errorf("no %s cgroup", tc.ctrl)
			continue
		}
		if got := strings.TrimSpace(read(t, filepath.Join(d, tc.file))); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.file, got, tc.want)
		}
	}

	// A process joined after start is limited, measured and killed.
	cmd := exec.Command("/bin/sleep", "1000")
	if err := cmd.Start(); err != nil {
		testenv.Skip(t, "needs /bin/sleep: "+err.Error())
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := m.Join(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.order {
		if got := read(t, filepath.Join(v.dirs[c], "cgroup.procs")); strings.TrimSpace(got) != fmt.Sprint(cmd.Process.Pid) {
			t.Errorf("%s cgroup.procs = %q", c, got)
		}
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("sleep ended with %v, want killed", err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// v1 does not move a joined process's existing charges, so sleep's
	// peak memory may be 0 here; the enforcer's tests check it for a
	// target that allocates inside.
	if st.PeakMemory < 0 || st.CPUTime <= 0 || st.PeakPids < 1 {
		t.Errorf("stats %+v", st)
	}
	if n, err := m.OOMKills(); err != nil || n != 0 {
		t.Errorf("oom kills %d, %v", n, err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestV1FreezerKillsAForkingTree(t *testing.T) {
	requireV1(t)
	testenv.RequireFile(t, "/sys/fs/cgroup/freezer/cgroup.procs")
	sh := testenv.RequireCommand(t, "sh")
	n := name(t)
	t.Cleanup(func() { noLeftovers(t, n) })
	m, err := NewV1(nil, Options{Name: n, Freezer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if _, ok := m.(*v1).dirs["freezer"]; !ok {
		t.Fatal("no freezer cgroup")
	}
	// A shell that keeps forking sleeps: the freezer stops it mid-loop.
	cmd := exec.Command(sh, "-c", "while :; do sleep 1000 & done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := m.Join(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if pids, _ := readPids(m.Path()); len(pids) != 0 {
		t.Errorf("%d processes survive Kill", len(pids))
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestV1MemoryHighIsAnErrorUnlessOptional(t *testing.T) {
	requireV1(t)
	n := name(t)
	t.Cleanup(func() { noLeftovers(t, n) })
	c := &plan.Cgroup{MemoryMax: i64(64 << 20), MemoryHigh: i64(32 << 20)}
	if _, err := NewV1(c, Options{Name: n}); err == nil || !strings.Contains(err.Error(), "memory high") {
		t.Errorf("NewV1 with memory high = %v, want an error naming memory high", err)
	}
	noLeftovers(t, n)
	opt := *c
	opt.Optional = true
	m, err := NewV1(&opt, Options{Name: n})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Skipped(); len(s) != 1 || !strings.Contains(s[0], "memory high") {
		t.Errorf("skipped %q", s)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestV1SwapWithoutMemoryMax(t *testing.T) {
	requireV1(t)
	n := name(t)
	t.Cleanup(func() { noLeftovers(t, n) })
	if _, err := NewV1(&plan.Cgroup{MemorySwapMax: i64(0)}, Options{Name: n}); err == nil {
		t.Error("swap max without memory max: no error")
	}
}

func TestV1IOLimits(t *testing.T) {
	requireV1(t)
	testenv.RequireFile(t, "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device")
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	// Throttling needs a whole block device; / is on one on this host's
	// VM disk, or on a partition whose disk is minor 0.
	dev := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	if _, err := os.Stat(fmt.Sprintf("/sys/dev/block/%s/partition", dev)); err == nil {
		dev = fmt.Sprintf("%d:0", unix.Major(st.Dev))
	}
	n := name(t)
	t.Cleanup(func() { noLeftovers(t, n) })
	m, err := NewV1(&plan.Cgroup{IOMax: []plan.IOMax{{Device: dev, RBps: 1 << 20, WIOps: 100}}}, Options{Name: n})
	if err != nil {
		t.Fatal(err)
	}
	d := m.(*v1).dirs["blkio"]
	if got := strings.TrimSpace(read(t, filepath.Join(d, "blkio.throttle.read_bps_device"))); got != dev+" 1048576" {
		t.Errorf("read_bps_device = %q", got)
	}
	if got := strings.TrimSpace(read(t, filepath.Join(d, "blkio.throttle.write_iops_device"))); got != dev+" 100" {
		t.Errorf("write_iops_device = %q", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}

	// blkio.weight exists only with a proportional I/O scheduler (BFQ);
	// without it a weight is a clear error, or a reported skip.
	if _, err := os.Stat("/sys/fs/cgroup/blkio/blkio.weight"); err == nil {
		return
	}
	if _, err := NewV1(&plan.Cgroup{IOWeight: u64(100)}, Options{Name: n}); err == nil || !strings.Contains(err.Error(), "io weight") {
		t.Errorf("io weight without blkio.weight = %v, want an error naming it", err)
	}
	noLeftovers(t, n)
	m, err = NewV1(&plan.Cgroup{IOWeight: u64(100), Optional: true}, Options{Name: n})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Skipped(); len(s) != 1 || !strings.Contains(s[0], "io weight") {
		t.Errorf("skipped %q", s)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}

// Co-mounted controllers appear as symlinks to one hierarchy ("cpu" ->
// "cpu,cpuacct"): one directory serves both. A plain directory is its own
// hierarchy, and a missing one is a missing controller.
func TestV1CreateResolvesCoMountedHierarchies(t *testing.T) {
	mount := t.TempDir()
	for _, d := range []string{"cpu,cpuacct", "pids"} {
		if err := os.Mkdir(filepath.Join(mount, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"cpu", "cpuacct"} {
		if err := os.Symlink("cpu,cpuacct", filepath.Join(mount, l)); err != nil {
			t.Fatal(err)
		}
	}
	m := &v1{mount: mount, name: "run", dirs: map[string]string{}}
	for _, c := range []string{"cpu", "cpuacct", "pids"} {
		if err := m.create(c); err != nil {
			t.Fatalf("create %s: %v", c, err)
		}
	}
	want := map[string]string{
		"cpu":     filepath.Join(mount, "cpu,cpuacct", Parent, "run"),
		"cpuacct": filepath.Join(mount, "cpu,cpuacct", Parent, "run"),
		"pids":    filepath.Join(mount, "pids", Parent, "run"),
	}
	for c, d := range want {
		if m.dirs[c] != d {
			t.Errorf("%s: dir %q, want %q", c, m.dirs[c], d)
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if !slices.Equal(m.order, []string{"cpu", "pids"}) {
		t.Errorf("order %q: the shared directory must be created (and removed) once", m.order)
	}
	if err := m.create("memory"); !errors.Is(err, errNoController) {
		t.Errorf("missing hierarchy: %v, want errNoController", err)
	}
}
