package review

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	_ "embed"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Risk levels, lowest first.
const (
	RiskInfo   = "info"
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// Levels lists the risk levels from lowest to highest.
var Levels = []string{RiskInfo, RiskLow, RiskMedium, RiskHigh}

// RiskRank orders levels: info 0 to high 3, -1 for anything else.
func RiskRank(level string) int { return slices.Index(Levels, level) }

// Package is the Rego package of the risk rules, built-in and
// organisation ones alike.
const Package = "profilec.review"

//go:embed rego/risk.rego
var riskRego string

const riskQuery = "risk := [x | x := data.profilec.review.risk[_]]; override := [x | x := data.profilec.review.override[_]]"

// Rater classifies changes with the built-in risk rules and any
// organisation rules. It is safe for concurrent use.
type Rater struct {
	pq rego.PreparedEvalQuery
}

// builtinRater is prepared once: preparing is most of what rating costs.
var builtinRater = sync.OnceValues(func() (*Rater, error) {
	return newRater(map[string]*ast.Module{})
})

// NewRater prepares the risk rules: the built-in ones and the .rego files
// under dirs (searched recursively), which must include package
// profilec.review. Rules there add to the built-in risk and override sets.
func NewRater(dirs []string) (*Rater, error) {
	if len(dirs) == 0 {
		return builtinRater()
	}
	modules := map[string]*ast.Module{}
	found := false
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".rego") || strings.HasSuffix(d.Name(), "_test.rego") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				// A conftest policy in v0 syntax may share the directory;
				// it is skipped below, but must still parse.
				m0, err0 := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV0})
				if err0 != nil {
					return err
				}
				m = m0
			}
			if m == nil {
				return nil
			}
			// Only the review package and those below it are risk rules;
			// validation policies in the same directory are left alone.
			pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
			if pkg != Package && !strings.HasPrefix(pkg, Package+".") {
				return nil
			}
			found = found || pkg == Package
			modules[path] = m
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load risk rules: %w", err)
		}
	}
	if !found {
		return nil, fmt.Errorf("load risk rules: no package %s in %s", Package, strings.Join(dirs, ", "))
	}
	return newRater(modules)
}

func newRater(modules map[string]*ast.Module) (*Rater, error) {
	m, err := ast.ParseModuleWithOpts("builtin/review/risk.rego", riskRego, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("parse built-in risk rules: %w", err)
	}
	all := map[string]*ast.Module{"builtin/review/risk.rego": m}
	for k, v := range modules {
		all[k] = v
	}
	c := ast.NewCompiler()
	if c.Compile(all); c.Failed() {
		return nil, fmt.Errorf("compile risk rules: %w", c.Errors)
	}
	pq, err := rego.New(rego.Query(riskQuery), rego.Compiler(c)).PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("prepare risk rules: %w", err)
	}
	return &Rater{pq: pq}, nil
}

type verdict struct {
	Index  int    `json:"index"`
	Level  string `json:"level"`
	Reason string `json:"reason"`
}

// Rate sets Risk and Reason of every change: the highest level a rule
// gives it (or the highest override), with the reasons of that level. A
// change no rule rates is info.
func (r *Rater) Rate(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	// The input is the changes as JSON documents, with neither positions
	// nor earlier ratings: rules judge what changed, not where.
	type in struct {
		Kind    string   `json:"kind"`
		Subject string   `json:"subject"`
		Arches  []string `json:"arches"`
		Old     string   `json:"old"`
		New     string   `json:"new"`
		Message string   `json:"message"`
	}
	docs := make([]in, len(changes))
	for i, c := range changes {
		docs[i] = in{c.Kind, c.Subject, c.Arches, c.Old, c.New, c.Message}
		if docs[i].Arches == nil {
			docs[i].Arches = []string{}
		}
	}
	raw, err := json.Marshal(map[string]any{"changes": docs})
	if err != nil {
		return fmt.Errorf("rate changes: %w", err)
	}
	var input any
	if err := json.Unmarshal(raw, &input); err != nil {
		return fmt.Errorf("rate changes: %w", err)
	}
	rs, err := r.pq.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return fmt.Errorf("rate changes: %w", err)
	}
	if len(rs) != 1 {
		return fmt.Errorf("rate changes: risk rules gave %d results, want 1", len(rs))
	}
	decode := func(name string) ([]verdict, error) {
		b, err := json.Marshal(rs[0].Bindings[name])
		if err != nil {
			return nil, err
		}
		var vs []verdict
		if err := json.Unmarshal(b, &vs); err != nil {
			return nil, fmt.Errorf("%s: want objects {index, level, reason}: %w", name, err)
		}
		for _, v := range vs {
			if RiskRank(v.Level) < 0 {
				return nil, fmt.Errorf("%s: unknown level %q for change %d (want %s)", name, v.Level, v.Index, strings.Join(Levels, ", "))
			}
			if v.Index < 0 || v.Index >= len(changes) {
				return nil, fmt.Errorf("%s: no change %d", name, v.Index)
			}
		}
		return vs, nil
	}
	risk, err := decode("risk")
	if err != nil {
		return fmt.Errorf("rate changes: %w", err)
	}
	override, err := decode("override")
	if err != nil {
		return fmt.Errorf("rate changes: %w", err)
	}
	best := func(vs []verdict) map[int]verdict {
		out := map[int]verdict{}
		// Reasons of equal rank are joined in a stable order.
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Reason < vs[j].Reason })
		for _, v := range vs {
			cur, ok := out[v.Index]
			switch {
			case !ok || RiskRank(v.Level) > RiskRank(cur.Level):
				out[v.Index] = v
			case RiskRank(v.Level) == RiskRank(cur.Level) && v.Reason != cur.Reason:
				cur.Reason += "; " + v.Reason
				out[v.Index] = cur
			}
		}
		return out
	}
	rated, over := best(risk), best(override)
	for i := range changes {
		v, ok := over[i]
		if !ok {
			v, ok = rated[i]
		}
		if !ok {
			v = verdict{Level: RiskInfo, Reason: "no risk rule rates this change"}
		}
		changes[i].Risk, changes[i].Reason = v.Level, v.Reason
	}
	return nil
}

// sortByRisk puts the riskiest changes first, keeping the diff's order
// among equals, so a reader meets what matters most first.
func sortByRisk(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int { return RiskRank(b.Risk) - RiskRank(a.Risk) })
}

// Max returns the highest risk among changes, "" for none.
func Max(changes []Change) string {
	m := ""
	for _, c := range changes {
		if RiskRank(c.Risk) > RiskRank(m) {
			m = c.Risk
		}
	}
	return m
}
