// Package gcpause turns the Go collector off while launches are in
// flight; the profilec CLI installs it as enforcer.PauseGC. It is kept
// out of package enforcer because runtime/debug is initialised late in
// the CLI (see enforcer/internal/sys), and the launch of a compiled plan
// runs before that, in a process whose heap is too small to collect.
package gcpause

import (
	"runtime/debug"
	"sync"
)

// state counts the launches in flight that want the collector off, so
// concurrent ones restore the caller's setting only when the last ends.
var state struct {
	sync.Mutex
	n   int
	old int
}

// Pause turns the collector off until the returned func (safe to call
// twice) is called.
func Pause() func() {
	state.Lock()
	if state.n == 0 {
		state.old = debug.SetGCPercent(-1)
	}
	state.n++
	state.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			state.Lock()
			state.n--
			if state.n == 0 {
				debug.SetGCPercent(state.old)
			}
			state.Unlock()
		})
	}
}
