package enforcer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/internal/testenv"
)

const (
	rootlessChildEnv = "PROFILEC_TEST_ROOTLESS_CHILD"
	nobody           = 65534
)

type rootlessCase struct {
	Name    string   `json:"name"`
	Step    string   `json:"step,omitempty"` // StepError.Step, "" when Run succeeded
	Err     string   `json:"err,omitempty"`
	Exit    int      `json:"exit"`
	Stdout  string   `json:"stdout"`
	Skipped []string `json:"skipped,omitempty"`
}

// rootlessChild runs in a copy of the test binary as uid 65534 and prints
// one JSON line per case.
func rootlessChild() int {
	base := func() *plan.Plan {
		return &plan.Plan{
			Version:         plan.Version,
			Namespaces:      plan.Namespaces{PID: true, Mount: true, UTS: true, IPC: true, Net: true, Hostname: "rootless"},
			Capabilities:    plan.Capabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps},
			NoNewPrivileges: true,
		}
	}
	limited := base()
	limited.Cgroup = &plan.Cgroup{PidsMax: i64(32)}
	optional := base()
	optional.Cgroup = &plan.Cgroup{PidsMax: i64(32), Optional: true}
	// A filter without no_new_privs needs CAP_SYS_ADMIN, which nobody
	// has only inside its own user namespace.
	filtered := base()
	filtered.NoNewPrivileges = false
	filtered.Seccomp = filter(&testing.T{}, retAllow, retErrno|uint32(unix.EPERM), unix.SYS_MKDIR, unix.SYS_MKDIRAT)
	script := `echo uid=$(id -u) host=$(hostname) pid=$$; grep -E '^(CapEff|NoNewPrivs):' /proc/self/status; cat /proc/self/uid_map; ` + busybox + ` ip -o link show lo`
	enc := json.NewEncoder(os.Stdout)
	for _, c := range []struct {
		name string
		p    *plan.Plan
	}{{"plain", base()}, {"cgroup", limited}, {"optional", optional}, {"filtered", filtered}} {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := enforcer.Run(ctx, c.p, []string{busybox, "sh", "-c", script}, enforcer.Options{Stdout: &out, Stderr: &out, Env: []string{"PATH=/bin:/usr/bin"}})
		cancel()
		rc := rootlessCase{Name: c.name, Exit: res.ExitCode, Stdout: out.String(), Skipped: res.Skipped}
		var se *enforcer.StepError
		if errors.As(err, &se) {
			rc.Step, rc.Err = se.Step, se.Error()
		} else if err != nil {
			rc.Step, rc.Err = "?", err.Error()
		}
		if err := enc.Encode(rc); err != nil {
			return 1
		}
	}
	return 0
}

func TestRootlessAsNobody(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	dir, bin := testenv.CopySelfForOthers(t, "profilec-rootless-", "enforcer.test")
	defer requireClean(t, bin)

	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{rootlessChildEnv + "=1", "PATH=/bin:/usr/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rootless child: %v\n%s", err, stderr.String())
	}
	got := map[string]rootlessCase{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var rc rootlessCase
		if err := dec.Decode(&rc); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		got[rc.Name] = rc
	}

	plain := got["plain"]
	if plain.Step != "" || plain.Exit != 0 {
		t.Fatalf("plain rootless run: %+v", plain)
	}
	mask, _ := capMask(dockerCaps)
	for _, want := range []string{
		"uid=0 host=rootless pid=1",         // nobody is root inside its own user namespace
		fmt.Sprintf("CapEff:\t%016x", mask), // ...with exactly the profile's capabilities
		"NoNewPrivs:\t1",
		fmt.Sprintf("0 %d 1", nobody), // uid_map: 0 inside is 65534 outside
		"<LOOPBACK,UP",                // the namespace's loopback is up
	} {
		if !strings.Contains(strings.Join(strings.Fields(plain.Stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("rootless output lacks %q:\n%s", want, plain.Stdout)
		}
	}
	t.Logf("cgroup: %s; optional skipped: %q", got["cgroup"].Err, got["optional"].Skipped)
	if c := got["filtered"]; c.Step != "" || !strings.Contains(c.Stdout, "NoNewPrivs:\t0") || !strings.Contains(c.Stdout, "uid=0") {
		t.Errorf("rootless filter without no_new_privs: %+v", c)
	}
	// Without delegation a cgroup limit is a clear error...
	if c := got["cgroup"]; c.Step != "cgroup" || !strings.Contains(c.Err, "permission denied") || c.Stdout != "" {
		t.Errorf("cgroup without delegation: %+v, want a cgroup step error", c)
	}
	// ...or, when optional, skipped and said so.
	if c := got["optional"]; c.Step != "" || len(c.Skipped) == 0 || !strings.Contains(c.Stdout, "uid=0") {
		t.Errorf("optional cgroup: %+v, want a run with the skip reported", c)
	}
}
