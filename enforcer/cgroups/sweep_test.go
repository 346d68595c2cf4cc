package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
