package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/enforcer"
)

func init() { register(newExecCmd) }

func newExecCmd(a *app) *cobra.Command {
	var (
		timeout time.Duration
		stats   bool
		o       pipelineOptions
		policy  policyFlags
	)
	cmd := &cobra.Command{
		Use:   "exec [PROFILE|PLAN] [--timeout DURATION] [--stats] -- CMD [ARG...]",
		Short: "Run a command confined by a profile or a compiled plan",
		Long: `exec runs CMD confined exactly as the profile says: in new namespaces, inside
a cgroup with the profile's limits, with its rlimits, user, capability sets
and no_new_privs, and with its seccomp filter installed as the last step
before execve. PROFILE is a profile file, a built-in profile name or a plan
JSON file written by 'profilec compile'; without one the built-in 'default'
profile applies. The command starts as pid 1 of a new pid namespace when the
profile asks for one; when it ends, or --timeout fires, every process it left
is killed and the cgroup removed.

Run by an unprivileged user, exec confines through a user namespace in which
that user is root. Cgroup limits need a delegated cgroup; without one they
are an error unless the profile marks them optional.

Exit status: the command's own, or 128+N when signal N killed it (the kernel
report — the denied syscall, the memory limit, the timeout — goes to stderr).
When confinement fails the command never runs: profilec names the step and
the cause and exits with status 3.`,
		Example: `  profilec exec -- /bin/true
  profilec exec strict.yaml --timeout 30s -- ./server --port 8080
  profilec compile app.yaml -o app.plan.json && profilec exec app.plan.json --stats -- ./app`,
		RunE: func(c *cobra.Command, args []string) error {
			dash := c.ArgsLenAtDash()
			if dash < 0 {
				return &exitError{code: exitUsage, err: errors.New("exec: put -- before the command, as in: profilec exec [PROFILE] -- CMD [ARG...]")}
			}
			if dash > 1 {
				return &exitError{code: exitUsage, err: fmt.Errorf("exec: one profile at most before --, got %q", args[:dash])}
			}
			argv := args[dash:]
			if len(argv) == 0 {
				return &exitError{code: exitUsage, err: errors.New("exec: no command after --")}
			}
			if timeout < 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("exec: --timeout %v is negative", timeout)}
			}
			profile := ""
			if dash == 1 {
				profile = args[0]
			}
			o.policy = policy.options()
			p, err := a.planFor(c.Context(), profile, o)
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return &exitError{code: exitFailure, err: fmt.Errorf("load plan: %w", err)}
			}
			res, err := enforcer.Run(c.Context(), p, argv, enforcer.Options{
				Timeout:        timeout,
				Stats:          stats,
				Stdin:          c.InOrStdin(),
				Stdout:         a.stdout,
				Stderr:         a.stderr,
				ForwardSignals: true,
				// main pauses the collector for launches (PauseGC),
				// and nothing else in the CLI stops the world.
				NoStopTheWorld: enforcer.PauseGC != nil,
			})
			if err != nil {
				// The target never ran: the step and its cause are the message.
				return &exitError{code: exitFailure, err: err}
			}
			enforcer.WriteOutcome(a.stderr, "profilec", res)
			if res.ExitCode != 0 {
				return &exitError{code: res.ExitCode}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "kill the whole process tree after `DURATION` (e.g. 30s; 0: none)")
	cmd.Flags().BoolVar(&stats, "stats", false, "print peak memory, CPU time and peak pids from the cgroup to stderr")
	policy.add(cmd, &o)
	return cmd
}
