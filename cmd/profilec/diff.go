package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/review"
)

func init() { register(newDiffCmd) }

func newDiffCmd(a *app) *cobra.Command {
	var (
		o      pipelineOptions
		rf     riskFlags
		output string
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
			if !slices.Contains(review.Formats, output) {
				return &exitError{code: exitUsage, err: fmt.Errorf("--output %q: want one of %s", output, strings.Join(review.Formats, ", "))}
			}
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
			rater, err := review.NewRater(rf.dirs)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			rep, err := review.Compare(ctx, old, new, args[0], args[1], rater)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if err := review.Write(a.stdout, output, rep); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return rf.verdict(rep)
		},
	}
	f := c.Flags()
	f.StringVar(&output, "output", "text", "output format: "+strings.Join(review.Formats, ", "))
	rf.add(c)
	addTargetFlags(c, &o)
	return c
}

// riskFlags are the rating flags diff and review share.
type riskFlags struct {
	dirs   []string
	failOn string
}

func (r *riskFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.StringArrayVar(&r.dirs, "policy", nil, "add risk rules from DIR (Rego, package profilec.review; repeatable)")
	f.StringVar(&r.failOn, "fail-on", "", "exit with status 1 when a change is rated this or higher: high, medium, low")
}

func (r *riskFlags) check() error {
	switch r.failOn {
	case "", review.RiskHigh, review.RiskMedium, review.RiskLow:
		return nil
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("--fail-on %q: want high, medium or low", r.failOn)}
}

// verdict is the exit status --fail-on asks for.
func (r *riskFlags) verdict(rep *review.Report) error {
	if r.failOn == "" || review.RiskRank(rep.Max()) < review.RiskRank(r.failOn) {
		return nil
	}
	return &exitError{code: exitRefused, err: fmt.Errorf("a change is rated %s (--fail-on %s)", rep.Max(), r.failOn)}
}
