package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/compiler/plan"
)

func i64(v int64) *int64     { return &v }
func u64(v uint64) *uint64   { return &v }
func f64(v float64) *float64 { return &v }

// fakeV2 lays out a cgroup2 mount with profilec's parent already
// delegated the given controllers.
func fakeV2(t *testing.T, controllers string) string {
	t.Helper()
	root := t.TempDir()
	parent := filepath.Join(root, Parent)
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"cgroup.controllers": controllers, "cgroup.subtree_control": ""} {
		if err := os.WriteFile(filepath.Join(parent, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestV2MapsEveryLimit(t *testing.T) {
	root := fakeV2(t, "cpuset cpu io memory hugetlb pids rdma misc\n")
	c := &plan.Cgroup{
		MemoryMax: i64(64 << 20), MemoryHigh: i64(48 << 20), MemorySwapMax: i64(0),
		CPUMax: f64(1.5), CPUWeight: u64(200), PidsMax: i64(100), IOWeight: u64(300),
		IOMax: []plan.IOMax{{Device: "8:0", RBps: 1 << 20, WIOps: 120}},
	}
	m, err := NewV2(c, Options{Mount: root, Name: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if m.Version() != 2 || m.CgroupFD() < 0 {
		t.Errorf("version %d fd %d: want v2 with a CLONE_INTO_CGROUP fd", m.Version(), m.CgroupFD())
	}
	dir := filepath.Join(root, Parent, "run1")
	if m.Path() != dir {
		t.Errorf("path %s, want %s", m.Path(), dir)
	}
	if got := read(t, filepath.Join(root, Parent, "cgroup.subtree_control")); got != "+cpu +io +memory +pids" {
		t.Errorf("subtree_control %q", got)
	}
	want := map[string]string{
		"memory.max":      "67108864",
		"memory.high":     "50331648",
		"memory.swap.max": "0",
		"cpu.max":         "150000 100000",
		"cpu.weight":      "200",
		"io.weight":       "default 300",
		"io.max":          "8:0 rbps=1048576 wiops=120",
	}
	for f, v := range want {
		if got := read(t, filepath.Join(dir, f)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pids.max")); err == nil {
		t.Error("pids.max written before SetPids")
	}
	if err := m.SetPids(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "pids.max")); got != "100" {
		t.Errorf("pids.max = %q", got)
	}

	// The kernel's counters, as a v2 kernel would present them.
	for f, v := range map[string]string{
		"memory.peak":   "12345678\n",
		"cpu.stat":      "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n",
		"pids.peak":     "7\n",
		"memory.events": "low 0\nhigh 3\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n",
		"cgroup.kill":   "",
		"cgroup.procs":  "",
		"cgroup.events": "populated 0\nfrozen 0\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.PeakMemory != 12345678 || st.CPUTime != 250*time.Millisecond || st.PeakPids != 7 || st.PidsSampled {
		t.Errorf("stats %+v", st)
	}
	if n, err := m.OOMKills(); err != nil || n != 1 {
		t.Errorf("oom kills %d, %v", n, err)
	}
	if m.MemoryLimitFile() != "memory.max" {
		t.Error(m.MemoryLimitFile())
	}
	if err := m.Kill(); err != nil {
		t.Errorf("kill: %v", err)
	}
	if got := read(t, filepath.Join(dir, "cgroup.kill")); got != "1" {
		t.Errorf("cgroup.kill = %q", got)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup dir survives Destroy: %v", err)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

func TestV2UnlimitedValues(t *testing.T) {
	root := fakeV2(t, "cpu memory pids")
	m, err := NewV2(&plan.Cgroup{MemoryMax: i64(-1), CPUMax: f64(0), PidsMax: i64(-1)}, Options{Mount: root, Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if err := m.SetPids(); err != nil {
		t.Fatal(err)
	}
	dir := m.Path()
	for f, v := range map[string]string{"memory.max": "max", "cpu.max": "max 100000", "pids.max": "max"} {
		if got := read(t, filepath.Join(dir, f)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
}

func TestV2MissingControllerFailsOrIsSkipped(t *testing.T) {
	c := &plan.Cgroup{IOWeight: u64(100), PidsMax: i64(5)}
	root := fakeV2(t, "cpu memory pids")
	if _, err := NewV2(c, Options{Mount: root, Name: "r"}); err == nil || !strings.Contains(err.Error(), "io") {
		t.Errorf("NewV2 without io delegated = %v, want an error naming io", err)
	}
	if _, err := os.Stat(filepath.Join(root, Parent, "r")); !os.IsNotExist(err) {
		t.Errorf("a failed NewV2 left its cgroup behind")
	}
	opt := *c
	opt.Optional = true
	m, err := NewV2(&opt, Options{Mount: root, Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if s := m.Skipped(); len(s) != 1 || !strings.Contains(s[0], "io") {
		t.Errorf("skipped %q, want the io controller", s)
	}
	if err := m.SetPids(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(m.Path(), "pids.max")); got != "5" {
		t.Errorf("pids.max = %q", got)
	}
}

func TestV2WithoutDelegation(t *testing.T) {
	root := fakeV2(t, "pids")
	if err := os.Chmod(filepath.Join(root, Parent), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(root, Parent), 0o755) })
	if os.Geteuid() == 0 {
		// Root ignores the mode bits; make the leaf name collide instead,
		// which mkdir refuses just the same.
		os.Chmod(filepath.Join(root, Parent), 0o755)
		if err := os.WriteFile(filepath.Join(root, Parent, "r"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewV2(&plan.Cgroup{PidsMax: i64(5)}, Options{Mount: root, Name: "r"}); err == nil {
		t.Error("NewV2 succeeded without a place for its cgroup")
	}
}

func TestDetect(t *testing.T) {
	if v, err := Detect(t.TempDir()); err != nil || v != 1 {
		t.Errorf("Detect(tmpdir) = %d, %v; want 1 (not a cgroup2 mount)", v, err)
	}
	if _, err := Detect("/nonexistent/profilec"); err == nil {
		t.Error("Detect of a missing mount succeeded")
	}
	if isCgroupfs("/sys/fs/cgroup/unified") {
		if v, err := Detect("/sys/fs/cgroup/unified"); err != nil || v != 2 {
			t.Errorf("Detect(unified) = %d, %v; want 2", v, err)
		}
	}
}

func TestWeightConversions(t *testing.T) {
	for _, tc := range []struct{ w, shares, blkio uint64 }{
		{1, 10, 10}, {100, 1024, 500}, {200, 2048, 1000}, {10000, 102400, 1000}, {0, 2, 10},
	} {
		if got := WeightToShares(tc.w); got != tc.shares {
			t.Errorf("WeightToShares(%d) = %d, want %d", tc.w, got, tc.shares)
		}
		if got := IOWeightToV1(tc.w); got != tc.blkio {
			t.Errorf("IOWeightToV1(%d) = %d, want %d", tc.w, got, tc.blkio)
		}
	}
}
