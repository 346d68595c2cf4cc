package enforcer

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// Forwarding registers for the signals once per process and never lets
// go of them. os/signal enables each signal through a round trip with a
// dedicated thread of the runtime's (ensureSigM), and Stop waits for the
// delivery machinery to go idle: Notify and Stop of eight signals around
// every launch cost ~0.8 ms and ~80 context switches, a third of a whole
// launch. Registration runs concurrently with the launch's preparation
// (forwarding.start); each Run with Options.ForwardSignals subscribes.
//
// SIGPIPE is ignored as well (signal.Ignore needs no round trip): as in
// the CLI, whose main catches it, a write to a closed stdout or stderr
// fails with EPIPE instead of killing the supervisor before it can
// report. An ignored signal stays ignored across execve, so the child
// puts SIGPIPE back to its default action before it execs the target.
var forwarding struct {
	once  sync.Once
	ready chan struct{}
	mu    sync.Mutex
	subs  map[chan os.Signal]struct{}
}

// StartSignalForwarding begins the process-wide registration that Run
// with Options.ForwardSignals needs. Run starts it too; a launcher calls
// it first thing so that its ~0.5 ms (eight round trips with a runtime
// thread) overlaps reading the plan, not just the launch's own steps.
func StartSignalForwarding() { startForwarding() }

func startForwarding() <-chan struct{} {
	forwarding.once.Do(func() {
		forwarding.ready = make(chan struct{})
		forwarding.subs = map[chan os.Signal]struct{}{}
		signal.Ignore(sys.SIGPIPE)
		go func() {
			c := make(chan os.Signal, 32)
			signal.Notify(c, ForwardedSignals...)
			close(forwarding.ready)
			for s := range c {
				forward(s.(syscall.Signal))
			}
		}()
	})
	return forwarding.ready
}

func forward(s syscall.Signal) {
	forwarding.mu.Lock()
	n := len(forwarding.subs)
	for sub := range forwarding.subs {
		select {
		case sub <- s:
		default:
		}
	}
	forwarding.mu.Unlock()
	if n == 0 && terminatesByDefault(s) {
		// No launch to forward to: what the signal would have done had
		// nobody caught it.
		signal.Reset(s)
		_ = sys.Kill(os.Getpid(), s)
	}
}

// subscribe queues forwarded signals on a new channel until the returned
// func is called.
func subscribe() (chan os.Signal, func()) {
	c := make(chan os.Signal, 16)
	forwarding.mu.Lock()
	forwarding.subs[c] = struct{}{}
	forwarding.mu.Unlock()
	return c, func() {
		forwarding.mu.Lock()
		delete(forwarding.subs, c)
		forwarding.mu.Unlock()
	}
}
