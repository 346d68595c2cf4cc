package enforcer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/profilec/profilec/internal/testenv"
)

func TestAuditRecordReport(t *testing.T) {
	rec := `6,1234,795065414,-;audit: type=1326 audit(1795921811.191:2): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=17951 comm="mkdir" exe="/usr/bin/busybox" sig=31 arch=c000003e syscall=83 compat=0 ip=0x47b567 code=0x80000000`
	f := auditFields(rec)
	if f["syscall"] != "83" || f["arch"] != "c000003e" || f["comm"] != "mkdir" || f["pid"] != "17951" {
		t.Errorf("fields %v", f)
	}
	for _, tc := range []struct {
		arch uint64
		nr   int64
		want string
	}{
		{0xc000003e, 83, "mkdir (83) on x86_64"},
		{0xc000003e, 0x40000000 | 39, "getpid (1073741863) on x32"},
		{0x40000003, 20, "getpid (20) on x86"},
		{0xc000003e, 4000, "4000 on x86_64"},
		{0xc00000b7, 34, "34 on aarch64"},
		{0x12345678, 1, "1 on audit arch 0x12345678"},
	} {
		if got := syscallName(tc.arch, tc.nr); got != tc.want {
			t.Errorf("syscallName(%#x, %d) = %q, want %q", tc.arch, tc.nr, got, tc.want)
		}
	}
	// No readable kernel log: the report says what it does not know.
	if got := seccompReport(nil, 1); !strings.Contains(got, "not known") {
		t.Errorf("report without a log: %q", got)
	}
}

func TestNameTables(t *testing.T) {
	if _, err := capMask([]string{"CAP_CHOWN", "cap_sys_admin"}); err != nil {
		t.Errorf("capMask: %v", err)
	}
	if _, err := capMask([]string{"CAP_CHOWNN"}); err == nil {
		t.Error("capMask accepted a misspelling")
	}
	for _, n := range []string{"nofile", "RLIMIT_NOFILE", "as", "rttime"} {
		if _, err := rlimitResource(n); err != nil {
			t.Errorf("rlimit %s: %v", n, err)
		}
	}
	if _, err := rlimitResource("files"); err == nil {
		t.Error("rlimitResource accepted an unknown name")
	}
	if f, err := seccompFlags([]string{"SECCOMP_FILTER_FLAG_LOG", "spec_allow"}); err != nil || f != 1<<1|1<<2 {
		t.Errorf("seccompFlags = %#x, %v", f, err)
	}
	for _, bad := range []string{"SECCOMP_FILTER_FLAG_TSYNC", "NEW_LISTENER", "BOGUS"} {
		if _, err := seccompFlags([]string{bad}); err == nil {
			t.Errorf("seccompFlags accepted %s", bad)
		}
	}
}

func TestStepErrorFormat(t *testing.T) {
	cause := errors.New("operation not permitted")
	err := error(&StepError{Step: "mount-proc", Err: cause})
	if err.Error() != "mount-proc: operation not permitted" || !errors.Is(err, cause) {
		t.Errorf("%q", err)
	}
}

func TestHandles(t *testing.T) {
	// This test process: the Go runtime catches SIGURG (preemption), and
	// signal.Ignore makes it ignore SIGWINCH.
	signal.Ignore(syscall.SIGWINCH)
	defer signal.Reset(syscall.SIGWINCH)
	if !handles(os.Getpid(), syscall.SIGURG) || !handles(os.Getpid(), syscall.SIGWINCH) {
		t.Error("handles misses a caught or ignored signal")
	}
	// A process that installed nothing: /bin/sleep.
	cmd := exec.Command(testenv.RequireCommand(t, "sleep"), "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(50 * time.Millisecond) // let it finish exec
	if handles(cmd.Process.Pid, syscall.SIGTERM) {
		t.Error("sleep handles SIGTERM?")
	}
	if !handles(1<<30, syscall.SIGTERM) {
		t.Error("an unreadable status must count as handled")
	}
	for s, want := range map[syscall.Signal]bool{syscall.SIGINT: true, syscall.SIGQUIT: true, syscall.SIGWINCH: false, syscall.SIGURG: false} {
		if terminatesByDefault(s) != want {
			t.Errorf("terminatesByDefault(%v) != %v", s, want)
		}
	}
}

// waitExit learns how a child ended and leaves it a zombie, through a
// pidfd and through the blocking fallback alike.
func TestWaitExitLeavesAZombie(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		noPidfd = fallback
		cmd := exec.Command("/bin/sh", "-c", "sleep 0.05; exit 3")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ei := waitExit(cmd.Process.Pid)
		if ei.err != nil || ei.info.Code != cldExited || ei.info.Status != 3 || int(ei.info.Pid) != cmd.Process.Pid {
			t.Errorf("fallback %v: %+v", fallback, ei)
		}
		// Not reaped: the zombie is still there for the report.
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)); err != nil {
			t.Errorf("fallback %v: reaped already: %v", fallback, err)
		}
		if err := cmd.Wait(); err == nil || cmd.ProcessState.ExitCode() != 3 {
			t.Errorf("fallback %v: Wait = %v", fallback, err)
		}
	}
	noPidfd = false
}
