// Package regotest runs a package's Rego unit tests from Go tests, as
// `opa test --coverage rego/` would, for the packages that embed Rego
// (policies, review).
package regotest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"
)

// Run parses every file matching glob as Rego v1, runs its tests with
// store as data (nil for none) and reports as test errors every test that
// errs, fails or is skipped, and every line of the non-test files that no
// test ran. It returns how many tests ran in each Rego package.
func Run(t *testing.T, glob string, store storage.Store) map[string]int {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]*ast.Module{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		modules[f] = m
	}
	cov := cover.New()
	runner := tester.NewRunner().SetDefaultRegoVersion(ast.RegoV1).RaiseBuiltinErrors(true).SetCoverageQueryTracer(cov)
	if store != nil {
		runner = runner.SetStore(store)
	}
	ch, err := runner.Run(context.Background(), modules)
	if err != nil {
		t.Fatal(err)
	}
	perPackage := map[string]int{}
	for r := range ch {
		perPackage[r.Package]++
		switch {
		case r.Error != nil:
			t.Errorf("%s: %s.%s: %v", r.Location, r.Package, r.Name, r.Error)
		case r.Fail:
			t.Errorf("%s: %s.%s failed", r.Location, r.Package, r.Name)
		case r.Skip:
			t.Errorf("%s: %s.%s skipped: Rego tests may not be skipped", r.Location, r.Package, r.Name)
		}
	}
	for file, fr := range cov.Report(modules).Files {
		if strings.HasSuffix(file, "_test.rego") {
			continue
		}
		for _, r := range fr.NotCovered {
			t.Errorf("%s:%d-%d: not covered by the Rego tests", file, r.Start.Row, r.End.Row)
		}
	}
	return perPackage
}
