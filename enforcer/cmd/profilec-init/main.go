// GOMAXPROCS from the CPU count, not the cgroup's CPU quota, and no
// background re-reading of it (Go 1.25+): the process mostly waits.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/handoff"
)

func main() {
	if len(os.Args) > 4 && os.Args[1] == handoff.Arg {
		os.Exit(fromCLI(os.Args[2], os.Args[3], os.Args[4:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		os.Exit(lean(os.Args[2:], os.Stdout, os.Stderr))
	}
	fmt.Fprintln(os.Stderr, "profilec-init: the lean launcher of compiled plans that profilec exec hands PLAN.json launches to\n"+
		"usage: profilec-init exec [--timeout D] [--stats] PLAN.json -- CMD [ARG...]")
	os.Exit(2)
}

// lean is `profilec exec` for compiled plans only: no profile loading, no
// policies, so none of their start-up cost. Exit statuses are profilec's:
// the target's own (128+N for signal N), 2 usage, 3 confinement failed.
func lean(args []string, stdout, stderr io.Writer) int {
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
	res, err := enforcer.Run(context.Background(), p, rest[2:], enforcer.Options{
		Timeout: *timeout, Stats: *stats, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		ForwardSignals: true,
	})
	if err != nil {
		fmt.Fprintf(stderr, "profilec-init: %v\n", err)
		return 3
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "profilec-init: skipped optional cgroup limit: %s\n", s)
	}
	if res.Report != "" {
		fmt.Fprintf(stderr, "profilec-init: %s\n", res.Report)
	}
	if s := res.Stats; s != nil {
		fmt.Fprintf(stderr, "profilec-init: stats: peak memory %d bytes, cpu time %v, peak pids %d (sampled: %v, cgroup v%d); supervisor peak RSS %d bytes\n",
			s.PeakMemory, s.CPUTime, s.PeakPids, s.PidsSampled, s.CgroupVersion, s.SupervisorPeakRSS)
	}
	return res.ExitCode
}

// fromCLI is `profilec exec PLAN.json -- CMD` handed over by the CLI at
// cli (see package handoff): the same launch, the same messages and exit
// statuses, without the CLI's start-up. Whatever it would not do exactly
// as the CLI does (a bad flag value, a file that is not a plan of this
// version) goes back to the CLI, which reports it in its own words.
func fromCLI(cli, argv0 string, args []string) int {
	back := func() int {
		env := append(os.Environ(), handoff.EnvOff+"=1")
		err := syscall.Exec(cli, append([]string{argv0}, args...), env)
		fmt.Fprintf(os.Stderr, "profilec: hand exec back to %s: %v\n", cli, err)
		return 3
	}
	planFile, flags, argv, ok := handoff.Parse(args)
	if !ok {
		return back()
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
			return back()
		}
		timeout = d
	}
	p, err := readPlan(planFile)
	if err != nil {
		return back()
	}
	// As the CLI's main: a broken stdout or stderr pipe ends the run.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGPIPE)
	defer stop()
	res, err := enforcer.Run(ctx, p, argv, enforcer.Options{
		Timeout: timeout, Stats: stats, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		ForwardSignals: true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "profilec: %v\n", err)
		return 3
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(os.Stderr, "profilec: skipped optional cgroup limit: %s\n", s)
	}
	if res.Report != "" {
		fmt.Fprintf(os.Stderr, "profilec: %s\n", res.Report)
	}
	if stats && res.Stats != nil {
		enforcer.WriteStats(os.Stderr, "profilec", res.Stats)
	}
	return res.ExitCode
}
