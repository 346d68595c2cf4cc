package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/schema"
)

func init() { register(newValidateCmd) }

func newValidateCmd(a *app) *cobra.Command {
	var (
		o         pipelineOptions
		policy    policyFlags
		output    string
		noBuiltin bool
		listRules bool
		allNS     bool
	)
	c := &cobra.Command{
		Use:   "validate PROFILE...",
		Short: "Check profiles against the built-in safety rules and organisation policies",
		Long: `validate loads each PROFILE (a profilec YAML file, a built-in profile name, or a
bare Docker seccomp JSON file), resolves it for the target, and checks it with
OPA: the built-in safety rules, any built-in policy set named with --policy-set
(` + strings.Join(policies.SetNames(), ", ") + `), and organisation policies loaded from --policy
directories with conftest's conventions (package main unless --namespace says
otherwise; deny, violation and warn rules, and exception to waive them).

Every finding has a stable id, a severity (deny or warn) and the place in the
profile it concerns. A profile waives a rule with
  policyExceptions: [{id: RULE-ID, reason: WHY}]
and waived findings are still reported; --list-rules prints the built-in ids.
A profile that cannot be loaded is reported in the same format.

Exit status 1 when any profile is denied (an unwaived deny) or cannot be
loaded; 0 when there are warnings at most; 2 on a usage error; 3 when the
organisation policies or data cannot be loaded. compile and exec run the
same validation before they do anything. See docs/policies.md.`,
		Example: `  profilec validate web.yaml
  profilec validate profiles/*.yaml --policy policy/ --data allowed.yaml
  profilec validate web.yaml --policy-set pss-restricted --output sarif > results.sarif
  profilec validate web.yaml --policy k8s-policies/ --namespace kubernetes --output github
  profilec validate --list-rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(policies.Formats, output) {
				return &exitError{code: exitUsage, err: fmt.Errorf("--output %q: want one of %s", output, strings.Join(policies.Formats, ", "))}
			}
			if listRules {
				return writeRules(a.stdout, output)
			}
			if len(args) == 0 {
				return &exitError{code: exitUsage, err: errors.New("validate needs at least one PROFILE (see profilec validate --help)")}
			}
			for _, s := range policy.sets {
				if !slices.Contains(policies.SetNames(), s) {
					return &exitError{code: exitUsage, err: fmt.Errorf("--policy-set %q: want one of %s", s, strings.Join(policies.SetNames(), ", "))}
				}
			}
			if len(policy.dirs) == 0 && (len(policy.data) > 0 || len(policy.namespaces) > 0 || allNS) {
				return &exitError{code: exitUsage, err: errors.New("--data and --namespace apply to organisation policies: add --policy DIR")}
			}
			opts := policy.options()
			opts.NoBuiltin = noBuiltin
			opts.AllNamespaces = allNS
			opts.Print = a.stderr

			// Most of what validate allocates is OPA compiling policies,
			// garbage within milliseconds: collecting it cost a run about
			// 4 ms of CPU, more than the few megabytes it takes. At ten
			// times the live heap a run of docker-default collects nothing,
			// while a huge policy data set still gets collected, and the
			// memory limit holds the heap no higher than the default would.
			defer debug.SetGCPercent(debug.SetGCPercent(1000))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))

			ctx := cmd.Context()
			results := make([]policies.FileResult, 0, len(args))
			refused := false
			for _, arg := range args {
				r, err := a.loadResolved(ctx, arg, o.arch, o.kernel)
				if err != nil {
					var ee *exitError
					if errors.As(err, &ee) && ee.code == exitUsage {
						return err
					}
					// A profile that does not load is a result like any
					// other, so one bad file neither hides the rest nor
					// escapes the chosen output format.
					refused = true
					results = append(results, policies.FileResult{File: arg, Findings: loadFindings(arg, err)})
					continue
				}
				findings, err := policies.Validate(ctx, r, opts)
				if err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("validate %s: %w", arg, err)}
				}
				if policies.Denied(findings) {
					refused = true
				}
				results = append(results, policies.FileResult{File: arg, Findings: findings})
			}
			if err := policies.Write(a.stdout, output, results); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if refused {
				return &exitError{code: exitRefused}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringArrayVar(&policy.dirs, "policy", nil, "load organisation Rego policies from DIR (repeatable; conftest conventions)")
	f.StringArrayVar(&policy.namespaces, "namespace", nil, "Rego package of the organisation policies (default main; repeatable)")
	f.BoolVar(&allNS, "all-namespaces", false, "evaluate every package of the organisation policies, as conftest's --all-namespaces")
	f.StringArrayVar(&policy.data, "data", nil, "add a JSON or YAML data FILE for the organisation policies (repeatable)")
	f.StringArrayVar(&policy.sets, "policy-set", nil, "also apply a built-in policy set: "+strings.Join(policies.SetNames(), ", ")+" (repeatable)")
	f.BoolVar(&noBuiltin, "no-builtin", false, "skip the built-in safety rules (sets and organisation policies still apply)")
	f.StringVar(&output, "output", "text", "output format: "+strings.Join(policies.Formats, ", "))
	f.BoolVar(&listRules, "list-rules", false, "list the built-in rules and sets (as JSON with --output json) and exit")
	addTargetFlags(c, &o)
	return c
}

// loadFindings is policies.LoadFindings for an error of loadResolved,
// whose exitError wrapper has no words of its own to add.
func loadFindings(arg string, err error) []policies.Finding {
	var list schema.ErrorList
	var ee *exitError
	if !errors.As(err, &list) && errors.As(err, &ee) && ee.err != nil {
		err = ee.err
	}
	return policies.LoadFindings(arg, err)
}

// writeRules lists the built-in rules: ids to waive, severities, sets.
func writeRules(w io.Writer, format string) error {
	rules := policies.Rules()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rules)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tSET\tSUMMARY")
	for _, r := range rules {
		set := r.Set
		if set == "" {
			set = "(always)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, set, r.Summary)
	}
	return tw.Flush()
}
