package recorder_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
)

// The tests named for what they check run with auto, which is ptrace with
// its seccomp filter here. The other two ways of recording pass them too:
// user notification, and ptrace's syscall stops (where no filter can be
// installed): the recorded profiles run the pipeline and the Go program
// again under the enforcer, and refuse what was not seen.
func TestNotify(t *testing.T) { testTracer(t, recorder.TracerNotify) }

func TestSyscallStops(t *testing.T) {
	recorder.SetSyscallStops(t)
	testTracer(t, recorder.TracerPtrace)
}

func testTracer(t *testing.T, tr recorder.Tracer) {
	t.Run("pipeline", func(t *testing.T) { testPipeline(t, tr) })
	t.Run("unseen", func(t *testing.T) { testUnseenRefused(t, tr) })
	t.Run("goprogram", func(t *testing.T) { testGoProgram(t, tr) })
	t.Run("clone3", func(t *testing.T) {
		if runtime.GOARCH != "amd64" && tr == recorder.TracerPtrace {
			testenv.Skip(t, "refusing clone3 under ptrace is implemented on amd64 only")
		}
		testClone3(t, tr)
	})
	t.Run("i386", func(t *testing.T) { testTwoArches(t, tr) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, tr) })
	t.Run("execthread", func(t *testing.T) { testExecThread(t, tr) })
}

// An execve from a thread that is not the leader, with the other threads
// running: the tracer follows the pid change.
func TestExecFromThread(t *testing.T) { testExecThread(t, "") }

func testExecThread(t *testing.T, tr recorder.Tracer) {
	prog := testProg(t)
	rec, out := record(t, []string{prog, "execthread"}, recorder.Options{Tracer: tr})
	if out != "exec'd\n" {
		t.Errorf("printed %q", out)
	}
	if n := rec.Syscalls["execve"].Count; n != 2 {
		t.Errorf("execve seen %d times, want 2", n)
	}
	if rec.Syscalls["write"] == nil {
		t.Error("echo's write after the exec not recorded")
	}
}

// A signal that arrives while profilec holds a call changes nothing of the
// call under ptrace: the tracee is in a ptrace stop, the signal stays
// pending, and the call runs when resumed. busybox sh's handlers lack
// SA_RESTART, so a fork or close cut short by the signal would fail with
// EINTR and break the pipeline (which is what user notification does when
// the signal comes before profilec has received the notification).
func TestSignalAtAStopChangesNothing(t *testing.T) {
	needBusybox(t)
	var sent, shell, odd int
	recorder.SetSeccompStopHook(t, func(pid int, name string) {
		if shell == 0 {
			shell = pid // its execve comes first
		}
		if pid != shell {
			// Subshells reset the trap, and tr and wc never set it:
			// SIGUSR1 would kill them.
			return
		}
		switch name {
		case "clone", "fork", "vfork", "close", "dup2", "pipe2", "pipe":
			// Every other call only: a fork with a signal pending is
			// restarted after the handler, and stops again.
			if odd++; odd%2 == 1 && syscall.Kill(pid, syscall.SIGUSR1) == nil {
				sent++
			}
		}
	})
	// The trap's handler counts the signals (a subshell's own count is
	// lost); the pipeline's output must be unaffected.
	script := "n=0; trap 'n=$((n+1))' USR1; echo hi | /bin/busybox tr a-z A-Z | /bin/busybox wc -c; echo handled $n"
	rec, out := record(t, []string{busybox, "sh", "-c", script}, recorder.Options{Tracer: recorder.TracerPtrace})
	lines := strings.Fields(out)
	if len(lines) != 3 || lines[0] != "3" || lines[1] != "handled" {
		t.Fatalf("printed %q, want 3 and the count of signals handled", out)
	}
	if handled, _ := strconv.Atoi(lines[2]); handled == 0 || sent < 5 {
		t.Errorf("%d signals sent at stops, %d handled by the shell; want at least 5 sent and some handled", sent, handled)
	} else {
		t.Logf("%d signals sent at stops, %d handled by the shell", sent, handled)
	}
	if rec.Syscalls["clone"] == nil || rec.Syscalls["close"] == nil {
		t.Error("clone or close not recorded")
	}
}

// All three ways of recording see the same calls of a deterministic
// single-process command, the execve that starts it included, each exactly
// once.
func TestTracersAgree(t *testing.T) {
	needBusybox(t)
	for _, argv := range [][]string{
		{busybox, "true"},
		{busybox, "echo", "hi"},
		{busybox, "ls", "-l", "/usr/include"},
	} {
		t.Run(filepath.Base(argv[1]), func(t *testing.T) {
			counts := func(tr recorder.Tracer) map[string]uint64 {
				rec, _ := record(t, argv, recorder.Options{Tracer: tr})
				m := map[string]uint64{}
				for name, s := range rec.Syscalls {
					m[name] = s.Count
				}
				return m
			}
			notify, ptrace := counts(recorder.TracerNotify), counts(recorder.TracerPtrace)
			t.Run("stops", func(t *testing.T) {
				recorder.SetSyscallStops(t)
				stops := counts(recorder.TracerPtrace)
				if d := cmp.Diff(notify, stops); d != "" {
					t.Errorf("counts, notify vs ptrace syscall stops (-notify +stops):\n%s", d)
				}
			})
			if d := cmp.Diff(slices.Sorted(maps.Keys(notify)), slices.Sorted(maps.Keys(ptrace))); d != "" {
				t.Errorf("syscall names, notify vs ptrace (-notify +ptrace):\n%s", d)
			}
			if d := cmp.Diff(notify, ptrace); d != "" {
				t.Errorf("counts, notify vs ptrace (-notify +ptrace):\n%s", d)
			}
		})
	}
}

func TestPtraceResult(t *testing.T) {
	needBusybox(t)
	ctx := context.Background()
	res, err := recorder.Record(ctx, []string{busybox, "sh", "-c", "exit 7"}, recorder.Options{Tracer: recorder.TracerPtrace})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 || res.Tracer != recorder.TracerPtrace {
		t.Errorf("exit %d, tracer %q; want 7, ptrace", res.ExitCode, res.Tracer)
	}
	res, err = recorder.Record(ctx, []string{busybox, "sh", "-c", "kill -9 $$"}, recorder.Options{Tracer: recorder.TracerPtrace})
	if err != nil || res.ExitCode != 128+9 {
		t.Errorf("killed by SIGKILL: %v, %+v; want exit 137", err, res)
	}
	// A signal the program handles reaches it through the tracer.
	res, err = recorder.Record(ctx, []string{busybox, "sh", "-c", "trap 'exit 3' USR1; kill -USR1 $$; exit 4"}, recorder.Options{Tracer: recorder.TracerPtrace})
	if err != nil || res.ExitCode != 3 {
		t.Errorf("trapped SIGUSR1: %v, %+v; want exit 3", err, res)
	}
	// A stop signal goes through (its signal-delivery stop), and the
	// group-stop that follows is resumed (docs/record.md): the shell goes
	// on where, untraced, it would wait for a SIGCONT.
	var out bytes.Buffer
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	res, err = recorder.Record(tctx, []string{busybox, "sh", "-c", "kill -STOP $$; echo after"}, recorder.Options{Tracer: recorder.TracerPtrace, Stdout: &out})
	cancel()
	if err != nil || res.ExitCode != 0 || out.String() != "after\n" {
		t.Errorf("SIGSTOP under ptrace: %v, %+v, %q; want exit 0, after", err, res, out.String())
	}
	res, err = recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{})
	if err != nil || res.Tracer != recorder.TracerPtrace || res.SyscallStops || res.Fallback != "" {
		t.Errorf("auto on a host with seccomp and ptrace: %v, %+v; want ptrace with its filter", err, res)
	}

	t.Run("notify-first", func(t *testing.T) {
		recorder.SetPtraceCannotRefuseClone3(t)
		res, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{})
		if err != nil || res.Tracer != recorder.TracerNotify || res.Fallback != "" {
			t.Errorf("auto where ptrace cannot refuse clone3: %v, %+v; want notify", err, res)
		}
	})
	for _, stops := range []bool{false, true} {
		t.Run(fmt.Sprint("stops=", stops), func(t *testing.T) {
			if stops {
				recorder.SetSyscallStops(t)
				res, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{})
				if err != nil || res.Tracer != recorder.TracerPtrace || !res.SyscallStops {
					t.Errorf("auto forced to syscall stops: %v, %+v", err, res)
				}
			}
			_, err := recorder.Record(ctx, []string{"/nonexistent/cmd"}, recorder.Options{Tracer: recorder.TracerPtrace})
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("nonexistent command: got %v", err)
			}
			_, err = recorder.Record(ctx, []string{"no-such-cmd-here"}, recorder.Options{Tracer: recorder.TracerPtrace, Env: []string{"PATH=/bin"}})
			if err == nil {
				t.Error("no error for a command not in PATH")
			}
			junk := filepath.Join(t.TempDir(), "junk")
			if err := os.WriteFile(junk, []byte{0, 1, 2, 3}, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err = recorder.Record(ctx, []string{junk}, recorder.Options{Tracer: recorder.TracerPtrace}); !errors.Is(err, syscall.ENOEXEC) {
				t.Errorf("got %v, want ENOEXEC", err)
			}
			if stops {
				return
			}
			// Under the filter the init stage resolves nothing: an init
			// binary that does not run it is named.
			_, err = recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{Tracer: recorder.TracerPtrace, InitPath: busybox})
			if err == nil || !strings.Contains(err.Error(), "recorder.Main") {
				t.Errorf("got %v, want an error about the init stage", err)
			}
		})
	}
	if _, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{Tracer: "strace"}); err == nil {
		t.Error("no error for an unknown tracer")
	}
}
