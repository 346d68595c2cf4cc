package enforcer

import "time"

// SetSignalWaitForTest shortens how long a child waits for the signal
// registration (signalWait).
func SetSignalWaitForTest(d time.Duration) { signalWait = d }

// HoldChildForTest makes the child read a byte from fd (its own, as
// inherited) before it first arms its parent-death signal.
func HoldChildForTest(o *Options, fd int) { o.holdFD = fd + 1 }
