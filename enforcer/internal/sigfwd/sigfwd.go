// Package sigfwd is the supervisor's process-wide registration for the
// signals it forwards to its target. It imports little (os/signal and
// what that needs), as everything the early launch imports must.
package sigfwd

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// Signals are relayed to the target. SIGURG is deliberately absent: the
// Go runtime uses it to preempt goroutines and would flood the target
// with it.
var Signals = append(append([]os.Signal(nil), lethal...), quiet...)

// Uncaught, the lethal signals end a Go process and the quiet ones are
// dropped (os/signal's package documentation), so the registration
// catches the lethal ones first: once they are caught a
// signal can no longer take the supervisor down in the middle of a
// launch, and the launch may go on while the quiet ones are registered.
var (
	lethal = []os.Signal{sys.SIGINT, sys.SIGTERM, sys.SIGHUP, sys.SIGQUIT}
	quiet  = []os.Signal{sys.SIGUSR1, sys.SIGUSR2, sys.SIGWINCH}
)

// The registration is made once per process and never let go of.
// os/signal enables each signal through a round trip with a dedicated
// thread of the runtime's (ensureSigM), and Stop waits for the delivery
// machinery to go idle: Notify and Stop of eight signals around every
// launch cost ~0.8 ms and ~80 context switches. Registration runs
// concurrently with whatever the launcher does next; each launch
// subscribes. A launch needs the lethal signals caught before its child
// exists, and every signal before the target runs: the child can wait
// for the latter itself, on an eventfd that polls readable from then on
// (ReadyFD), so that the quiet signals' registration overlaps the clone.
//
// SIGPIPE is ignored as well (signal.Ignore needs no round trip): as in
// the CLI, whose main catches it, a write to a closed stdout or stderr
// fails with EPIPE instead of killing the supervisor before it can
// report. An ignored signal stays ignored across execve, so the child
// puts SIGPIPE back to its default action before it execs the target.
var state struct {
	once   sync.Once
	lethal chan struct{}
	ready  chan struct{}
	fd     int // eventfd, written once ready; -1 if none could be made
	hold   <-chan struct{}
	mu     sync.Mutex
	subs   map[chan os.Signal]struct{}
}

// Start begins the registration, once per process. It returns a channel
// closed once the lethal signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are
// caught and one closed once every signal is.
func Start() (lethalCaught, allCaught <-chan struct{}) {
	state.once.Do(func() {
		state.lethal = make(chan struct{})
		state.ready = make(chan struct{})
		state.subs = map[chan os.Signal]struct{}{}
		state.fd = -1
		if fd, err := sys.Eventfd(0, sys.EFD_CLOEXEC); err == nil {
			state.fd = fd
		}
		signal.Ignore(sys.SIGPIPE)
		hold := state.hold
		go func() {
			c := make(chan os.Signal, 32)
			signal.Notify(c, lethal...)
			close(state.lethal)
			if hold != nil {
				<-hold
			}
			signal.Notify(c, quiet...)
			if state.fd >= 0 {
				// Should this fail, the fd never polls readable: a
				// waiting child times out rather than start its
				// target too soon.
				one := [8]byte{1}
				_, _ = sys.Write(state.fd, one[:])
			}
			close(state.ready)
			for s := range c {
				forward(s.(syscall.Signal))
			}
		}()
	})
	return state.lethal, state.ready
}

// ReadyFD is an eventfd, close-on-exec, that polls readable (POLLIN) once
// every signal is caught, and stays so; -1 if none could be made, when a
// launcher must wait for Start's second channel instead. Start must have
// been called.
func ReadyFD() int { return state.fd }

// HoldQuietForTest makes the registration, once it has caught the lethal
// signals, wait for release before it catches the quiet ones. Tests only;
// it must be called before Start.
func HoldQuietForTest(release <-chan struct{}) { state.hold = release }

func forward(s syscall.Signal) {
	state.mu.Lock()
	n := len(state.subs)
	for sub := range state.subs {
		select {
		case sub <- s:
		default:
		}
	}
	state.mu.Unlock()
	if n == 0 && TerminatesByDefault(s) {
		// No launch to forward to: what the signal would have done had
		// nobody caught it.
		signal.Reset(s)
		_ = sys.Kill(os.Getpid(), s)
	}
}

// Subscribe queues forwarded signals on a new channel until the returned
// func is called. Start must have been called.
func Subscribe() (chan os.Signal, func()) {
	c := make(chan os.Signal, 16)
	state.mu.Lock()
	state.subs[c] = struct{}{}
	state.mu.Unlock()
	return c, func() {
		state.mu.Lock()
		delete(state.subs, c)
		state.mu.Unlock()
	}
}

// TerminatesByDefault lists the forwarded signals whose default action
// ends a process (signal(7)); SIGWINCH's is to ignore.
func TerminatesByDefault(s syscall.Signal) bool {
	switch s {
	case sys.SIGINT, sys.SIGTERM, sys.SIGHUP, sys.SIGQUIT, sys.SIGUSR1, sys.SIGUSR2:
		return true
	}
	return false
}
