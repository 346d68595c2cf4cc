package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
)

func TestSweepRemovesOnlyOrphans(t *testing.T) {
	requireV1(t)
	// pid_max is at most 4194304 (PID_MAX_LIMIT), so this creator never
	// existed; our own pid is alive.
	orphan := fmt.Sprintf("4194305-%d-1", os.Getpid())
	live := name(t)
	t.Cleanup(func() { noLeftovers(t, orphan); noLeftovers(t, live) })
	var made []string
	for _, n := range []string{orphan, live} {
		dir := filepath.Join(DefaultMount, "pids", Parent, n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		made = append(made, dir)
	}
	t.Cleanup(func() { os.Remove(made[1]) })
	removed := Sweep("")
	if !slices.Contains(removed, made[0]) {
		t.Errorf("Sweep removed %q, not the orphan %s", removed, made[0])
	}
	if _, err := os.Stat(made[1]); err != nil {
		t.Errorf("Sweep removed a live creator's cgroup: %v", err)
	}
	os.Remove(made[1])
}

// A launch sweeps the hierarchies its own cgroup is in, and only those.
func TestSweepParentsOfAManager(t *testing.T) {
	requireV1(t)
	pids := int64(16)
	m, err := New(&plan.Cgroup{PidsMax: &pids}, Options{Name: name(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	want := []string{filepath.Join(DefaultMount, "pids", Parent)}
	if got := m.Parents(); !slices.Equal(got, want) {
		t.Fatalf("Parents() = %q, want %q", got, want)
	}
	var orphans []string
	for _, ctrl := range []string{"pids", "memory"} {
		dir := filepath.Join(DefaultMount, ctrl, Parent, fmt.Sprintf("4194305-%d-%d", os.Getpid(), len(orphans)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		orphans = append(orphans, dir)
	}
	t.Cleanup(func() { os.Remove(orphans[0]); os.Remove(orphans[1]) })
	removed := SweepParents(m.Parents())
	if !slices.Equal(removed, orphans[:1]) {
		t.Errorf("SweepParents removed %q, want only %s", removed, orphans[0])
	}
	if _, err := os.Stat(orphans[1]); err != nil {
		t.Errorf("the memory hierarchy, unused by this cgroup, was swept: %v", err)
	}
}
