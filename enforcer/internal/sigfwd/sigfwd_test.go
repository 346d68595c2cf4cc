package sigfwd

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// polls says whether fd polls readable now.
func polls(t *testing.T, fd int) bool {
	t.Helper()
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, 0)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return n == 1
}

func receive(t *testing.T, c <-chan os.Signal, want syscall.Signal) {
	t.Helper()
	select {
	case s := <-c:
		if s != want {
			t.Fatalf("received %v, want %v", s, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%v was not received within 10s", want)
	}
}

// The registration is once per process, so one test walks it through,
// in a process of its own (go test -count=N runs tests again in one):
// lethal signals first, the quiet ones after, and the eventfd readable
// only once every signal is caught.
func TestRegistrationCatchesLethalSignalsFirst(t *testing.T) {
	const childEnv = "PROFILEC_TEST_SIGFWD_CHILD"
	if os.Getenv(childEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegistrationCatchesLethalSignalsFirst$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRegistrationCatchesLethalSignalsFirst") {
			t.Fatalf("in a fresh process: %v\n%s", err, out)
		}
		return
	}
	release := make(chan struct{})
	HoldQuietForTest(release)
	lethalCaught, allCaught := Start()
	sub, unsubscribe := Subscribe()
	defer unsubscribe()
	select {
	case <-lethalCaught:
	case <-time.After(10 * time.Second):
		t.Fatal("the lethal signals were not caught within 10s")
	}
	// Caught: SIGTERM no longer ends the test; it is queued for the
	// subscriber, which gets it once the registration is done.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	fd := ReadyFD()
	if fd < 0 {
		t.Fatal("no eventfd")
	}
	select {
	case <-allCaught:
		t.Fatal("every signal caught while the quiet ones were held back")
	default:
	}
	if polls(t, fd) {
		t.Fatal("the eventfd polls readable before every signal is caught")
	}
	close(release)
	select {
	case <-allCaught:
	case <-time.After(10 * time.Second):
		t.Fatal("the quiet signals were not caught within 10s")
	}
	receive(t, sub, syscall.SIGTERM)
	for i := 0; i < 2; i++ {
		// Readable, and it stays so for every later launch.
		if !polls(t, fd) {
			t.Fatal("the eventfd does not poll readable once every signal is caught")
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	receive(t, sub, syscall.SIGUSR1)
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("eventfd flags %#x, %v: want close-on-exec (the target must not inherit it)", fl, err)
	}
}
