package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/review"
)

func init() { register(newReviewCmd) }

func newReviewCmd(a *app) *cobra.Command {
	var (
		o          pipelineOptions
		rf         reviewFlags
		vf         policyFlags
		vdirs      []string
		base       string
		noValidate bool
	)
	c := &cobra.Command{
		Use:   "review [--base REF] [PATH...]",
		Short: "Review the profiles changed in a git repository",
		Long: `review finds the profiles changed between REF (default HEAD) and the work
tree: added, modified, deleted and renamed YAML files with a top-level version
and profilec fields, or any file named as a PATH. It diffs each against its
version at REF (as diff does, with extends as they were at REF), rates every
change, and adds the validation findings of the new version.

--output markdown is ready to post as a pull request comment; sarif is SARIF
2.1.0 for code scanning; github prints workflow annotations on the changed
lines. --fail-on LEVEL exits with status 1 when a change is rated LEVEL or
higher. Risk rules come from --policy DIR (package profilec.review);
validation policies from --validate-policy DIR (conftest conventions, as
validate's --policy).`,
		Example: `  profilec review
  profilec review --base origin/main --output markdown >> "$GITHUB_STEP_SUMMARY"
  profilec review --base "$BASE_SHA" --output github --fail-on high profiles/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			if len(vdirs) == 0 && (len(vf.data) > 0 || len(vf.namespaces) > 0) {
				return &exitError{code: exitUsage, err: errors.New("--data and --namespace apply to validation policies: add --validate-policy DIR")}
			}
			t, err := target(o.arch, o.kernel)
			if err != nil {
				return err
			}
			rater, err := rf.rater()
			if err != nil {
				return err
			}
			vf.dirs = vdirs
			rep, err := review.Review(cmd.Context(), review.Options{
				Base:       base,
				Paths:      args,
				Target:     t,
				Schema:     schemaOptions(),
				Rater:      rater,
				Policies:   vf.options(),
				NoValidate: noValidate,
			})
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return rf.write(a.stdout, rep)
		},
	}
	f := c.Flags()
	f.StringVar(&base, "base", "HEAD", "git revision to compare with, e.g. origin/main or a commit")
	f.BoolVar(&noValidate, "no-validate", false, "skip validating the new versions")
	f.StringArrayVar(&vdirs, "validate-policy", nil, "validate with organisation Rego policies from DIR (conftest conventions; repeatable)")
	f.StringArrayVar(&vf.namespaces, "namespace", nil, "Rego package of the validation policies (default main; repeatable)")
	f.StringArrayVar(&vf.data, "data", nil, "add a JSON or YAML data FILE for the validation policies (repeatable)")
	f.StringArrayVar(&vf.sets, "policy-set", nil, "also validate with a built-in policy set: "+strings.Join(policies.SetNames(), ", ")+" (repeatable)")
	rf.add(c, "markdown")
	addTargetFlags(c, &o)
	return c
}
