package recorder_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/recorder"
)

const noNotifEnv = "PROFILEC_TEST_RECORD_NO_NOTIF"

// noNotifChild records under a filter that makes seccomp(2) fail with
// ENOSYS, as on a kernel without it: with the notify tracer forced it
// prints the error, with auto the tracer used and what it saw.
func noNotifChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{Tracer: recorder.TracerNotify})
	fmt.Println("notify:", err, errors.Is(err, recorder.ErrNoUserNotification))
	res, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{})
	if err != nil {
		fmt.Println("auto:", err)
		return 0
	}
	fmt.Printf("auto: %s exit %d execve %v\n", res.Tracer, res.ExitCode, res.Recording.Syscalls["execve"] != nil)
	return 0
}

// Where seccomp user notification is unavailable, the notify tracer says
// so rather than run the command unwatched, and auto records through
// ptrace instead.
func TestNoUserNotification(t *testing.T) {
	needBusybox(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prof := filepath.Join(dir, "no-seccomp.yaml")
	doc := "version: 1\nseccomp:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n    - names: [seccomp]\n      action: SCMP_ACT_ERRNO\n      errnoRet: 38\n"
	if err := os.WriteFile(prof, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	p := compile(t, prof)
	t.Setenv(noNotifEnv, "1")
	res, out := confined(t, p, []string{self})
	if res.ExitCode != 0 {
		t.Fatalf("child: exit %d (%s): %s", res.ExitCode, res.Report, out)
	}
	for _, want := range []string{"user-notification", "function not implemented", "--tracer ptrace", "true\n", "auto: ptrace exit 0 execve true"} {
		if !strings.Contains(out, want) {
			t.Errorf("error %q lacks %q", strings.TrimSpace(out), want)
		}
	}
}
