package gcpause

import (
	"runtime/debug"
	"testing"
)

func TestPauseNests(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	a := Pause()
	b := Pause()
	a()
	a() // a second call must not undo b's pause
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("collector back on (%d) while a launch is in flight", got)
	}
	b()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GC percent %d after the last launch, want the caller's 77", got)
	}
}
