// GOMAXPROCS from the CPU count, not the cgroup's CPU quota, and no
// background re-reading of it (Go 1.25+): the process mostly waits.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/gcpause"
	"github.com/profilec/profilec/recorder"
	// Imported for its init: `exec PLAN.json -- CMD` runs from there,
	// before the rest of the CLI's packages initialise.
	_ "github.com/profilec/profilec/enforcer/handoff/early"
)

func main() {
	// The recorder re-executes this binary as the init stage of a recorded
	// process; that stage must start before anything else runs.
	recorder.Main()
	// A launch from a profile runs in a CLI with a policy engine's heap:
	// keep the collector off while it is in flight.
	enforcer.PauseGC = gcpause.Pause

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGPIPE)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode prints err (if any) and maps it to the documented exit statuses:
// 0 success, 1 profile refused, 2 usage error, 3 and above other failures;
// exec passes the target's own status through.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "profilec: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "profilec: %v\n", err)
	return 3
}
