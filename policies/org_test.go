package policies

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const orgDir = "../testdata/policies/org"

// orgFindings validates an org testdata profile with the org policies only.
func orgFindings(t *testing.T, profile string, opts Options) []Finding {
	t.Helper()
	r := load(t, filepath.Join(orgDir, profile))
	opts.NoBuiltin = true
	fs, err := Validate(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func byID(fs []Finding) map[string][]Finding {
	m := map[string][]Finding{}
	for _, f := range fs {
		m[f.ID] = append(m[f.ID], f)
	}
	return m
}

func TestOrgPolicies(t *testing.T) {
	opts := Options{
		PolicyDirs: []string{filepath.Join(orgDir, "policy")},
		DataFiles:  []string{filepath.Join(orgDir, "data.yaml")},
	}
	mainRego := filepath.Join(orgDir, "policy", "main.rego")

	t.Run("new-service", func(t *testing.T) {
		fs := orgFindings(t, "new-service.yaml", opts)
		m := byID(fs)
		if len(fs) != 4 {
			t.Errorf("got %d findings, want 4: %+v", len(fs), fs)
		}
		da := m["main.deny_default_action"]
		if len(da) != 1 || da[0].Severity != SeverityDeny || da[0].Waived || da[0].Message != "our profiles kill on unlisted syscalls, not SCMP_ACT_ERRNO" {
			t.Fatalf("deny_default_action: %+v", da)
		}
		// The object's path locates the finding at the value in the file.
		if da[0].Path != "seccomp.defaultAction" || da[0].Pos.Line != 4 || da[0].Pos.Col != 18 {
			t.Errorf("deny_default_action at %s (path %q), want line 4 col 18", posString(da[0].Pos), da[0].Path)
		}
		if da[0].Source != mainRego {
			t.Errorf("source %q, want %q", da[0].Source, mainRego)
		}
		// data.allowed_capabilities comes from --data.
		// value points at the capability's entry: add: [CAP_CHOWN, ...].
		if d := m["main.deny"]; len(d) != 1 || d[0].Message != "capability CAP_CHOWN is not on the allowed list" || d[0].Pos.Line != 9 || d[0].Pos.Col != 9 {
			t.Errorf("deny: %+v", d)
		}
		if v := m["main.violation_nnp"]; len(v) != 1 || v[0].Severity != SeverityDeny || v[0].Waived {
			t.Errorf("violation_nnp: %+v", v)
		}
		if w := m["main.warn_description"]; len(w) != 1 || w[0].Severity != SeverityWarn {
			t.Errorf("warn_description: %+v", w)
		}
		if !Denied(fs) {
			t.Error("not denied")
		}
	})

	t.Run("legacy-service", func(t *testing.T) {
		fs := orgFindings(t, "legacy-service.yaml", opts)
		m := byID(fs)
		for _, id := range []string{"main.deny_default_action", "main.violation_nnp"} {
			if f := m[id]; len(f) != 1 || !f[0].Waived || !strings.Contains(f[0].WaiverReason, "data.main.exception") {
				t.Errorf("%s should be reported waived by the exception: %+v", id, f)
			}
		}
		// The exception names neither "" nor "description": these stand.
		if d := m["main.deny"]; len(d) != 1 || d[0].Waived {
			t.Errorf("deny: %+v", d)
		}
		if w := m["main.warn_description"]; len(w) != 1 || w[0].Waived {
			t.Errorf("warn_description: %+v", w)
		}
		if !Denied(fs) {
			t.Error("main.deny is not waived, so the profile must be denied")
		}
	})

	t.Run("profile waives an org rule by id", func(t *testing.T) {
		r := load(t, filepath.Join(orgDir, "new-service.yaml"))
		r.PolicyExceptions = append(r.PolicyExceptions, exceptionFor("main.deny", "reviewed"))
		fs, err := Validate(context.Background(), r, Options{NoBuiltin: true, PolicyDirs: opts.PolicyDirs, DataFiles: opts.DataFiles})
		if err != nil {
			t.Fatal(err)
		}
		if d := byID(fs)["main.deny"]; len(d) != 1 || !d[0].Waived || d[0].WaiverReason != "reviewed" {
			t.Errorf("main.deny: %+v", d)
		}
	})

	t.Run("v0 namespace", func(t *testing.T) {
		o := Options{PolicyDirs: []string{filepath.Join(orgDir, "legacy")}, Namespaces: []string{"legacy"}}
		fs := orgFindings(t, "new-service.yaml", o)
		if len(fs) != 1 || fs[0].ID != "legacy.deny" || fs[0].Message != "ptrace is allowed on SCMP_ARCH_X86_64" || fs[0].Severity != SeverityDeny {
			t.Errorf("findings %+v", fs)
		}
	})

	t.Run("all namespaces", func(t *testing.T) {
		o := Options{
			PolicyDirs:    []string{filepath.Join(orgDir, "policy"), filepath.Join(orgDir, "legacy")},
			AllNamespaces: true,
			Namespaces:    []string{"ignored"},
			DataFiles:     opts.DataFiles,
		}
		if got := len(orgFindings(t, "new-service.yaml", o)); got != 5 {
			t.Errorf("%d findings, want the 5 of main and legacy", got)
		}
	})

	t.Run("two namespaces from two dirs", func(t *testing.T) {
		o := Options{
			PolicyDirs: []string{filepath.Join(orgDir, "policy"), filepath.Join(orgDir, "legacy")},
			Namespaces: []string{"main", "legacy"},
			DataFiles:  opts.DataFiles,
		}
		fs := orgFindings(t, "new-service.yaml", o)
		var ids []string
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		slices.Sort(ids)
		want := []string{"legacy.deny", "main.deny", "main.deny_default_action", "main.violation_nnp", "main.warn_description"}
		if !slices.Equal(ids, want) {
			t.Errorf("ids %v, want %v", ids, want)
		}
	})
}

func TestOrgPolicyErrors(t *testing.T) {
	write := func(t *testing.T, src string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	r := load(t, "../testdata/policies/clean.yaml")
	for _, c := range []struct {
		name, src string
		opts      Options
		want      string
	}{
		{"syntax", "package main\ndeny contains msg if {", Options{}, "p.rego:"},
		{"boolean deny", "package main\ndeny if { true }\n", Options{}, "uses if without contains"},
		{"no such namespace", "package main\ndeny contains 1 if { false }\n", Options{Namespaces: []string{"k8s"}}, "no package k8s"},
		{"compile error", "package main\ndeny contains msg if { msg := undefined_fn(1) }\n", Options{}, "undefined_fn"},
		{"object without msg", "package main\ndeny contains {\"message\": \"x\"} if { true }\n", Options{}, "without a string msg"},
		{"number", "package main\nwarn contains 42 if { true }\n", Options{}, "want a string or an object with msg"},
		{"helper function", "package main\ndeny_if(x) := x\nwarn contains 42 if { deny_if(true) }\n", Options{}, "want a string or an object with msg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.PolicyDirs = []string{write(t, c.src)}
			_, err := Validate(context.Background(), r, o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestConftestExceptionNames follows conftest's rule: an exception lists
// the rule name without its severity prefix, "" for the bare rules.
func TestConftestExceptionNames(t *testing.T) {
	for rule, want := range map[string]string{
		"deny": "", "violation": "", "warn": "",
		"deny_foo": "foo", "violation_foo_bar": "foo_bar", "warn_x": "x",
	} {
		if got := exceptionName(rule); got != want {
			t.Errorf("exceptionName(%q) = %q, want %q", rule, got, want)
		}
	}
}

// TestBareException: conftest's exception [""] waives the rules named
// plainly deny, violation and warn, and only those.
func TestBareException(t *testing.T) {
	dir := t.TempDir()
	src := `package main

deny contains "bare deny" if { true }

warn contains "bare warn" if { true }

deny_named contains "named deny" if { true }

exception contains rules if {
	input.name == "clean"
	rules := [""]
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := load(t, "../testdata/policies/clean.yaml")
	fs, err := Validate(context.Background(), r, Options{PolicyDirs: []string{dir}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Message] = f.Waived
	}
	want := map[string]bool{"bare deny": true, "bare warn": true, "named deny": false}
	if len(got) != len(want) {
		t.Fatalf("findings %+v", fs)
	}
	for msg, waived := range want {
		if w, ok := got[msg]; !ok || w != waived {
			t.Errorf("%q: waived %v (present %v), want waived %v", msg, w, ok, waived)
		}
	}
	if !Denied(fs) {
		t.Error("deny_named is not waived, so the profile must be denied")
	}
}

// TestDocsExamples runs the organisation policy examples of
// docs/policies.md (copied in testdata/policies/org/docs).
func TestDocsExamples(t *testing.T) {
	opts := Options{
		PolicyDirs: []string{filepath.Join(orgDir, "docs")},
		DataFiles:  []string{filepath.Join(orgDir, "docs", "limits.yaml")},
	}
	// new-service: 64Mi of memory, ptrace allowed, no description.
	fs := orgFindings(t, "new-service.yaml", opts)
	m := byID(fs)
	if d := m["main.deny_memory"]; len(d) != 1 || d[0].Message != "memory limit 67108864 exceeds 33554432" || d[0].Pos.Line != 15 {
		t.Errorf("deny_memory: %+v", d)
	}
	if d := m["main.deny"]; len(d) != 1 || d[0].Message != "ptrace is allowed on SCMP_ARCH_X86_64" {
		t.Errorf("deny: %+v", d)
	}
	if w := m["main.warn_description"]; len(w) != 1 {
		t.Errorf("warn_description: %+v", w)
	}
	if len(fs) != 3 {
		t.Errorf("%d findings, want 3: %+v", len(fs), fs)
	}
}

// TestConcurrentValidate: the prepared queries and the organisation
// engine's store are shared, so validations may run in parallel.
func TestConcurrentValidate(t *testing.T) {
	opts := Options{
		PolicyDirs: []string{filepath.Join(orgDir, "policy")},
		DataFiles:  []string{filepath.Join(orgDir, "data.yaml")},
		Sets:       []string{"pss-restricted"},
	}
	profiles := []string{"legacy-service.yaml", "new-service.yaml"}
	want := map[string]int{}
	for _, p := range profiles {
		fs, err := Validate(context.Background(), load(t, filepath.Join(orgDir, p)), opts)
		if err != nil {
			t.Fatal(err)
		}
		want[p] = len(fs)
	}
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		p := profiles[i%2]
		r := load(t, filepath.Join(orgDir, p))
		go func() {
			fs, err := Validate(context.Background(), r, opts)
			if err == nil && len(fs) != want[p] {
				err = fmt.Errorf("%s: %d findings, want %d", p, len(fs), want[p])
			}
			errs <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestOrgPolicyFileAndJSONData: --policy takes a single file as conftest's
// does, and --data takes JSON as well as YAML.
func TestOrgPolicyFileAndJSONData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.json")
	if err := os.WriteFile(data, []byte(`{"allowed_capabilities": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := orgFindings(t, "new-service.yaml", Options{
		PolicyDirs: []string{filepath.Join(orgDir, "policy", "main.rego")},
		DataFiles:  []string{data},
	})
	m := byID(fs)
	if len(m["main.deny"]) != 0 {
		t.Errorf("CAP_CHOWN is allowed by the JSON data, yet: %+v", m["main.deny"])
	}
	if len(m["main.deny_default_action"]) != 1 {
		t.Errorf("findings %+v", fs)
	}
	_, err := Validate(context.Background(), load(t, filepath.Join(orgDir, "new-service.yaml")), Options{
		PolicyDirs: []string{filepath.Join(orgDir, "policy")},
		DataFiles:  []string{filepath.Join(dir, "missing.json")},
	})
	if err == nil || !strings.Contains(err.Error(), "load data") {
		t.Errorf("missing data file: err = %v", err)
	}
}

// TestPrint: print() in an organisation policy reaches Options.Print with
// its location, and is dropped without one.
func TestPrint(t *testing.T) {
	dir := t.TempDir()
	src := "package main\n\nwarn contains \"w\" if {\n\tprint(\"checking\", input.name)\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := load(t, "../testdata/policies/clean.yaml")
	var out strings.Builder
	fs, err := Validate(context.Background(), r, Options{PolicyDirs: []string{dir}, NoBuiltin: true, Print: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Errorf("findings %+v", fs)
	}
	if want := filepath.Join(dir, "p.rego") + ":4: checking clean\n"; out.String() != want {
		t.Errorf("print output %q, want %q", out.String(), want)
	}
	if _, err := Validate(context.Background(), r, Options{PolicyDirs: []string{dir}, NoBuiltin: true}); err != nil {
		t.Errorf("without a writer: %v", err)
	}
}

// TestConftestDialects: the three ways conftest policies are written all
// load: Rego v1, v0 with future keywords imported, and plain v0.
func TestConftestDialects(t *testing.T) {
	r := load(t, "../testdata/policies/clean.yaml")
	for name, src := range map[string]string{
		"v1":             "package main\n\ndeny contains msg if {\n\tinput.name == \"clean\"\n\tmsg := \"hit\"\n}\n",
		"future imports": "package main\n\nimport future.keywords.contains\nimport future.keywords.if\n\ndeny contains msg if {\n\tinput.name == \"clean\"\n\tmsg := \"hit\"\n}\n",
		"rego.v1 import": "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.name == \"clean\"\n\tmsg := \"hit\"\n}\n",
		"v0":             "package main\n\ndeny[msg] {\n\tinput.name == \"clean\"\n\tmsg := \"hit\"\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			fs, err := Validate(context.Background(), r, Options{PolicyDirs: []string{dir}, NoBuiltin: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || fs[0].ID != "main.deny" || fs[0].Message != "hit" {
				t.Errorf("findings %+v", fs)
			}
		})
	}
}
