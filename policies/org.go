package policies

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// Rule names conftest evaluates, with its exact patterns: deny and violation
// refuse, warn warns, each optionally followed by _suffix parts.
var (
	failureRule = regexp.MustCompile(`^(deny|violation)(_[a-zA-Z0-9]+)*$`)
	warningRule = regexp.MustCompile(`^warn(_[a-zA-Z0-9]+)*$`)
)

// exceptionName is the name an exception rule lists to waive rule, as
// conftest matches it: the severity prefix removed, "" for the bare rules.
func exceptionName(rule string) string {
	switch rule {
	case "deny", "violation", "warn":
		return ""
	}
	for _, p := range []string{"violation_", "deny_", "warn_"} {
		rule = strings.TrimPrefix(rule, p)
	}
	return rule
}

// orgRule is one deny/violation/warn rule of one namespace.
type orgRule struct {
	ns, name string
	file     string // the first file defining it
	binding  string // its variable in the combined query
}

// orgEngine holds organisation policies compiled once into one query that
// returns every rule's results and every namespace's exceptions.
type orgEngine struct {
	pq         rego.PreparedEvalQuery
	rules      []orgRule
	exceptions map[string]string // namespace -> binding of its exception names
	store      storage.Store
	mu         sync.Mutex // the store's per-profile conftest.file entry
}

var (
	orgMu    sync.Mutex
	orgCache = map[string]*orgEngine{}
)

func cachedOrgEngine(ctx context.Context, opts Options) (*orgEngine, error) {
	key := fmt.Sprint(opts.AllNamespaces) + "\x01" + strings.Join(opts.PolicyDirs, "\x00") + "\x01" + strings.Join(opts.Namespaces, "\x00") + "\x01" + strings.Join(opts.DataFiles, "\x00")
	orgMu.Lock()
	defer orgMu.Unlock()
	if e, ok := orgCache[key]; ok {
		return e, nil
	}
	e, err := newOrgEngine(ctx, opts)
	if err != nil {
		return nil, err
	}
	orgCache[key] = e
	return e, nil
}

// loadModules reads every .rego file under dirs, as conftest does. Rego v1
// is tried first; a file that only parses as v0 (deny[msg] { ... }, the
// syntax of most existing conftest policies) is kept as v0, so those
// policies run unchanged.
func loadModules(dirs []string) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("load policies: %w", err)
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".rego") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
			if err != nil {
				m0, err0 := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV0, ProcessAnnotation: true})
				if err0 != nil {
					return err // the v1 error: v1 is the syntax to write
				}
				m = m0
			}
			if m == nil {
				return nil // only comments
			}
			modules[path] = m
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load policies: %w", err)
		}
	}
	if len(modules) == 0 {
		return nil, fmt.Errorf("load policies: no .rego files in %s", strings.Join(dirs, ", "))
	}
	return modules, nil
}

func newOrgEngine(ctx context.Context, opts Options) (*orgEngine, error) {
	modules, err := loadModules(opts.PolicyDirs)
	if err != nil {
		return nil, err
	}
	files := make([]string, 0, len(modules))
	for f := range modules {
		files = append(files, f)
	}
	slices.Sort(files)
	namespaces := uniq(opts.Namespaces)
	if opts.AllNamespaces {
		namespaces = nil
		for _, f := range files {
			namespaces = append(namespaces, strings.TrimPrefix(modules[f].Package.Path.String(), "data."))
		}
		slices.Sort(namespaces)
		namespaces = slices.Compact(namespaces)
	}
	if len(namespaces) == 0 {
		namespaces = []string{"main"}
	}

	e := &orgEngine{exceptions: map[string]string{}}
	var query []string
	seen := map[string]bool{}
	for _, ns := range namespaces {
		found := false
		hasException := false
		for _, file := range files {
			m := modules[file]
			if strings.TrimPrefix(m.Package.Path.String(), "data.") != ns {
				continue
			}
			found = true
			for _, r := range m.Rules {
				ref := r.Head.Ref()
				if len(ref) == 0 {
					continue
				}
				v, ok := ref[0].Value.(ast.Var)
				if !ok {
					continue
				}
				name := string(v)
				if name == "exception" {
					hasException = true
					continue
				}
				// Functions named like rules (deny_if(x) := ...) are helpers,
				// not results.
				if len(r.Head.Args) > 0 || !failureRule.MatchString(name) && !warningRule.MatchString(name) {
					continue
				}
				// A deny with if but no contains is a boolean: it has no
				// message to report, and conftest refuses it too.
				if len(ref) == 1 && r.Head.Key == nil && r.Head.Value != nil && ast.Boolean(true).Equal(r.Head.Value.Value) {
					return nil, fmt.Errorf("load policies: %s:%d: rule %s uses if without contains (write %s contains msg if { ... })", file, r.Head.Location.Row, name, name)
				}
				if seen[ns+"\x00"+name] {
					continue
				}
				seen[ns+"\x00"+name] = true
				b := fmt.Sprintf("r%d", len(e.rules))
				e.rules = append(e.rules, orgRule{ns: ns, name: name, file: file, binding: b})
				query = append(query, fmt.Sprintf("%s := [x | x := %s.%s[_]]", b, m.Package.Path, name))
			}
			if hasException && e.exceptions[ns] == "" {
				b := fmt.Sprintf("e%d", len(e.exceptions))
				e.exceptions[ns] = b
				query = append(query, fmt.Sprintf("%s := {x | x := %s.exception[_][_]}", b, m.Package.Path))
			}
		}
		if !found {
			return nil, fmt.Errorf("load policies: no package %s in %s (choose one with --namespace)", ns, strings.Join(opts.PolicyDirs, ", "))
		}
	}
	if len(query) == 0 {
		query = []string{"true"}
	}

	data := map[string]any{}
	if len(opts.DataFiles) > 0 {
		res, err := loader.NewFileLoader().All(opts.DataFiles)
		if err != nil {
			return nil, fmt.Errorf("load data: %w", err)
		}
		data = res.Documents
	}
	e.store = inmem.NewFromObject(data)

	// Print statements stay in, so a policy author debugging with print()
	// sees the output when a writer is given (Options.Print).
	compiler := ast.NewCompiler().WithEnablePrintStatements(true)
	compiler.Compile(modules)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	e.pq, err = rego.New(
		rego.Query(strings.Join(query, "; ")),
		rego.Compiler(compiler),
		rego.Store(e.store),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare policies: %w", err)
	}
	return e, nil
}

// ids are the finding ids of the rules the engine runs.
func (e *orgEngine) ids() []string {
	var ids []string
	for _, r := range e.rules {
		ids = append(ids, r.ns+"."+r.name)
	}
	return ids
}

// eval runs every organisation rule on one profile. A finding's id is
// NAMESPACE.RULE; a rule an exception names is reported waived, as conftest
// counts it among its exceptions rather than dropping it.
func (e *orgEngine) eval(ctx context.Context, input ast.Value, loc *locator, printTo io.Writer) ([]Finding, []string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.setFile(ctx, loc.file); err != nil {
		return nil, nil, err
	}
	evalOpts := []rego.EvalOption{rego.EvalParsedInput(input)}
	if printTo != nil {
		evalOpts = append(evalOpts, rego.EvalPrintHook(printHook{printTo}))
	}
	rs, err := e.pq.Eval(ctx, evalOpts...)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate policies: %w", err)
	}
	if len(rs) == 0 {
		return nil, e.ids(), nil
	}
	b := rs[0].Bindings
	var out []Finding
	for _, rule := range e.rules {
		waived := false
		if eb := e.exceptions[rule.ns]; eb != "" {
			names, _ := b[eb].([]any)
			want := exceptionName(rule.name)
			for _, n := range names {
				if s, ok := n.(string); ok && s == want {
					waived = true
				}
			}
		}
		results, _ := b[rule.binding].([]any)
		for _, res := range results {
			f := Finding{
				ID:       rule.ns + "." + rule.name,
				Severity: SeverityWarn,
				Source:   rule.file,
			}
			if failureRule.MatchString(rule.name) {
				f.Severity = SeverityDeny
			}
			var value string
			switch v := res.(type) {
			case string:
				f.Message = v
			case map[string]any:
				msg, ok := v["msg"].(string)
				if !ok {
					return nil, nil, fmt.Errorf("evaluate policies: %s in %s returned an object without a string msg: %v", rule.name, rule.file, v)
				}
				f.Message = msg
				// An optional path points the finding at a place in the
				// profile; conftest ignores keys it does not know.
				if p, ok := v["path"].(string); ok {
					f.Path = p
				}
				value, _ = v["value"].(string)
			default:
				return nil, nil, fmt.Errorf("evaluate policies: %s in %s returned %T, want a string or an object with msg", rule.name, rule.file, res)
			}
			f.Pos = loc.locateValue(f.Path, value)
			if waived {
				f.Waived = true
				f.WaiverReason = fmt.Sprintf("exception in data.%s.exception", rule.ns)
			}
			out = append(out, f)
		}
	}
	return out, e.ids(), nil
}

// setFile records the profile's file name and directory in
// data.conftest.file, where conftest policies find them.
func (e *orgEngine) setFile(ctx context.Context, file string) error {
	abs, err := filepath.Abs(file)
	if err != nil || file == "" {
		abs = file
	}
	info := map[string]any{"name": filepath.Base(abs), "dir": filepath.Dir(abs)}
	err = storage.Txn(ctx, e.store, storage.WriteParams, func(txn storage.Transaction) error {
		if err := storage.MakeDir(ctx, e.store, txn, storage.Path{"conftest"}); err != nil {
			return err
		}
		return e.store.Write(ctx, txn, storage.AddOp, storage.Path{"conftest", "file"}, info)
	})
	if err != nil {
		return fmt.Errorf("record profile file for policies: %w", err)
	}
	return nil
}

// printHook writes print() output as conftest does: LOCATION: MESSAGE.
type printHook struct{ w io.Writer }

func (h printHook) Print(pctx print.Context, msg string) error {
	_, err := fmt.Fprintf(h.w, "%v: %s\n", pctx.Location, msg)
	return err
}
