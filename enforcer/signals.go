package enforcer

import "github.com/profilec/profilec/enforcer/internal/sigfwd"

// StartSignalForwarding begins the process-wide registration that Run
// with Options.ForwardSignals needs (package internal/sigfwd). Run
// starts it too; a launcher calls it first thing so that its ~0.5 ms
// (a round trip with a runtime thread per signal) overlaps reading the
// plan, not just the launch's own steps.
func StartSignalForwarding() { sigfwd.Start() }
