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

// noNotifChild records under a filter the parent test chose (seccomp(2)
// or ptrace(2) refused): it prints what the notify and ptrace tracers,
// forced, say, and what auto used and saw.
func noNotifChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if os.Getenv(noNotifEnv) == "notify-first" {
		recorder.ForceNotifyFirst()
	}
	for _, tr := range []recorder.Tracer{recorder.TracerNotify, recorder.TracerPtrace, recorder.TracerAuto} {
		res, err := recorder.Record(ctx, []string{busybox, "true"}, recorder.Options{Tracer: tr})
		if err != nil {
			fmt.Printf("%s: %v (no notify: %v)\n", tr, err, errors.Is(err, recorder.ErrNoUserNotification))
			continue
		}
		fmt.Printf("%s: %s stops=%v exit %d execve %v fallback=%q\n", tr, res.Tracer, res.SyscallStops, res.ExitCode, res.Recording.Syscalls["execve"] != nil, res.Fallback)
	}
	return 0
}

// Where seccomp filters are refused (here by a profile that answers
// seccomp(2) ENOSYS, as a kernel without it would), the notify tracer says
// so rather than run the command unwatched, and ptrace records through
// syscall stops and says so. Where ptrace is refused, auto records through
// user notification and says so.
func TestWithoutSeccompOrPtrace(t *testing.T) {
	needBusybox(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		syscall string
		errno   int
		want    []string
		env     string
	}{
		{"seccomp", 38, []string{
			"notify: record: install seccomp filter with a user-notification listener: function not implemented",
			"--tracer ptrace", "(no notify: true)",
			`ptrace: ptrace stops=true exit 0 execve true fallback="install seccomp filter for the ptrace tracer: function not implemented; recorded through ptrace syscall stops, two per call"`,
			`auto: ptrace stops=true exit 0 execve true fallback="install seccomp filter for the ptrace tracer: function not implemented; recorded through ptrace syscall stops, two per call"`,
		}, "1"},
		// As on an architecture where ptrace cannot answer clone3: auto
		// tries notify first, then ptrace.
		{"seccomp", 38, []string{
			`auto: ptrace stops=true exit 0 execve true fallback="install seccomp filter with a user-notification listener: function not implemented (needs Linux 5.5+ with seccomp user notification; --tracer ptrace records without it); recorded through ptrace; install seccomp filter for the ptrace tracer: function not implemented; recorded through ptrace syscall stops, two per call"`,
		}, "notify-first"},
		{"ptrace", 1, []string{
			"notify: notify stops=false exit 0 execve true fallback=\"\"",
			"ptrace: record: start under ptrace: fork/exec /proc/self/exe: operation not permitted: ptrace is refused",
			`auto: notify stops=false exit 0 execve true fallback="start under ptrace: fork/exec /proc/self/exe: operation not permitted; recorded through seccomp user notification, where a signal can interrupt`,
		}, "1"},
		{"ptrace", 38, []string{
			"ptrace: record: start under ptrace: fork/exec /proc/self/exe: function not implemented: ptrace is refused",
			`auto: notify stops=false exit 0 execve true fallback="start under ptrace: fork/exec /proc/self/exe: function not implemented; recorded through seccomp user notification`,
		}, "1"},
	} {
		t.Run(fmt.Sprint(c.syscall, "-", c.errno, "-", c.env), func(t *testing.T) {
			prof := filepath.Join(t.TempDir(), "no.yaml")
			doc := fmt.Sprintf("version: 1\nseccomp:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n    - names: [%s]\n      action: SCMP_ACT_ERRNO\n      errnoRet: %d\n", c.syscall, c.errno)
			if err := os.WriteFile(prof, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			p := compile(t, prof)
			t.Setenv(noNotifEnv, c.env)
			res, out := confined(t, p, []string{self})
			if res.ExitCode != 0 {
				t.Fatalf("child: exit %d (%s): %s", res.ExitCode, res.Report, out)
			}
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
