// GOMAXPROCS from the CPU count, not the cgroup's CPU quota, and no
// background re-reading of it (Go 1.25+): the process mostly waits.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/lean"
	"github.com/profilec/profilec/enforcer/lean/planjson"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		// Every launch forwards signals: start registering now.
		enforcer.StartSignalForwarding()
		os.Exit(execPlan(os.Args[2:], os.Stdout, os.Stderr))
	}
	fmt.Fprintln(os.Stderr, "profilec-init: profilec exec for compiled plans only, without the CLI's start-up\n"+
		"usage: profilec-init exec [--timeout D] [--stats] PLAN.json -- CMD [ARG...]")
	os.Exit(2)
}

// execPlan is `profilec-init exec [--timeout D] [--stats] PLAN.json --
// CMD [ARG...]`. Exit statuses are profilec's: the target's own (128+N
// for signal N), 2 usage, 3 confinement failed.
func execPlan(args []string, stdout, stderr io.Writer) int {
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
	p, err := planjson.ReadPlan(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "profilec-init: %v\n", err)
		return 2
	}
	return lean.Launch("profilec-init", p, rest[2:], *timeout, *stats, stdout, stderr)
}
