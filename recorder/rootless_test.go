package recorder_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
)

const (
	rootlessEnv = "PROFILEC_TEST_RECORD_ROOTLESS"
	nobody      = 65534
)

// rootlessChild runs in a copy of the test binary as nobody: it records a
// pipeline and prints what the pipeline printed, then the profile.
func rootlessChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	tr, stops := strings.CutSuffix(os.Getenv(rootlessEnv), "-stops")
	if stops {
		recorder.ForceSyscallStops()
	}
	res, err := recorder.Record(ctx, []string{busybox, "sh", "-c", "/bin/busybox id -u; echo hi | /bin/busybox wc -c"}, recorder.Options{Stdout: &out, Stderr: &out, Tracer: recorder.Tracer(tr)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	data, err := res.Recording.Profile(recorder.WriteOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if res.SyscallStops {
		res.Tracer += "-stops"
	}
	fmt.Printf("%s%s\n---\n%s", out.Bytes(), res.Tracer, data)
	return res.ExitCode
}

// Recording needs no privilege: no_new_privs makes either filter
// installable, the supervisor, the target's parent, may take the listener,
// and a process may ptrace its own children.
func TestRecordAsNobody(t *testing.T) {
	for _, tr := range []recorder.Tracer{recorder.TracerNotify, recorder.TracerPtrace, recorder.TracerPtrace + "-stops"} {
		t.Run(string(tr), func(t *testing.T) { testRecordAsNobody(t, tr) })
	}
}

func testRecordAsNobody(t *testing.T, tr recorder.Tracer) {
	testenv.RequireRoot(t)
	needBusybox(t)
	dir, bin := testenv.CopySelfForOthers(t, "recorder-rootless-", "recorder.test")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{rootlessEnv + "=" + string(tr), "PATH=/bin:/usr/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("record as nobody: %v\n%s", err, stderr.String())
	}
	printed, profile, ok := strings.Cut(string(out), "---\n")
	if f := strings.Fields(printed); !ok || len(f) != 3 || f[0] != fmt.Sprint(nobody) || f[1] != "3" || f[2] != string(tr) {
		t.Fatalf("output as nobody: %q", out)
	}
	for _, want := range []string{"names: [execve]", "names: [getuid]", "names: [wait4]"} {
		if !strings.Contains(profile, want) {
			t.Errorf("profile recorded as nobody lacks %q:\n%s", want, profile)
		}
	}
}
