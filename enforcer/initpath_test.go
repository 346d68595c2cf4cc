package enforcer_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

func TestLeanLauncher(t *testing.T) {
	testenv.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "profilec-init")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/profilec-init").CombinedOutput(); err != nil {
		t.Fatalf("build profilec-init: %v\n%s", err, out)
	}
	defer requireClean(t, "")
	// A lean launcher of compiled plans: the target's status passes
	// through, a confinement failure is 3 and names the step.
	p := fullPlan(t)
	p.ProfileDigest = "sha256:test"
	planFile := filepath.Join(t.TempDir(), "p.plan.json")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"exec", planFile, "--", busybox, "sh", "-c", "echo $$ $(hostname); exit 4"}, 4, "1 confined\n", ""},
		{[]string{"exec", "--timeout", "100ms", planFile, "--", busybox, "sleep", "10"}, 137, "", "timed out"},
		{[]string{"exec", planFile, "--", "/nonexistent/cmd"}, 3, "", "resolve: "},
		{[]string{"exec", planFile, busybox, "true"}, 2, "", "usage"},
	} {
		cmd := exec.Command(bin, tc.argv...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || stdout.String() != tc.stdout || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("profilec-init %q: exit %d, stdout %q, stderr %q; want %d %q %q", tc.argv, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
	}

	// Without exec it only says what it is for.
	out, err := exec.Command(bin).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage") {
		t.Errorf("profilec-init by hand: %v %q", err, out)
	}
}
