package enforcer_test

import (
	"errors"
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
