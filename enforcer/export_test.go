package enforcer

import "time"

// SetSignalWaitForTest shortens how long a child waits for the signal
// registration (signalWait).
func SetSignalWaitForTest(d time.Duration) { signalWait = d }
