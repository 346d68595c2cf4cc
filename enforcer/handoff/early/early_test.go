package early_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

// build installs profilec, and with lean profilec-init beside it, into a
// new directory, as a release (or go build -o DIR) does.
func build(t *testing.T, lean bool) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := t.TempDir()
	pkgs := []string{"./cmd/profilec"}
	if lean {
		pkgs = append(pkgs, "./enforcer/cmd/profilec-init")
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	return filepath.Join(dir, "profilec")
}

func run(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	return o.String(), e.String(), code
}

// With profilec-init installed, exec of a plan file runs in it, and says
// and exits exactly what the CLI alone does; whatever it would not take as
// the CLI does goes back to the CLI.
func TestHandoffMatchesTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	withLean, alone := build(t, true), build(t, false)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "p.plan.json")
	planJSON, _, code := run(t, alone, "compile", "docker-default", "--no-policy")
	if code != 0 {
		t.Fatalf("compile: exit %d", code)
	}
	if err := os.WriteFile(planFile, []byte(planJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	notPlan := filepath.Join(dir, "not-a-plan.json")
	if err := os.WriteFile(notPlan, []byte(`{"version": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	oldPlan := filepath.Join(dir, "old.plan.json")
	old := strings.Replace(planJSON, `"version": 1`, `"version": 0`, 1)
	if old == planJSON {
		t.Fatalf("no version 1 in the compiled plan: %.80s", planJSON)
	}
	if err := os.WriteFile(oldPlan, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"exec", planFile, "--timeout", "-1s", "--", "true"},
		{"exec", planFile, "--timeout=soon", "--", "true"},
		{"exec", notPlan, "--", "true"},
		{"exec", oldPlan, "--", "true"},
		{"exec", filepath.Join(dir, "missing.json"), "--", "true"},
	} {
		o1, e1, c1 := run(t, withLean, args...)
		o2, e2, c2 := run(t, alone, args...)
		if o1 != o2 || e1 != e2 || c1 != c2 {
			t.Errorf("%q: with profilec-init: exit %d, %q %q; the CLI alone: exit %d, %q %q", args, c1, o1, e1, c2, o2, e2)
		}
	}

	testenv.RequireRoot(t)
	// The plan makes no pid namespace, so the target's parent is the
	// supervisor: profilec-init after the handoff.
	for _, bin := range []string{withLean, alone} {
		o, e, c := run(t, bin, "exec", planFile, "--stats", "--", "/bin/sh", "-c", "cat /proc/$PPID/comm; exit 7")
		want := "profilec"
		if bin == withLean {
			want = "profilec-init"
		}
		if c != 7 || strings.TrimSpace(o) != want || !strings.HasPrefix(e, "profilec: stats: ") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 7, supervisor %s, profilec: stats", bin, c, o, e, want)
		}
	}
}
