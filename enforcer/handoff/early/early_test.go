package early_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/internal/testenv"
)

// build installs profilec into a new directory, as a release (or go build
// -o DIR) does.
func build(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/profilec")
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

// exec of a plan file runs from package early's init, before the CLI's
// packages initialise, and says and exits exactly what the CLI's own exec
// path does; whatever it would not take as the CLI does goes on to the
// CLI.
func TestEarlyLaunchMatchesTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bin := build(t)
	cliPath := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), handoff.EnvOff+"=1")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return o.String(), e.String(), code
	}
	dir := t.TempDir()
	planFile := filepath.Join(dir, "p.plan.json")
	planJSON, _, code := run(t, bin, "compile", "docker-default", "--no-policy")
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
		o1, e1, c1 := run(t, bin, args...)
		o2, e2, c2 := cliPath(args...)
		if o1 != o2 || e1 != e2 || c1 != c2 {
			t.Errorf("%q: early: exit %d, %q %q; the CLI's path: exit %d, %q %q", args, c1, o1, e1, c2, o2, e2)
		}
	}

	testenv.RequireRoot(t)
	// The plan makes no pid namespace, so the target's parent is the
	// supervisor: profilec itself on both paths. What differs is how much
	// of the CLI initialised first: the early path starts before the
	// policy engine, whose packages then never initialise.
	for _, early := range []bool{true, false} {
		args := []string{"exec", planFile, "--stats", "--", "/bin/sh", "-c", "cat /proc/$PPID/comm; exit 7"}
		o, e, c := cliPath(args...)
		if early {
			o, e, c = run(t, bin, args...)
		}
		if c != 7 || strings.TrimSpace(o) != "profilec" || !strings.HasPrefix(e, "profilec: stats: ") {
			t.Errorf("early %v: exit %d, stdout %q, stderr %q; want exit 7, supervisor profilec, profilec: stats", early, c, o, e)
		}
	}
}

// The early launch is only early if Go can initialise this package, and
// everything it imports, before the CLI's heavy dependencies: packages
// initialise in import-path order among those whose imports are done,
// so one import that sorts late (or waits on one that does: strings
// waits on unicode, then on every github.com/... package ready by then)
// puts the launch behind the policy engine. Both the imports and the
// resulting order are checked.
func TestLaunchImportsInitialiseEarly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/profilec/profilec/enforcer/handoff/early").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "strings", "golang.org/x/sys/unix", "path/filepath", "encoding/json", "flag", "runtime/debug", "regexp", "os/exec", "sort",
			"fmt", "reflect", "unicode", "bytes":
			t.Errorf("the early launch imports %s, which initialises late in the CLI: use internal/text (Wrap, D, Q and strings' functions), strconv, internal/sys, path or lean.Decode", dep)
		}
	}
	if testing.Short() {
		return
	}
	bin := build(t)
	dir := t.TempDir()
	planJSON, _, code := run(t, bin, "compile", "docker-default", "--no-policy")
	planFile := filepath.Join(dir, "p.plan.json")
	if code != 0 || os.WriteFile(planFile, []byte(planJSON), 0o644) != nil {
		t.Fatalf("compile: exit %d", code)
	}
	testenv.RequireRoot(t)
	cmd := exec.Command(bin, "exec", planFile, "--", "/bin/true")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	trace, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, trace)
	}
	var inits []string
	for _, line := range strings.Split(string(trace), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			inits = append(inits, f[1])
		}
	}
	// Early's own line never prints: its init exits. 24 packages came
	// first when this was written.
	if len(inits) > 40 || len(inits) == 0 {
		t.Errorf("%d packages initialised before the launch, want 1-40:\n%s", len(inits), strings.Join(inits, "\n"))
	}
	for _, pkg := range inits {
		switch pkg {
		case "github.com/open-policy-agent/opa/v1/ast", "github.com/profilec/profilec/schema", "google.golang.org/protobuf/proto":
			t.Errorf("%s initialised before the launch", pkg)
		}
	}
	// The launch comes before reflect, unicode and the packages that wait
	// for them (protobuf's detrand reads the binary, database/sql/driver,
	// specs-go, ...).
	for _, pkg := range []string{"reflect", "unicode"} {
		if slices.Contains(inits, pkg) {
			t.Errorf("%s initialised before the launch:\n%s", pkg, strings.Join(inits, "\n"))
		}
	}
}
