package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/review"
)

func init() { register(newDiffCmd) }

func newDiffCmd(a *app) *cobra.Command {
	var (
		o  pipelineOptions
		rf reviewFlags
	)
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what a profile change lets a program do, in words",
		Long: `diff compares two profiles as the compiler sees them, not as text: per
architecture, the syscalls newly allowed or denied or allowed for other
arguments; the default action; capabilities; namespaces; limits;
noNewPrivileges and the user. Reordering, comments and equivalent spellings
make no difference.

Each change is rated high, medium, low or info, with its reason, by the
built-in Rego risk rules and any in --policy DIR (package profilec.review; see
docs/review.md). --fail-on LEVEL exits with status 1 when a change is rated
LEVEL or higher.`,
		Example: `  profilec diff old.yaml new.yaml
  profilec diff docker-default web.yaml --output markdown
  profilec diff old.yaml new.yaml --fail-on high --policy review-rules/`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			ctx := cmd.Context()
			old, err := a.loadResolved(ctx, args[0], o.arch, o.kernel)
			if err != nil {
				return err
			}
			new, err := a.loadResolved(ctx, args[1], o.arch, o.kernel)
			if err != nil {
				return err
			}
			rater, err := rf.rater()
			if err != nil {
				return err
			}
			rep, err := review.Compare(ctx, old, new, args[0], args[1], rater)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return rf.write(a.stdout, rep)
		},
	}
	rf.add(c, "text")
	addTargetFlags(c, &o)
	return c
}

// reviewFlags are the output and rating flags diff and review share.
type reviewFlags struct {
	output string
	dirs   []string
	failOn string
}

// add registers the flags on c, --output defaulting to output.
func (r *reviewFlags) add(c *cobra.Command, output string) {
	f := c.Flags()
	f.StringVar(&r.output, "output", output, "output format: "+strings.Join(review.Formats, ", "))
	f.StringArrayVar(&r.dirs, "policy", nil, "add risk rules from DIR (Rego, package profilec.review; repeatable)")
	f.StringVar(&r.failOn, "fail-on", "", "exit with status 1 when a change is rated this or higher: high, medium, low")
}

func (r *reviewFlags) check() error {
	if !slices.Contains(review.Formats, r.output) {
		return &exitError{code: exitUsage, err: fmt.Errorf("--output %q: want one of %s", r.output, strings.Join(review.Formats, ", "))}
	}
	switch r.failOn {
	case "", review.RiskHigh, review.RiskMedium, review.RiskLow:
		return nil
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("--fail-on %q: want high, medium or low", r.failOn)}
}

// rater loads the built-in risk rules and those of --policy.
func (r *reviewFlags) rater() (*review.Rater, error) {
	rater, err := review.NewRater(r.dirs)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return rater, nil
}

// write prints rep as --output asks and returns the exit status --fail-on
// asks for.
func (r *reviewFlags) write(w io.Writer, rep *review.Report) error {
	if err := review.Write(w, r.output, rep); err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	if r.failOn == "" || review.RiskRank(rep.Max()) < review.RiskRank(r.failOn) {
		return nil
	}
	return &exitError{code: exitRefused, err: fmt.Errorf("a change is rated %s (--fail-on %s)", rep.Max(), r.failOn)}
}
