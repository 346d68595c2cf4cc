// Package lean runs `exec PLAN.json -- CMD` without the CLI: no profile
// loading, no policies, none of their start-up cost. It is the
// profilec-init binary, to which the CLI hands such launches (package
// early) before its own heavy packages initialise.
package lean

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/handoff"
)

// Exec is `profilec-init exec [--timeout D] [--stats] PLAN.json -- CMD
// [ARG...]`. Exit statuses are profilec's: the target's own (128+N for
// signal N), 2 usage, 3 confinement failed.
func Exec(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("profilec-init exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 0, "kill the whole process tree after `DURATION`")
	stats := fs.Bool("stats", false, "print peak memory, CPU time and peak pids to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) < 3 || rest[1] != "--" {
		fmt.Fprintln(stderr, "profilec-init exec: usage: profilec-init exec [--timeout D] [--stats] PLAN.json -- CMD [ARG...]")
		return 2
	}
	p, err := readPlan(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "profilec-init: %v\n", err)
		return 2
	}
	return launch("profilec-init", p, rest[2:], *timeout, *stats, stdout, stderr)
}

// FromCLI is the profilec CLI's `exec PLAN.json -- CMD` (args without
// argv[0]) when handoff.Parse accepts them: the same launch, messages and
// exit status as the CLI's own exec. ok is false, with nothing done, for
// whatever it would not do exactly as the CLI does (a bad flag value, a
// file that is not a plan of this version): the CLI then reports it in
// its own words.
func FromCLI(args []string) (code int, ok bool) {
	planFile, flags, argv, ok := handoff.Parse(args)
	if !ok {
		return 0, false
	}
	var timeout time.Duration
	stats := false
	for _, f := range flags {
		if f == "--stats" {
			stats = true
			continue
		}
		d, err := time.ParseDuration(strings.TrimPrefix(f, "--timeout="))
		if err != nil || d < 0 {
			return 0, false
		}
		timeout = d
	}
	p, err := readPlan(planFile)
	if err != nil {
		return 0, false
	}
	return launch("profilec", p, argv, timeout, stats, os.Stdout, os.Stderr), true
}

func launch(prefix string, p *plan.Plan, argv []string, timeout time.Duration, stats bool, stdout, stderr io.Writer) int {
	// ForwardSignals also keeps SIGPIPE from killing this process before
	// it reports, as the CLI's main does.
	res, err := enforcer.Run(context.Background(), p, argv, enforcer.Options{
		Timeout: timeout, Stats: stats, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		ForwardSignals: true,
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return 3
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "%s: skipped optional cgroup limit: %s\n", prefix, s)
	}
	if res.Report != "" {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, res.Report)
	}
	if stats && res.Stats != nil {
		enforcer.WriteStats(stderr, prefix, res.Stats)
	}
	return res.ExitCode
}
