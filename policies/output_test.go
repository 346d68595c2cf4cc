package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/profilec/profilec/schema"
)

// results validates two testdata profiles: one denied, one with waivers.
func results(t *testing.T) []FileResult {
	t.Helper()
	var res []FileResult
	for _, f := range []string{"../testdata/policies/exec-denied.yaml", "../testdata/policies/waived.yaml"} {
		fs, err := Validate(context.Background(), load(t, f), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 {
			t.Fatalf("%s: no findings", f)
		}
		res = append(res, FileResult{File: f, Findings: fs})
	}
	return res
}

func write(t *testing.T, format string, res []FileResult) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, res); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteText(t *testing.T) {
	out := write(t, "text", results(t))
	for _, want := range []string{
		"../testdata/policies/exec-denied.yaml:8:21: deny seccomp.exec-denied: execve is not allowed on SCMP_ARCH_X86_64",
		"../testdata/policies/waived.yaml:9:15: deny seccomp.isolation-syscall: unshare is allowed",
		"(waived: the sandbox builder unshares its own namespaces)",
		"../testdata/policies/waived.yaml:21:5: warn policy.unused-exception: the exception for cgroups.no-memory-limit waives nothing",
		"2 profiles, 1 denial, 2 warnings, 2 waived\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if got := write(t, "text", nil); got != "0 profiles, 0 denials, 0 warnings, 0 waived\n" {
		t.Errorf("empty text output %q", got)
	}
}

func TestWriteJSON(t *testing.T) {
	res := results(t)
	res = append(res, FileResult{File: "empty.yaml"})
	var got struct {
		Results []struct {
			File     string    `json:"file"`
			Denied   bool      `json:"denied"`
			Findings []Finding `json:"findings"`
		} `json:"results"`
	}
	out := write(t, "json", res)
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	if len(got.Results) != 3 {
		t.Fatalf("%d results", len(got.Results))
	}
	if !got.Results[0].Denied || got.Results[1].Denied || got.Results[2].Denied {
		t.Errorf("denied flags %v %v %v, want true false false", got.Results[0].Denied, got.Results[1].Denied, got.Results[2].Denied)
	}
	for i, r := range got.Results[:2] {
		if len(r.Findings) != len(res[i].Findings) {
			t.Fatalf("%s: %d findings, want %d", r.File, len(r.Findings), len(res[i].Findings))
		}
		for j, f := range r.Findings {
			if f != res[i].Findings[j] {
				t.Errorf("finding %d did not round-trip:\n got  %+v\n want %+v", j, f, res[i].Findings[j])
			}
		}
	}
	if !strings.Contains(out, `"findings": []`) {
		t.Error("a profile without findings must have an empty list, not null")
	}
}

// TestWriteSARIF checks what SARIF 2.1.0's schema requires and what code
// scanning reads.
func TestWriteSARIF(t *testing.T) {
	res := results(t)
	out := write(t, "sarif", res)
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	get := func(v any, path ...any) any {
		t.Helper()
		for _, p := range path {
			switch k := p.(type) {
			case string:
				m, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("%v: not an object at %q", path, k)
				}
				v = m[k]
			case int:
				a, ok := v.([]any)
				if !ok || k >= len(a) {
					t.Fatalf("%v: no element %d", path, k)
				}
				v = a[k]
			}
		}
		return v
	}
	if get(log, "version") != "2.1.0" {
		t.Errorf("version %v", get(log, "version"))
	}
	if s, _ := get(log, "$schema").(string); !strings.Contains(s, "sarif-2.1.0") {
		t.Errorf("$schema %q", s)
	}
	if get(log, "runs", 0, "tool", "driver", "name") != "profilec" {
		t.Errorf("driver name %v", get(log, "runs", 0, "tool", "driver", "name"))
	}
	rules := get(log, "runs", 0, "tool", "driver", "rules").([]any)
	results := get(log, "runs", 0, "results").([]any)
	want := len(res[0].Findings) + len(res[1].Findings)
	if len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	suppressed := 0
	for i, r := range results {
		id, _ := get(r, "ruleId").(string)
		if id == "" {
			t.Errorf("result %d: no ruleId", i)
		}
		idx := int(get(r, "ruleIndex").(float64))
		if get(rules[idx], "id") != id {
			t.Errorf("result %d: ruleIndex %d names %v, not %s", i, idx, get(rules[idx], "id"), id)
		}
		if get(rules[idx], "shortDescription", "text") == "" {
			t.Errorf("rule %s: no shortDescription", id)
		}
		if h, _ := get(rules[idx], "helpUri").(string); !strings.HasSuffix(h, "docs/policies.md#built-in-rules") {
			t.Errorf("rule %s: helpUri %q", id, h)
		}
		if l := get(r, "level"); l != "error" && l != "warning" {
			t.Errorf("result %d: level %v", i, l)
		}
		if s, _ := get(r, "message", "text").(string); s == "" {
			t.Errorf("result %d: no message.text", i)
		}
		uri, _ := get(r, "locations", 0, "physicalLocation", "artifactLocation", "uri").(string)
		if !strings.HasPrefix(uri, "../testdata/policies/") || !strings.HasSuffix(uri, ".yaml") {
			t.Errorf("result %d: uri %q", i, uri)
		}
		for _, k := range []string{"startLine", "startColumn"} {
			if n, _ := get(r, "locations", 0, "physicalLocation", "region", k).(float64); n < 1 {
				t.Errorf("result %d: region.%s %v", i, k, n)
			}
		}
		if s, ok := r.(map[string]any)["suppressions"]; ok {
			suppressed++
			if get(s, 0, "kind") != "inSource" || get(s, 0, "justification") == "" {
				t.Errorf("result %d: suppression %v", i, s)
			}
		}
	}
	if suppressed != 2 {
		t.Errorf("%d suppressed results, want the 2 waived findings", suppressed)
	}
	first := results[0]
	if get(first, "ruleId") != "seccomp.exec-denied" || get(first, "level") != "error" ||
		get(first, "locations", 0, "physicalLocation", "region", "startLine") != 8.0 {
		t.Errorf("first result %v", first)
	}
}

func TestWriteGitHub(t *testing.T) {
	out := write(t, "github", results(t))
	line := regexp.MustCompile(`^::(error|warning|notice) file=[^,:]+,line=[1-9][0-9]*,col=[1-9][0-9]*,title=[a-z0-9.-]+::[^\r\n]+$`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	for _, want := range []string{
		"::error file=../testdata/policies/exec-denied.yaml,line=8,col=21,title=seccomp.exec-denied::execve is not allowed",
		"::notice file=../testdata/policies/waived.yaml,line=9,col=15,title=seccomp.isolation-syscall::waived: unshare is allowed",
		"::warning file=../testdata/policies/waived.yaml,line=21,col=5,title=policy.unused-exception::",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("github output lacks %q:\n%s", want, out)
		}
	}

	// Messages and properties are escaped so a message cannot end the
	// command or forge another.
	odd := []FileResult{{File: "a,b:c.yaml", Findings: []Finding{{
		ID: "x.y", Severity: SeverityDeny, Message: "line one\nline two 100%", Pos: schema.Pos{File: "a,b:c.yaml", Line: 2, Col: 3},
	}}}}
	got := write(t, "github", odd)
	if want := "::error file=a%2Cb%3Ac.yaml,line=2,col=3,title=x.y::line one%0Aline two 100%25\n"; got != want {
		t.Errorf("escaped:\n got  %q\n want %q", got, want)
	}
}

func TestWriteBuiltinPositions(t *testing.T) {
	// A finding located in a built-in base points at the profile in
	// machine formats, where a reader must be able to open the file.
	res := []FileResult{{File: "p.yaml", Findings: []Finding{{
		ID: "seccomp.compat-arch", Severity: SeverityWarn, Message: "m", Pos: schema.Pos{File: "builtin:docker-default", Line: 22, Col: 1},
	}}}}
	if got := write(t, "github", res); !strings.HasPrefix(got, "::warning file=p.yaml,line=1,col=1,") {
		t.Errorf("github: %q", got)
	}
	if got := write(t, "text", res); !strings.HasPrefix(got, "builtin:docker-default:22:1: warn seccomp.compat-arch: m") {
		t.Errorf("text: %q", got)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "xml", nil); err == nil || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("err = %v", err)
	}
}

func TestSARIFURI(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"profiles/web.yaml":                  "profiles/web.yaml",
		"./web.yaml":                         "web.yaml",
		"my profile#1.yaml":                  "my%20profile%231.yaml",
		filepath.Join(wd, "sub", "web.yaml"): "sub/web.yaml",
		"/etc/profilec/web.yaml":             "file:///etc/profilec/web.yaml",
		"../testdata/policies/clean.yaml":    "../testdata/policies/clean.yaml",
	} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
}
