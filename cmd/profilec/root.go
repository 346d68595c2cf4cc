package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// exitError carries an exit status out of a command. err, when set, is
// printed; a nil err means the command already said what it had to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// Exit statuses shared by every command.
const (
	exitRefused = 1 // the profile is invalid or a policy denies it
	exitUsage   = 2
	exitFailure = 3
)

// app is what commands share: output streams and the loading pipeline, so
// each command file holds only its own flags and output.
type app struct {
	stdout, stderr io.Writer

	// loadResolved loads a profile (a path, a built-in base name, or a bare
	// Docker seccomp JSON file) and resolves it for arch and kernel ("" for
	// the native arch and the running kernel).
	loadResolved func(ctx context.Context, path, arch, kernel string) (*schema.Resolved, error)
}

var commands []func(*app) *cobra.Command

// register adds a command; each command file calls it from init.
func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

func newApp(stdout, stderr io.Writer) *app {
	a := &app{stdout: stdout, stderr: stderr}
	a.loadResolved = func(ctx context.Context, path, arch, kernel string) (*schema.Resolved, error) {
		return loadResolved(path, arch, kernel)
	}
	return a
}

// pipelineOptions are the flags compile and exec share.
type pipelineOptions struct {
	arch, kernel string
	noPolicy     bool
	policy       policies.Options
	compiler     compiler.Options
}

// planFor turns arg into a plan: a plan JSON file as written by compile, or
// a profile compiled on the spot after validation (refused when a policy
// denies it). "" means the built-in default profile.
func (a *app) planFor(ctx context.Context, arg string, o pipelineOptions) (*plan.Plan, error) {
	if arg == "" {
		arg = "default"
	}
	if p, ok, err := readPlanFile(arg); ok || err != nil {
		return p, err
	}
	r, err := a.loadResolved(ctx, arg, o.arch, o.kernel)
	if err != nil {
		return nil, err
	}
	if err := a.checkPolicy(ctx, r, o); err != nil {
		return nil, err
	}
	p, err := compiler.Compile(r, o.compiler)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("compile %s: %w", arg, err)}
	}
	return p, nil
}

// checkPolicy runs the same validation as `profilec validate` and refuses
// a denied profile; warnings and waivers are printed, never silent.
func (a *app) checkPolicy(ctx context.Context, r *schema.Resolved, o pipelineOptions) error {
	if o.noPolicy {
		return nil
	}
	findings, denied, err := policies.Check(ctx, r, o.policy)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("validate profile: %w", err)}
	}
	if len(findings) > 0 {
		file := ""
		if len(r.Sources) > 0 {
			file = r.Sources[len(r.Sources)-1]
		}
		if err := policies.Write(a.stderr, "text", []policies.FileResult{{File: file, Findings: findings}}); err != nil {
			return err
		}
	}
	if denied {
		return &exitError{code: exitRefused, err: errors.New("a policy denies the profile (see above; --no-policy skips validation)")}
	}
	return nil
}

// readPlanFile reads arg as a plan JSON file when it is one. ok is false
// when arg is not a plan (a profile, a base name).
func readPlanFile(arg string) (p *plan.Plan, ok bool, err error) {
	if !strings.HasSuffix(arg, ".json") {
		return nil, false, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return nil, false, nil
	}
	var probe struct {
		Version       *int   `json:"version"`
		ProfileDigest string `json:"profileDigest"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.ProfileDigest == "" {
		return nil, false, nil
	}
	if probe.Version == nil || *probe.Version != plan.Version {
		return nil, true, &exitError{code: exitRefused, err: fmt.Errorf("read plan %s: plan version %v, this profilec reads version %d (recompile the profile)", arg, deref(probe.Version), plan.Version)}
	}
	p = new(plan.Plan)
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, true, &exitError{code: exitRefused, err: fmt.Errorf("read plan %s: %w", arg, err)}
	}
	return p, true, nil
}

func deref(p *int) any {
	if p == nil {
		return "missing"
	}
	return *p
}

// target turns the --arch and --kernel flags into a schema.Target.
func target(arch, kernel string) (schema.Target, error) {
	t, err := schema.DefaultTarget()
	if err != nil {
		return t, err
	}
	if arch != "" {
		a, ok := systab.LookupArch(arch)
		if !ok {
			return t, &exitError{code: exitUsage, err: fmt.Errorf("unknown architecture %q (one of: %s)", arch, strings.Join(archShortNames(), ", "))}
		}
		t.Arch = a.Name
	}
	if kernel != "" {
		var maj, min int
		if n, _ := fmt.Sscanf(kernel, "%d.%d", &maj, &min); n != 2 {
			return t, &exitError{code: exitUsage, err: fmt.Errorf("--kernel %q: want MAJOR.MINOR, e.g. 6.1", kernel)}
		}
		t.Kernel = fmt.Sprintf("%d.%d", maj, min)
	}
	return t, nil
}

func archShortNames() []string {
	var names []string
	for _, a := range systab.Arches() {
		names = append(names, a.Short)
	}
	return names
}

func schemaOptions() schema.Options {
	return schema.Options{Bases: bases.Get, BaseNames: bases.Names}
}

// loadResolved accepts a profile file, a built-in base name, or a bare
// Docker seccomp JSON file (resolved with Docker's default capabilities).
func loadResolved(path, arch, kernel string) (*schema.Resolved, error) {
	t, err := target(arch, kernel)
	if err != nil {
		return nil, err
	}
	var chain []*schema.Profile
	if _, statErr := os.Stat(path); statErr != nil {
		if _, ok := bases.Get(path); !ok {
			return nil, &exitError{code: exitRefused, err: fmt.Errorf("load profile: %s is neither a file nor a built-in profile (built-in: %s)", path, strings.Join(bases.Names(), ", "))}
		}
		data, _ := bases.Get(path)
		chain, err = schema.LoadChainBytes("builtin:"+path, data, schemaOptions())
	} else if data, isDocker := dockerJSON(path); isDocker {
		chain, err = schema.LoadChainBytes(path, data, schemaOptions())
	} else {
		chain, err = schema.LoadChain(path, schemaOptions())
	}
	if err != nil {
		return nil, loadError(err)
	}
	r, err := schema.Resolve(chain, t)
	if err != nil {
		return nil, loadError(err)
	}
	return r, nil
}

// loadError marks a profile's own mistakes as "refused" (exit 1); other
// failures (unreadable file) keep the generic status.
func loadError(err error) error {
	var el schema.ErrorList
	if errors.As(err, &el) {
		return &exitError{code: exitRefused, err: err}
	}
	return &exitError{code: exitRefused, err: err}
}

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "profilec",
		Short: "Compile and enforce declarative Linux security profiles",
		Long: `profilec turns one YAML security profile (seccomp rules in Docker's vocabulary,
capabilities, namespaces, cgroup limits, rlimits) into a verified seccomp BPF
program and a launch plan, validates it with OPA policies, and runs programs
confined by it.

Exit statuses: 0 success; 1 the profile is refused (invalid, or a policy
denies it); 2 usage error; 3 and above other failures. exec passes the
target's own status through (128+N when a signal N killed it).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	return root
}

// run is the whole CLI, testable without a process of its own.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(newApp(stdout, stderr))
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		// Anything cobra itself rejects (unknown command, wrong number of
		// arguments) is a usage error.
		if c == nil || isUsageError(err) {
			return &exitError{code: exitUsage, err: err}
		}
		return err
	}
	return nil
}

func isUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "unknown shorthand"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
