package enforcer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/internal/testenv"
)

func TestSyncFrames(t *testing.T) {
	var b bytes.Buffer
	if err := writeMsg(&b, msgError, stepError{Step: "uid", Err: "set uid 5: invalid argument"}); err != nil {
		t.Fatal(err)
	}
	if err := writeMsg(&b, msgReady, nil); err != nil {
		t.Fatal(err)
	}
	typ, p, err := readMsg(&b)
	if err != nil || typ != msgError || !strings.Contains(string(p), `"step":"uid"`) {
		t.Fatalf("first frame %v %q %v", typ, p, err)
	}
	typ, p, err = readMsg(&b)
	if err != nil || typ != msgReady || len(p) != 0 {
		t.Fatalf("second frame %v %q %v", typ, p, err)
	}
	if _, _, err := readMsg(&b); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}

	// A truncated frame or an absurd length is an error, never an
	// allocation of what the peer claims or a hang.
	for name, raw := range map[string][]byte{
		"short header":    {byte(msgReady), 1, 0},
		"short payload":   append([]byte{byte(msgConfig), 10, 0, 0, 0}, "abc"...),
		"oversized frame": {byte(msgConfig), 0xff, 0xff, 0xff, 0x7f},
	} {
		if _, _, err := readMsg(bytes.NewReader(raw)); err == nil || err == io.EOF {
			t.Errorf("%s: err = %v, want a read error", name, err)
		}
	}
}

func TestMsgTypeNames(t *testing.T) {
	for typ, want := range map[msgType]string{msgConfig: "config", msgReady: "ready", msgGo: "go", msgError: "error", 42: "msg(42)"} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q, want %q", typ, got, want)
		}
	}
}

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

func TestPauseGCNests(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	a := pauseGC()
	b := pauseGC()
	a()
	a() // a second call must not undo b's pause
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("collector back on (%d) while a launch is in flight", got)
	}
	b()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GC percent %d after the last launch, want the caller's 77", got)
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

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=/", "PATH=/nonexistent:" + dir}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"tool", exe, true},
		{exe, exe, true},
		{"sub", "", false},  // a directory is not a command
		{"data", "", false}, // not executable
		{"nope", "", false},
		{"", "", false},
	} {
		got, err := lookPath(tc.name, env)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("lookPath(%q) = %q, %v", tc.name, got, err)
		}
	}
}

// FuzzReadMsg: whatever arrives on the socket, readMsg returns a frame or
// an error, never panics, and a frame it returns round-trips.
func FuzzReadMsg(f *testing.F) {
	f.Add(frame(msgReady, nil))
	f.Add(frame(msgError, []byte(`{"step":"uid","err":"x"}`)))
	f.Add([]byte{byte(msgConfig), 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, p, err := readMsg(bytes.NewReader(b))
		if err != nil {
			return
		}
		if got := frame(typ, p); !bytes.Equal(got, b[:len(got)]) {
			t.Errorf("frame %v %q does not round-trip from %q", typ, p, b)
		}
	})
}

func TestFilterBytesRoundTrip(t *testing.T) {
	prog := []plan.Instruction{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 255, K: 0xc000003e}, {Code: 0x06, K: 0x7fff0000}}
	got, err := decodeFilter(encodeFilter(prog))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(prog) {
		t.Fatalf("got %d instructions, want %d", len(got), len(prog))
	}
	for i, in := range prog {
		if want := (unix.SockFilter{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}); got[i] != want {
			t.Errorf("instruction %d: got %+v, want %+v", i, got[i], want)
		}
	}
	if _, err := decodeFilter(make([]byte, 9)); err == nil {
		t.Error("decodeFilter accepted a partial instruction")
	}
}
