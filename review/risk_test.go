package review

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/regotest"
)

// TestRego runs rego/*_test.rego against the embedded rules, as `opa test
// rego/` would, and wants every line of the rules covered.
func TestRego(t *testing.T) {
	n := 0
	for _, c := range regotest.Run(t, "rego/*.rego", nil) {
		n += c
	}
	if n < 10 {
		t.Errorf("%d Rego tests ran, want at least 10", n)
	}
}

func writeRules(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestOrgRules: organisation rules add risks and override built-in ones.
func TestOrgRules(t *testing.T) {
	dir := writeRules(t, `package profilec.review

# We trace our own children: ptrace is expected here.
override contains {"index": i, "level": "low", "reason": "our debugger needs it"} if {
	some i, c in input.changes
	c.subject == "ptrace"
}

risk contains {"index": i, "level": "medium", "reason": "getpid is watched here"} if {
	some i, c in input.changes
	c.subject == "getpid"
}
`)
	// A conftest policy (v0 syntax, package main) may share the directory.
	if err := os.WriteFile(filepath.Join(dir, "main.rego"), []byte("package main\n\ndeny[msg] { msg := \"x\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := NewRater([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	cs := []Change{
		{Kind: KindSyscallAllowed, Subject: "ptrace"},
		{Kind: KindSyscallAllowed, Subject: "getpid"},
		{Kind: KindSyscallAllowed, Subject: "kexec_load"},
		{Kind: "made.up", Subject: "x"},
	}
	if err := r.Rate(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	want := []struct{ risk, reason string }{
		{RiskLow, "our debugger needs it"},
		{RiskMedium, "getpid is watched here"},
		{RiskHigh, "kexec_load is a known container-escape or kernel attack vector"},
		{RiskInfo, "no risk rule rates this change"},
	}
	for i, w := range want {
		if cs[i].Risk != w.risk || cs[i].Reason != w.reason {
			t.Errorf("change %d (%s): %s %q, want %s %q", i, cs[i].Subject, cs[i].Risk, cs[i].Reason, w.risk, w.reason)
		}
	}
}

func TestOrgRulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		atRate          bool
	}{
		{"other package", "package main\n\ndeny contains \"x\" if false\n", "no package profilec.review", false},
		{"syntax", "package profilec.review\n\nrisk contains {\n", "load risk rules", false},
		{"bad level", `package profilec.review

risk contains {"index": 0, "level": "severe", "reason": "x"} if true
`, `unknown level "severe"`, true},
		{"bad index", `package profilec.review

risk contains {"index": 7, "level": "high", "reason": "x"} if true
`, "no change 7", true},
		{"bad shape", `package profilec.review

override contains "high" if true
`, "want objects", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRater([]string{writeRules(t, tc.src)})
			if !tc.atRate {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("NewRater: %v, want an error with %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = r.Rate(context.Background(), []Change{{Kind: KindNNPDisabled}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Rate: %v, want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := NewRater([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing directory gave no error")
	}
}
