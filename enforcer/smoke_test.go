package enforcer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
)

func TestSmoke(t *testing.T) {
	p := &plan.Plan{Version: 1, Namespaces: plan.Namespaces{PID: true, Mount: true, UTS: true, Hostname: "boxy"},
		Capabilities: plan.Capabilities{Bounding: []string{"CAP_CHOWN"}, Effective: []string{"CAP_CHOWN"}, Permitted: []string{"CAP_CHOWN"}}, NoNewPrivileges: true}
	var out, errb bytes.Buffer
	res, err := enforcer.Run(context.Background(), p, []string{"/bin/busybox", "sh", "-c", "hostname; echo $$; grep -E 'CapEff|CapBnd|NoNewPrivs|Seccomp' /proc/self/status; exit 7"}, enforcer.Options{Stdout: &out, Stderr: &errb})
	t.Logf("res=%+v err=%v\n%s\n%s", res, err, out.String(), errb.String())
}
