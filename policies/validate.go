package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	_ "embed"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/profilec/profilec/schema"
)

// Severities of a finding. A deny refuses the profile unless waived.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// SourceBuiltin is Finding.Source for the built-in rules and sets.
const SourceBuiltin = "builtin"

// Finding is one result of a rule for one profile.
type Finding struct {
	ID       string     `json:"id"`
	Severity string     `json:"severity"`
	Message  string     `json:"message"`
	Path     string     `json:"path,omitempty"` // YAML path: seccomp.syscalls[3].names[0]
	Pos      schema.Pos `json:"pos"`
	// Waived findings never refuse a profile but are always reported.
	Waived       bool   `json:"waived,omitempty"`
	WaiverReason string `json:"waiverReason,omitempty"`
	// Source is "builtin" or the organisation policy file of the rule.
	Source string `json:"source"`
}

// Options choose the policies a profile is checked against.
type Options struct {
	// PolicyDirs hold organisation policies (.rego files, searched
	// recursively) written with conftest's conventions.
	PolicyDirs []string
	// Namespaces are the Rego packages of organisation rules, as conftest's
	// --namespace; default ["main"].
	Namespaces []string
	// AllNamespaces evaluates every package of the organisation policies,
	// as conftest's --all-namespaces; Namespaces is then ignored.
	AllNamespaces bool
	// DataFiles are JSON or YAML documents merged into data, as conftest's
	// --data.
	DataFiles []string
	// Sets are extra built-in policy sets, e.g. "pss-restricted".
	Sets []string
	// NoBuiltin skips the built-in safety rules.
	NoBuiltin bool
	// Print receives what print() calls in organisation policies write,
	// one line each prefixed with FILE:LINE, as conftest shows them; nil
	// discards it.
	Print io.Writer
}

//go:embed rego/builtin.rego
var builtinRego string

//go:embed rego/pss_restricted.rego
var pssRestrictedRego string

//go:embed rego/tables.json
var tablesJSON []byte

// builtinData is the data document of the built-in rules: their tables
// under data.profilec.tables.
func builtinData() (map[string]any, error) {
	var tables map[string]any
	if err := util.Unmarshal(tablesJSON, &tables); err != nil {
		return nil, fmt.Errorf("load built-in tables: %w", err)
	}
	return map[string]any{"profilec": map[string]any{"tables": tables}}, nil
}

// Each built-in module is compiled on its own and only when used: OPA's
// preparation is most of what validate costs, and the whole process must
// stay within a few tens of milliseconds.
var builtinQuery = sync.OnceValues(func() (rego.PreparedEvalQuery, error) {
	data, err := builtinData()
	if err != nil {
		return rego.PreparedEvalQuery{}, err
	}
	return prepareEmbedded("builtin.rego", builtinRego, "data.profilec.builtin.findings", data)
})

var setQueries = map[string]func() (rego.PreparedEvalQuery, error){
	"pss-restricted": sync.OnceValues(func() (rego.PreparedEvalQuery, error) {
		return prepareEmbedded("pss_restricted.rego", pssRestrictedRego, "data.profilec.sets.pss_restricted.findings", nil)
	}),
}

// SetNames lists the built-in policy sets Options.Sets accepts.
func SetNames() []string {
	var names []string
	for n := range setQueries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func prepareEmbedded(file, src, query string, data map[string]any) (rego.PreparedEvalQuery, error) {
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Module("builtin/"+file, src),
		rego.SetRegoVersion(ast.RegoV1),
	}
	if data != nil {
		opts = append(opts, rego.Store(inmem.NewFromObject(data)))
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		return pq, fmt.Errorf("prepare built-in policy %s: %w", file, err)
	}
	return pq, nil
}

// Validate checks r against the built-in rules, the requested sets and the
// organisation policies, and applies the waivers in r.PolicyExceptions and
// in the policies' exception rules. Findings are sorted by position.
// Organisation policies are loaded and compiled once per distinct set of
// directories, namespaces and data files for the life of the process.
func Validate(ctx context.Context, r *schema.Resolved, opts Options) ([]Finding, error) {
	if r == nil {
		return nil, fmt.Errorf("validate profile: no profile")
	}
	var org *orgEngine
	if len(opts.PolicyDirs) > 0 {
		var err error
		if org, err = cachedOrgEngine(ctx, opts); err != nil {
			return nil, err
		}
	} else if len(opts.DataFiles) > 0 || len(opts.Namespaces) > 0 || opts.AllNamespaces {
		return nil, fmt.Errorf("validate profile: --data and --namespace need organisation policies (--policy DIR)")
	}
	for _, s := range opts.Sets {
		if _, ok := setQueries[s]; !ok {
			return nil, fmt.Errorf("validate profile: unknown policy set %q (known: %s)", s, strings.Join(SetNames(), ", "))
		}
	}

	input, err := inputValue(r)
	if err != nil {
		return nil, err
	}
	loc := newLocator(r)
	var findings []Finding
	evaluated := map[string]bool{} // ids of the rules that ran, to spot stale waivers
	if !opts.NoBuiltin {
		pq, err := builtinQuery()
		if err != nil {
			return nil, err
		}
		fs, err := evalBuiltin(ctx, pq, input, loc)
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
		for _, rule := range builtinRules {
			evaluated[rule.ID] = true
		}
	}
	for _, s := range uniq(opts.Sets) {
		pq, err := setQueries[s]()
		if err != nil {
			return nil, err
		}
		fs, err := evalBuiltin(ctx, pq, input, loc)
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
		for _, rule := range setRules[s] {
			evaluated[rule.ID] = true
		}
	}
	if org != nil {
		fs, ids, err := org.eval(ctx, input, loc, opts.Print)
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
		for _, id := range ids {
			evaluated[id] = true
		}
	}
	findings = applyExceptions(r, findings, evaluated, loc)
	sortFindings(findings)
	return findings, nil
}

// Check validates r and reports whether a finding refuses it: a deny that
// no waiver covers. compile and exec call it before they do anything.
func Check(ctx context.Context, r *schema.Resolved, opts Options) (findings []Finding, denied bool, err error) {
	findings, err = Validate(ctx, r, opts)
	if err != nil {
		return nil, false, err
	}
	return findings, Denied(findings), nil
}

// Denied reports whether findings hold an unwaived deny.
func Denied(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == SeverityDeny && !f.Waived {
			return true
		}
	}
	return false
}

// LoadFindings turns the error of a profile that did not load into deny
// findings, so it is reported like any other result: one per error of a
// schema.ErrorList (id schema.CODE, at its position), or one for file.
func LoadFindings(file string, err error) []Finding {
	var list schema.ErrorList
	if !errors.As(err, &list) {
		return []Finding{{
			ID: "schema.load", Severity: SeverityDeny, Message: err.Error(),
			Pos: schema.Pos{File: file, Line: 1, Col: 1}, Source: SourceBuiltin,
		}}
	}
	fs := make([]Finding, 0, len(list))
	for _, e := range list {
		msg := e.Msg
		if e.Suggestion != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", e.Suggestion)
		}
		fs = append(fs, Finding{
			ID: "schema." + e.Code, Severity: SeverityDeny, Message: msg,
			Path: e.Path, Pos: e.Pos, Source: SourceBuiltin,
		})
	}
	return fs
}

// inputValue is the document policies see: the resolved profile as JSON,
// fields at the top level as conftest hands a parsed file over, plus facts.
// It is converted once and shared by every query.
func inputValue(r *schema.Resolved) (ast.Value, error) {
	doc, err := jsonValue(r)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("build policy input: profile is not an object")
	}
	f, err := ComputeFacts(r)
	if err != nil {
		return nil, err
	}
	obj.Insert(ast.StringTerm("facts"), ast.NewTerm(f.value()))
	return obj, nil
}

// jsonValue converts x straight from its JSON to an OPA value, skipping the
// map[string]any OPA would otherwise build first: the input of a large
// profile is a few thousand strings and this is on every run's path.
func jsonValue(x any) (ast.Value, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	return v, nil
}

// rawFinding is what the built-in Rego returns for each finding.
type rawFinding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Msg      string `json:"msg"`
	Path     string `json:"path"`
	// Value, when set, names the element of the list at Path the finding
	// is about, so it can point at that entry.
	Value string `json:"value"`
}

func evalBuiltin(ctx context.Context, pq rego.PreparedEvalQuery, input ast.Value, loc *locator) ([]Finding, error) {
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("evaluate built-in policy: %w", err)
	}
	var raws []rawFinding
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		if err := util.RoundTrip(&rs[0].Expressions[0].Value); err != nil {
			return nil, fmt.Errorf("decode built-in findings: %w", err)
		}
		b, err := json.Marshal(rs[0].Expressions[0].Value)
		if err != nil {
			return nil, fmt.Errorf("decode built-in findings: %w", err)
		}
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, fmt.Errorf("decode built-in findings: %w", err)
		}
	}
	out := make([]Finding, 0, len(raws))
	for _, f := range raws {
		out = append(out, Finding{
			ID:       f.ID,
			Severity: f.Severity,
			Message:  f.Msg,
			Path:     f.Path,
			Pos:      loc.locateValue(f.Path, f.Value),
			Source:   SourceBuiltin,
		})
	}
	return out, nil
}

// applyExceptions marks the findings r.PolicyExceptions waives, and warns
// about waivers of rules that ran and found nothing: a stale waiver would
// otherwise silently cover a future regression.
func applyExceptions(r *schema.Resolved, findings []Finding, evaluated map[string]bool, loc *locator) []Finding {
	for i, e := range r.PolicyExceptions {
		used := false
		for j := range findings {
			f := &findings[j]
			if f.ID != e.ID || f.Waived {
				continue
			}
			f.Waived = true
			f.WaiverReason = e.Reason
			if f.WaiverReason == "" {
				f.WaiverReason = "waived by policyExceptions"
			}
			used = true
		}
		if !used && !isRuleID(e.ID) && hasBuiltinFamily(e.ID) {
			path := fmt.Sprintf("policyExceptions[%d]", i)
			msg := fmt.Sprintf("no built-in rule is called %s, so the exception waives nothing", e.ID)
			if s := closestRule(e.ID); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			findings = append(findings, Finding{
				ID:       "policy.unknown-exception",
				Severity: SeverityWarn,
				Message:  msg,
				Path:     path,
				Pos:      loc.locate(path),
				Source:   SourceBuiltin,
			})
		}
		if !used && evaluated[e.ID] {
			path := fmt.Sprintf("policyExceptions[%d]", i)
			findings = append(findings, Finding{
				ID:       "policy.unused-exception",
				Severity: SeverityWarn,
				Message:  fmt.Sprintf("the exception for %s waives nothing: the rule finds no problem here, so remove the exception", e.ID),
				Path:     path,
				Pos:      loc.locate(path),
				Source:   SourceBuiltin,
			})
		}
	}
	return findings
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col - b.Pos.Col
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}

func uniq(s []string) []string {
	var res []string
	for _, x := range s {
		if !slices.Contains(res, x) {
			res = append(res, x)
		}
	}
	return res
}
