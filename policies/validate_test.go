package policies

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

var x86 = schema.Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}

func load(t *testing.T, path string) *schema.Resolved {
	t.Helper()
	r, err := schema.LoadResolved(path, x86, schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return r
}

// wants reads the `# want: ID [waived] ...` comments of a testdata profile
// as "LINE ID" or "LINE ID waived" strings, one per expected finding.
func wants(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var res []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		_, spec, ok := strings.Cut(sc.Text(), "# want:")
		if !ok {
			continue
		}
		words := strings.Fields(spec)
		for i := 0; i < len(words); i++ {
			w := fmt.Sprintf("%d %s", line, words[i])
			if i+1 < len(words) && words[i+1] == "waived" {
				w += " waived"
				i++
			}
			res = append(res, w)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(res)
	return res
}

// TestProfiles proves each built-in rule fires where it should, at the line
// it should, and that nothing else fires: clean.yaml expects no finding.
func TestProfiles(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d testdata profiles, want at least 12", len(files))
	}
	fired := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := load(t, file)
			var opts Options
			if strings.HasPrefix(filepath.Base(file), "pss-") {
				opts = Options{Sets: []string{"pss-restricted"}, NoBuiltin: true}
			}
			fs, err := Validate(context.Background(), r, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				fired[f.ID] = true
				if f.Pos.File != file {
					t.Errorf("%s at %s, want a position in %s", f.ID, posString(f.Pos), file)
				}
				if f.Pos.Col < 1 {
					t.Errorf("%s at column %d", f.ID, f.Pos.Col)
				}
				if f.Message == "" || f.Source != SourceBuiltin || (f.Severity != SeverityDeny && f.Severity != SeverityWarn) {
					t.Errorf("malformed finding %+v", f)
				}
				if f.Waived != (f.WaiverReason != "") {
					t.Errorf("%s: waived %v with reason %q", f.ID, f.Waived, f.WaiverReason)
				}
				w := fmt.Sprintf("%d %s", f.Pos.Line, f.ID)
				if f.Waived {
					w += " waived"
				}
				got = append(got, w)
			}
			slices.Sort(got)
			if want := wants(t, file); !slices.Equal(got, want) {
				t.Errorf("findings (line id):\n  got  %q\n  want %q", got, want)
			}
		})
	}
	for _, rule := range Rules() {
		if !fired[rule.ID] {
			t.Errorf("no testdata profile makes %s fire", rule.ID)
		}
	}
}

// TestBases: the built-in bases must pass the built-in rules, warnings at
// most, for every architecture they cover and an old kernel too.
func TestBases(t *testing.T) {
	for _, name := range []string{"default", "docker-default"} {
		for _, target := range []schema.Target{x86, {Arch: "SCMP_ARCH_AARCH64", Kernel: "6.1"}, {Arch: "SCMP_ARCH_X86_64", Kernel: "4.4"}} {
			t.Run(name+"/"+target.Arch+"/"+target.Kernel, func(t *testing.T) {
				dir := t.TempDir()
				file := filepath.Join(dir, "p.yaml")
				if err := os.WriteFile(file, []byte("version: 1\nextends: "+name+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				r, err := schema.LoadResolved(file, target, schema.Options{Bases: bases.Get})
				if err != nil {
					t.Fatal(err)
				}
				fs, denied, err := Check(context.Background(), r, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if denied {
					t.Errorf("%s is denied:\n%s", name, text(t, file, fs))
				}
				// Both grant Docker's 14 capabilities without a user
				// namespace, as Docker does.
				if len(byID(fs)["capabilities.no-userns"]) != 1 {
					t.Errorf("%s: capabilities.no-userns did not fire:\n%s", name, text(t, file, fs))
				}
			})
		}
	}
}

func text(t *testing.T, file string, fs []Finding) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, "text", []FileResult{{File: file, Findings: fs}}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		file   string
		denied bool
	}{
		{"clean.yaml", false},
		{"exec-denied.yaml", true},
		{"no-pids-limit.yaml", false}, // a warning only
		{"waived.yaml", false},        // its deny is waived
	} {
		r := load(t, "../testdata/policies/"+c.file)
		_, denied, err := Check(ctx, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if denied != c.denied {
			t.Errorf("%s: denied = %v, want %v", c.file, denied, c.denied)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	ctx := context.Background()
	r := load(t, "../testdata/policies/clean.yaml")
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"unknown set", Options{Sets: []string{"pss-baseline"}}, `unknown policy set "pss-baseline"`},
		{"data without policies", Options{DataFiles: []string{"x.json"}}, "need organisation policies"},
		{"missing policy dir", Options{PolicyDirs: []string{"no/such/dir"}}, "no such file"},
		{"empty policy dir", Options{PolicyDirs: []string{t.TempDir()}}, "no .rego files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Validate(ctx, r, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := Validate(ctx, nil, Options{}); err == nil {
		t.Error("Validate(nil) succeeded")
	}
}

func exceptionFor(id, reason string) schema.PolicyException {
	return schema.PolicyException{ID: id, Reason: reason}
}

// TestHandBuilt: a Resolved built in Go, with no source files and no
// positions, still validates, and its findings point at line 1.
func TestHandBuilt(t *testing.T) {
	r := &schema.Resolved{Target: x86}
	fs, err := Validate(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range fs {
		ids[f.ID] = true
		if f.Pos != (schema.Pos{Line: 1, Col: 1}) {
			t.Errorf("%s at %+v, want line 1 column 1 of no file", f.ID, f.Pos)
		}
	}
	for _, id := range []string{"seccomp.disabled", "cgroups.no-memory-limit", "cgroups.no-pids-limit"} {
		if !ids[id] {
			t.Errorf("%s did not fire on an empty profile: %v", id, ids)
		}
	}
	if Denied(fs) {
		t.Errorf("an empty profile is denied: %+v", fs)
	}
	out := text(t, "built-in-go", fs)
	if !strings.Contains(out, "built-in-go:1:1: warn seccomp.disabled") {
		t.Errorf("text output:\n%s", out)
	}

	// Enabled seccomp with a default action that kills and no rules.
	r.Seccomp = schema.ResolvedSeccomp{Enabled: true, DefaultAction: "SCMP_ACT_KILL_PROCESS"}
	fs, denied, err := Check(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exec := byID(fs)["seccomp.exec-denied"]
	if !denied || len(exec) != 1 || exec[0].Path != "seccomp.defaultAction" {
		t.Errorf("denied %v, findings %+v", denied, fs)
	}
}
