// Package lean runs `exec PLAN.json -- CMD` without the CLI: no profile
// loading, no policies, none of their start-up cost. The profilec CLI
// runs it from package early's init, before its own heavy packages
// initialise, which is why everything it imports must initialise early
// (TestLaunchImportsInitialiseEarly); profilec-init is the same launch
// as a small binary of its own.
package lean

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/enforcer/internal/text"
)

// FromCLI is the profilec CLI's `exec PLAN.json -- CMD` (args without
// argv[0]) when handoff.Parse accepts them: the same launch, messages and
// exit status as the CLI's own exec. ok is false, with nothing done, for
// whatever it would not do exactly as the CLI does (a bad flag value, a
// file that is not a plan of this version, a plan not in the plain form
// profilec compile writes): the CLI then does it in its own words.
func FromCLI(args []string) (code int, ok bool) {
	planFile, flags, argv, ok := handoff.Parse(args)
	if !ok {
		return 0, false
	}
	// The signal registration takes a round trip with a runtime thread
	// per signal, and the clone waits for the first four: begin it
	// before the plan is read. Should the CLI take over after all, its exec path registers
	// the same signals, and nothing else in it changes.
	enforcer.StartSignalForwarding()
	var timeout time.Duration
	stats := false
	for _, f := range flags {
		if f == "--stats" {
			stats = true
			continue
		}
		d, err := time.ParseDuration(text.TrimPrefix(f, "--timeout="))
		if err != nil || d < 0 {
			return 0, false
		}
		timeout = d
	}
	p, err := ReadPlan(planFile, Decode)
	if err != nil {
		return 0, false
	}
	return Launch("profilec", p, argv, timeout, stats, os.Stdout, os.Stderr), true
}

// Launch runs argv under p as profilec exec does and returns its exit
// status: the target's own (128+N for signal N), 3 when confinement
// failed. Messages go to stderr, prefixed with prefix.
func Launch(prefix string, p *plan.Plan, argv []string, timeout time.Duration, stats bool, stdout, stderr io.Writer) int {
	// ForwardSignals also keeps SIGPIPE from killing this process before
	// it reports, as the CLI's main does.
	res, err := enforcer.Run(context.Background(), p, argv, enforcer.Options{
		Timeout: timeout, Stats: stats, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		ForwardSignals: true,
		// From package early's initialisation or profilec-init: nothing
		// else runs, and the heap is a small fraction of the
		// collector's first goal.
		NoStopTheWorld: true,
	})
	if err != nil {
		io.WriteString(stderr, prefix+": "+err.Error()+"\n")
		return 3
	}
	enforcer.WriteOutcome(stderr, prefix, res)
	return res.ExitCode
}
