package policies

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/profilec/profilec/internal/regotest"
	"github.com/profilec/profilec/schema/systab"
)

// TestRego runs the Rego unit tests (rego/*_test.rego) beside the embedded
// policies, as `opa test rego/` would.
func TestRego(t *testing.T) {
	data, err := builtinData()
	if err != nil {
		t.Fatal(err)
	}
	// Every line of the policies must run under some test, as `opa test
	// --coverage` would show.
	perPackage := regotest.Run(t, "rego/*.rego", inmem.NewFromObject(data))
	for _, pkg := range []string{"data.profilec.builtin_test", "data.profilec.sets.pss_restricted_test"} {
		if perPackage[pkg] < 5 {
			t.Errorf("%s ran %d tests, want at least 5", pkg, perPackage[pkg])
		}
	}
}

// ruleIDs collects the ids the Rego passes to finding(...) in the heads of
// its findings rules.
func ruleIDs(t *testing.T, file, src string) []string {
	t.Helper()
	m, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range m.Rules {
		if r.Head.Name.String() != "findings" || r.Head.Key == nil {
			continue
		}
		call, ok := r.Head.Key.Value.(ast.Call)
		if !ok || len(call) < 2 {
			t.Errorf("%s:%d: findings rule without finding(...) in its head", file, r.Location.Row)
			continue
		}
		id, ok := call[1].Value.(ast.String)
		if !ok {
			t.Errorf("%s:%d: finding id is not a literal string", file, r.Location.Row)
			continue
		}
		if !slices.Contains(ids, string(id)) {
			ids = append(ids, string(id))
		}
	}
	slices.Sort(ids)
	return ids
}

// TestRuleListMatchesRego keeps Rules() (docs, SARIF metadata, unused
// waivers) in step with the Rego that produces the findings.
func TestRuleListMatchesRego(t *testing.T) {
	var listed []string
	for _, r := range builtinRules {
		if !strings.HasPrefix(r.ID, "policy.") { // produced in Go
			listed = append(listed, r.ID)
		}
	}
	slices.Sort(listed)
	if got := ruleIDs(t, "builtin.rego", builtinRego); !slices.Equal(got, listed) {
		t.Errorf("builtin.rego ids %v, builtinRules %v", got, listed)
	}
	listed = nil
	for _, r := range setRules["pss-restricted"] {
		listed = append(listed, r.ID)
	}
	slices.Sort(listed)
	if got := ruleIDs(t, "pss_restricted.rego", pssRestrictedRego); !slices.Equal(got, listed) {
		t.Errorf("pss_restricted.rego ids %v, setRules %v", got, listed)
	}
	for _, r := range Rules() {
		if r.Severity != SeverityDeny && r.Severity != SeverityWarn {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if r.Set != "" && !strings.HasPrefix(r.ID, r.Set+".") {
			t.Errorf("%s: id does not start with its set %s", r.ID, r.Set)
		}
	}
}

// TestTables: every name in the built-in tables is one the kernel knows, so
// a typo cannot silently disable a rule.
func TestTables(t *testing.T) {
	var tables struct {
		Isolation map[string][]string `json:"isolation_syscalls"`
		Dangerous map[string]string   `json:"dangerous_capabilities"`
		Compat    map[string][]string `json:"compat_arches"`
	}
	dec := json.NewDecoder(bytes.NewReader(tablesJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tables); err != nil {
		t.Fatal(err)
	}
	capOK := func(c string) {
		if _, ok := systab.Capability(c); !ok || !strings.HasPrefix(c, "CAP_") {
			t.Errorf("unknown capability %q", c)
		}
	}
	if len(tables.Isolation) < 40 {
		t.Errorf("%d isolation syscalls", len(tables.Isolation))
	}
	for name, caps := range tables.Isolation {
		if !systab.KnownSyscall(name) {
			t.Errorf("unknown syscall %q", name)
		}
		if len(caps) == 0 {
			t.Errorf("%s: no capability", name)
		}
		for _, c := range caps {
			capOK(c)
		}
	}
	for c, why := range tables.Dangerous {
		capOK(c)
		if why == "" {
			t.Errorf("%s: no reason", c)
		}
	}
	for a, subs := range tables.Compat {
		for _, s := range append([]string{a}, subs...) {
			if x, ok := systab.LookupArch(s); !ok || x.Name != s {
				t.Errorf("unknown architecture %q", s)
			}
		}
	}
}

// TestRegoFormatted: the Rego is as `opa fmt` writes it, as Go is gofmt'd.
func TestRegoFormatted(t *testing.T) {
	files, err := filepath.Glob("rego/*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.SourceWithOpts(f, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted as opa fmt would; it would be:\n%s", f, got)
		}
	}
}
