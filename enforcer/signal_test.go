package enforcer_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/cgroups"
	"github.com/profilec/profilec/internal/testenv"
)

const forwardChildEnv = "PROFILEC_TEST_FORWARD_CHILD"

// forwardChild supervises a shell that reports the signals it gets.
func forwardChild() int {
	p := fullPlan(&testing.T{})
	script := `trap 'echo got URG' URG; trap 'echo got USR1' USR1; trap 'echo got TERM; exit 7' TERM
echo ready
while :; do ` + busybox + ` sleep 0.02; done`
	if os.Getenv(forwardChildEnv) == "plain" {
		// No handler at all: as pid 1 the kernel would drop the signal.
		script = `echo ready; exec ` + busybox + ` sleep 1000`
	}
	res, err := enforcer.Run(context.Background(), p, []string{busybox, "sh", "-c", script}, enforcer.Options{
		Stdout: os.Stdout, Stderr: os.Stderr, ForwardSignals: true, Timeout: 20 * time.Second,
		Env: []string{"PATH=/bin:/usr/bin"},
	})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 100
	}
	os.Stderr.WriteString(res.Report + "\n")
	return res.ExitCode
}

func TestSignalsReachTheTarget(t *testing.T) { signalTest(t, "handlers") }

// TestSignalToInitWithoutHandler: pid 1 of a namespace does not get a
// signal it has no handler for, so profilec applies the default action.
func TestSignalToInitWithoutHandler(t *testing.T) { signalTest(t, "plain") }

func signalTest(t *testing.T, variant string) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	defer requireClean(t, "")
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), forwardChildEnv+"="+variant)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A supervisor killed here cannot remove its cgroup: sweep it.
		if cmd.Process.Kill() == nil {
			cmd.Wait()
			cgroups.Sweep("")
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("output ended before %q; stderr: %s", want, stderr.String())
				}
				if l == "got URG" {
					t.Fatal("SIGURG was forwarded to the target")
				}
				if l == want {
					return
				}
			case <-timeout:
				t.Fatalf("no %q within 10s; supervisor stderr: %s", want, stderr.String())
			}
		}
	}
	expect("ready")
	if variant == "plain" {
		// SIGWINCH's default is to ignore: the tree must live on.
		for _, s := range []unix.Signal{unix.SIGWINCH, unix.SIGTERM} {
			if err := cmd.Process.Signal(s); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for range lines {
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+int(unix.SIGTERM) || !strings.Contains(stderr.String(), "no handler") {
			t.Errorf("supervisor ended with %v, want 143 and a report; stderr: %s", err, stderr.String())
		}
		return
	}
	// SIGURG first: the Go runtime's own; it must stay with the supervisor.
	for _, s := range []unix.Signal{unix.SIGURG, unix.SIGUSR1} {
		if err := cmd.Process.Signal(s); err != nil {
			t.Fatal(err)
		}
	}
	expect("got USR1")
	if err := cmd.Process.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("got TERM")
	for l := range lines {
		if l == "got URG" {
			t.Error("SIGURG was forwarded to the target")
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("supervisor ended with %v, want the target's status 7; stderr: %s", err, stderr.String())
	}
}

// The supervisor ignores SIGPIPE while it forwards signals; the target
// must start with it at its default action, as any exec'd program does.
func TestForwardingLeavesTheTargetsSIGPIPEAlone(t *testing.T) {
	defer requireClean(t, "")
	o := run(t, fullPlan(t), []string{busybox, "sh", "-c", "grep SigIgn /proc/self/status"}, enforcer.Options{ForwardSignals: true})
	if o.err != nil {
		t.Fatal(o.err)
	}
	_, hex, ok := strings.Cut(strings.TrimSpace(o.stdout), ":")
	mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
	if !ok || err != nil {
		t.Fatalf("SigIgn line %q", o.stdout)
	}
	if mask&(1<<(unix.SIGPIPE-1)) != 0 {
		t.Errorf("the target ignores SIGPIPE (SigIgn %016x)", mask)
	}
}
