package recorder_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
	"github.com/profilec/profilec/schema"
)

const busybox = "/bin/busybox"

func needBusybox(t *testing.T) {
	t.Helper()
	testenv.RequireFile(t, busybox)
}

// record runs argv under the recorder and returns the recording and what
// the command printed.
//
// Under TracerNotify a signal that reaches a thread before the recorder
// has received its notification makes the syscall fail with EINTR where it
// would not have otherwise (docs/record.md, limits): busybox sh then
// reports "can't fork: Interrupted system call", and may hang waiting for
// a pipeline it never finished starting (a close that failed so left a
// pipe's write end open). On a loaded machine that happens now and then,
// so a notify run failing either way is retried. The ptrace tracer has no
// such window and is never retried.
func record(t *testing.T, argv []string, o recorder.Options) (*recorder.Recording, string) {
	t.Helper()
	base := o.Recording
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		var out bytes.Buffer
		o.Stdout, o.Stderr = &out, &out
		if base != nil {
			// Each attempt starts from the caller's recording as it was.
			o.Recording = recorder.NewRecording()
			o.Recording.Merge(base)
		}
		res, err := recorder.Record(ctx, argv, o)
		cancel()
		if err == nil && res.ExitCode == 0 {
			if base != nil {
				*base = *res.Recording
				return base, out.String()
			}
			return res.Recording, out.String()
		}
		eintr := strings.Contains(out.String(), "Interrupted system call") || errors.Is(err, context.DeadlineExceeded)
		if o.Tracer == recorder.TracerNotify && eintr && attempt < 3 {
			t.Logf("record %q: attempt %d hit the EINTR window (%v, %s); retrying", argv, attempt, err, strings.TrimSpace(out.String()))
			continue
		}
		if err != nil {
			t.Fatalf("record %q: %v; output:\n%s", argv, err, out.String())
		}
		t.Fatalf("record %q: exit status %d; output:\n%s", argv, res.ExitCode, out.String())
	}
}

// writeProfile renders rec into dir/name and returns the path.
func writeProfile(t *testing.T, dir, name string, rec *recorder.Recording, o recorder.WriteOptions) string {
	t.Helper()
	data, err := rec.Profile(o)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// compile loads, resolves and compiles a profile file as exec would.
func compile(t *testing.T, path string) *plan.Plan {
	t.Helper()
	tgt, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	r, err := schema.LoadResolved(path, tgt, schema.Options{})
	if err != nil {
		data, _ := os.ReadFile(path)
		t.Fatalf("load recorded profile: %v\n%s", err, data)
	}
	p, err := compiler.Compile(r, compiler.Options{})
	if err != nil {
		t.Fatalf("compile recorded profile: %v", err)
	}
	return p
}

// confined runs argv under p with the enforcer and returns how it ended
// and what it printed.
func confined(t *testing.T, p *plan.Plan, argv []string) (enforcer.Result, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	res, err := enforcer.Run(ctx, p, argv, enforcer.Options{Stdout: &out, Stderr: &out, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("exec %q under the recorded profile: %v", argv, err)
	}
	return res, out.String()
}

var (
	progMu    sync.Mutex
	progPaths = map[string]string{}
	progDir   string
)

// testProg builds testdata/recorder/prog as a static binary once per run.
func testProg(t *testing.T) string { return testProgArch(t, runtime.GOARCH) }

// testProgArch builds it for goarch ("386" gives an i386 binary).
func testProgArch(t *testing.T, goarch string) string {
	t.Helper()
	testenv.RequireCommand(t, "go")
	progMu.Lock()
	defer progMu.Unlock()
	if p, ok := progPaths[goarch]; ok {
		return p
	}
	if progDir == "" {
		dir, err := os.MkdirTemp("", "recorder-prog-")
		if err != nil {
			t.Fatal(err)
		}
		progDir = dir
		src, err := os.ReadFile("../testdata/recorder/prog/main.go")
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"main.go": src, "go.mod": []byte("module prog\n\ngo 1.26\n")} {
			if err := os.WriteFile(filepath.Join(progDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := filepath.Join(progDir, "prog-"+goarch)
	cmd := exec.Command("go", "build", "-o", p, ".")
	cmd.Dir = progDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build test program: %v\n%s", err, out)
	}
	progPaths[goarch] = p
	return p
}
