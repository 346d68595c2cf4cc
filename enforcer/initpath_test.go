package enforcer_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/enforcer"
)

func TestDedicatedInitBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "profilec-init")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/profilec-init").CombinedOutput(); err != nil {
		t.Fatalf("build profilec-init: %v\n%s", err, out)
	}
	defer requireClean(t, "")
	o := run(t, fullPlan(t), []string{busybox, "sh", "-c", "echo $$ $(hostname)"}, enforcer.Options{InitPath: bin})
	if o.err != nil || o.stdout != "1 confined\n" {
		t.Fatalf("Run with profilec-init: %v, %q", o.err, o.stdout)
	}
	// As a lean launcher of compiled plans: the target's status passes
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

	// Started by hand, outside the protocol, it refuses to do anything.
	out, err := exec.Command(bin).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "not for running by hand") {
		t.Errorf("profilec-init by hand: %v %q", err, out)
	}
	// An init path that is not an init stage never gets to run the target.
	o = run(t, fullPlan(t), []string{busybox, "true"}, enforcer.Options{InitPath: "/bin/true"})
	var se *enforcer.StepError
	if !errors.As(o.err, &se) || se.Step != "sync" {
		t.Errorf("Run with /bin/true as init: %+v %v, want a sync step error", o.res, o.err)
	}
}
