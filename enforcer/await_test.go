package enforcer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/cgroups"
	"github.com/profilec/profilec/enforcer/internal/sigfwd"
	"github.com/profilec/profilec/internal/testenv"
)

const awaitChildEnv = "PROFILEC_TEST_AWAIT_CHILD"

// awaitChild is a supervisor whose signal registration stops once the
// lethal signals are caught: with "release" it goes on 200 ms into the
// launch, with "never" it never does; "collecting" is "release" with the
// collector running meanwhile, and no promise that nothing stops the
// world. The registration is once per process, hence a process of its
// own.
func awaitChild(mode string) int {
	// A vfork child holds the launching thread's P until it execs: the
	// registration it waits for needs another.
	runtime.GOMAXPROCS(2)
	release := make(chan struct{})
	sigfwd.HoldQuietForTest(release)
	switch mode {
	case "never":
		enforcer.SetSignalWaitForTest(300 * time.Millisecond)
	case "collecting":
		// A child waiting here would hold up every collection (and so
		// the registration) until it gave up.
		enforcer.SetSignalWaitForTest(2 * time.Second)
		go func() {
			for {
				runtime.GC()
			}
		}()
	}
	marker := os.Getenv(awaitChildEnv + "_MARKER")
	type result struct {
		res enforcer.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := enforcer.Run(context.Background(), fullPlan(&testing.T{}), []string{busybox, "sh", "-c", "echo ran > " + marker}, enforcer.Options{
			Stdout: os.Stdout, Stderr: os.Stderr, ForwardSignals: true, NoStopTheWorld: mode != "collecting", Env: []string{"PATH=/bin:/usr/bin"},
		})
		done <- result{res, err}
	}()
	if mode != "never" {
		time.Sleep(200 * time.Millisecond)
		if _, err := os.Stat(marker); err == nil {
			fmt.Fprintln(os.Stderr, "the target ran before every signal was caught")
			return 101
		}
		if waiting := hasChildNamed("profilec-init"); waiting != (mode == "release") {
			fmt.Fprintf(os.Stderr, "a child waiting: %v, want %v\n", waiting, mode == "release")
			return 102
		}
		close(release)
	}
	r := <-done
	if r.err != nil {
		fmt.Fprintln(os.Stderr, r.err)
		return 100
	}
	return r.res.ExitCode
}

// hasChildNamed says whether this process has a child whose task name
// is name.
func hasChildNamed(name string) bool { return childNamed(os.Getpid(), name) > 0 }

// childNamed is the pid of a child of ppid whose task name is name, or 0.
func childNamed(ppid int, name string) int {
	parent := strconv.Itoa(ppid)
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		j := strings.IndexByte(s, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == parent && s[j+1:i] == name {
			pid, _ := strconv.Atoi(d.Name())
			return pid
		}
	}
	return 0
}

func runAwaitChild(t *testing.T, mode string) (code int, marker, stderr string) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	marker = filepath.Join(t.TempDir(), "ran")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), awaitChildEnv+"="+mode, awaitChildEnv+"_MARKER="+marker)
	var errb strings.Builder
	cmd.Stderr = &errb
	err = cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), marker, errb.String()
}

// The clone waits only for the lethal signals; the child waits for the
// rest before its target runs.
func TestChildWaitsForEverySignalBeforeTheTarget(t *testing.T) { targetRunsOnceCaught(t, "release") }

// Without the promise that nothing stops the world, the clone waits for
// every signal: a child waiting meanwhile would hold up the collections
// running in the background, and they the registration.
func TestCloneWaitsForEverySignalWhenTheWorldMayStop(t *testing.T) {
	targetRunsOnceCaught(t, "collecting")
}

// targetRunsOnceCaught runs awaitChild in mode, which checks who waited
// while the registration was held, and wants the target run after.
func targetRunsOnceCaught(t *testing.T, mode string) {
	defer requireClean(t, "")
	code, marker, stderr := runAwaitChild(t, mode)
	if code != 0 {
		t.Fatalf("supervisor exited %d, want 0: %s", code, stderr)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the target did not run once the signals were caught: %v", err)
	}
}

// A registration that never finishes fails the launch, at "start", with
// the target never run and nothing left behind.
func TestChildGivesUpWhenTheSignalsAreNeverCaught(t *testing.T) {
	defer requireClean(t, "")
	code, marker, stderr := runAwaitChild(t, "never")
	if code != 100 || !strings.Contains(stderr, "start: signal forwarding was not ready after 300ms: the target was not started") {
		t.Fatalf("supervisor exited %d with %q, want 100 and the start step's error", code, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the target ran")
	}
}

const orphanChildEnv = "PROFILEC_TEST_ORPHAN_CHILD"

// orphanChild supervises a launch whose child, before it first arms its
// parent-death signal, waits for a byte on fd 3: the test writes it once
// it has killed this process.
func orphanChild(marker string) int {
	o := enforcer.Options{Stdout: os.Stdout, Stderr: os.Stderr, Env: []string{"PATH=/bin:/usr/bin"}}
	enforcer.HoldChildForTest(&o, 3)
	_, err := enforcer.Run(context.Background(), fullPlan(&testing.T{}), []string{busybox, "sh", "-c", "echo ran > " + marker}, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 100
	}
	return 0
}

// A supervisor killed before its child armed the parent-death signal
// must not leave the child to run the target unsupervised: the child
// finds the supervisor's end of their socketpair hung up.
func TestChildOfAKilledSupervisorNeverRunsTheTarget(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	marker := filepath.Join(t.TempDir(), "ran")
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), orphanChildEnv+"="+marker)
	cmd.ExtraFiles = []*os.File{r}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	// The killed supervisor cannot remove its cgroup: sweep it.
	t.Cleanup(func() { cgroups.Sweep("") })
	var child int
	for deadline := time.Now().Add(10 * time.Second); child == 0; time.Sleep(5 * time.Millisecond) {
		if child = childNamed(cmd.Process.Pid, "profilec-init"); child == 0 && time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("no child within 10s")
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := w.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	// The child ends (a zombie until its new parent reaps it).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child of the killed supervisor still runs: %s", b)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the target ran after its supervisor was killed")
	}
}
