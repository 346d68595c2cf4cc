// GOMAXPROCS from the CPU count, not the cgroup's CPU quota, and no
// background re-reading of it (Go 1.25+): the process mostly waits.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/enforcer/lean"
)

func main() {
	// Both forms below launch with forwarded signals.
	enforcer.StartSignalForwarding()
	if len(os.Args) > 4 && os.Args[1] == handoff.Arg {
		os.Exit(fromCLI(os.Args[2], os.Args[3], os.Args[4:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		os.Exit(lean.Exec(os.Args[2:], os.Stdout, os.Stderr))
	}
	fmt.Fprintln(os.Stderr, "profilec-init: profilec exec for compiled plans only, without the CLI's start-up\n"+
		"usage: profilec-init exec [--timeout D] [--stats] PLAN.json -- CMD [ARG...]")
	os.Exit(2)
}

// fromCLI is `profilec exec PLAN.json -- CMD` handed over by the CLI at
// cli (see package handoff). Whatever lean.FromCLI would not do exactly as
// the CLI does goes back to the CLI, which reports it in its own words.
func fromCLI(cli, argv0 string, args []string) int {
	if code, ok := lean.FromCLI(args); ok {
		return code
	}
	env := append(os.Environ(), handoff.EnvOff+"=1")
	err := syscall.Exec(cli, append([]string{argv0}, args...), env)
	fmt.Fprintf(os.Stderr, "profilec: hand exec back to %s: %v\n", cli, err)
	return 3
}
