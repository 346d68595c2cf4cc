package recorder_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
)

// The ptrace tracer, forced on a host that has user notification, passes
// the tests the notify path passes: the recorded profiles run the pipeline
// and the Go program again under the enforcer, and refuse what was not seen.
func TestPtrace(t *testing.T) {
	t.Run("pipeline", func(t *testing.T) { testPipeline(t, recorder.TracerPtrace) })
	t.Run("unseen", func(t *testing.T) { testUnseenRefused(t, recorder.TracerPtrace) })
	t.Run("goprogram", func(t *testing.T) { testGoProgram(t, recorder.TracerPtrace) })
	t.Run("clone3", func(t *testing.T) {
		if runtime.GOARCH != "amd64" {
			testenv.Skip(t, "refusing clone3 under ptrace is implemented on amd64 only")
		}
		testClone3(t, recorder.TracerPtrace)
	})
	t.Run("i386", func(t *testing.T) { testTwoArches(t, recorder.TracerPtrace) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, recorder.TracerPtrace) })
	t.Run("execthread", func(t *testing.T) {
		// An execve from a thread that is not the leader, with the
		// other threads running: the tracer follows the pid change.
		prog := testProg(t)
		for _, tr := range []recorder.Tracer{recorder.TracerNotify, recorder.TracerPtrace} {
			rec, out := record(t, []string{prog, "execthread"}, recorder.Options{Tracer: tr})
			if out != "exec'd\n" {
				t.Errorf("%s: printed %q", tr, out)
			}
			if n := rec.Syscalls["execve"].Count; n != 2 {
				t.Errorf("%s: execve seen %d times, want 2", tr, n)
			}
			if rec.Syscalls["write"] == nil {
				t.Errorf("%s: echo's write after the exec not recorded", tr)
			}
		}
	})
}

// Both tracers see the same calls of a deterministic single-process
// command, the execve that starts it included, each exactly once.
func TestPtraceAgreesWithNotify(t *testing.T) {
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
	if err != nil || res.Tracer != recorder.TracerNotify {
		t.Errorf("auto on a host with user notification: %v, %+v; want notify", err, res)
	}

	_, err = recorder.Record(ctx, []string{"/nonexistent/cmd"}, recorder.Options{Tracer: recorder.TracerPtrace})
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
	if _, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{Tracer: "strace"}); err == nil {
		t.Error("no error for an unknown tracer")
	}
}
