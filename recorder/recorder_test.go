package recorder_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
	"github.com/profilec/profilec/schema"
)

// A pipeline forks and execs three processes: the profile recorded from it
// lets the same pipeline run to the same output under the enforcer.
func TestPipelineRunsUnderItsProfile(t *testing.T) { testPipeline(t, "") }

func testPipeline(t *testing.T, tr recorder.Tracer) {
	needBusybox(t)
	argv := []string{busybox, "sh", "-c", "echo hi | /bin/busybox tr a-z A-Z | /bin/busybox wc -c"}
	rec, out := record(t, argv, recorder.Options{Tracer: tr})
	if strings.TrimSpace(out) != "3" {
		t.Fatalf("recorded pipeline printed %q, want 3", out)
	}
	for _, name := range []string{"execve", "pipe2", "wait4", "clone"} {
		if rec.Syscalls[name] == nil {
			t.Errorf("%s not recorded", name)
		}
	}
	if n := rec.Syscalls["execve"].Count; n != 3 {
		t.Errorf("execve seen %d times, want 3 (sh, tr, wc)", n)
	}
	if c := rec.Syscalls["clone"]; c != nil && len(c.Values) == 0 {
		t.Errorf("clone recorded without its flags")
	}
	p := compile(t, writeProfile(t, t.TempDir(), "pipe.yaml", rec, recorder.WriteOptions{Command: argv}))
	res, got := confined(t, p, argv)
	if res.ExitCode != 0 || strings.TrimSpace(got) != "3" {
		t.Fatalf("under the recorded profile: exit %d (%s), output %q", res.ExitCode, res.Report, got)
	}
}

// What the command never did is refused: mkdir under the profile of echo
// (which lets it write its complaint) fails with EPERM and creates nothing,
// while under its own profile it works.
func TestUnseenSyscallIsRefused(t *testing.T) { testUnseenRefused(t, "") }

func testUnseenRefused(t *testing.T, tr recorder.Tracer) {
	needBusybox(t)
	dir := t.TempDir()
	rec, _ := record(t, []string{busybox, "echo", "hi"}, recorder.Options{Tracer: tr})
	if rec.Syscalls["mkdir"] != nil || rec.Syscalls["mkdirat"] != nil {
		t.Fatal("echo made mkdir?")
	}
	p := compile(t, writeProfile(t, dir, "echo.yaml", rec, recorder.WriteOptions{}))
	target := filepath.Join(dir, "x")
	res, out := confined(t, p, []string{busybox, "mkdir", target})
	if res.ExitCode == 0 {
		t.Fatalf("mkdir succeeded under the profile of echo: %s", out)
	}
	if !strings.Contains(out, "Operation not permitted") {
		t.Errorf("mkdir failed, but not with EPERM: %q", out)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory created anyway: %v", err)
	}

	// The same command recorded gets its own profile, which lets it run.
	rec2, _ := record(t, []string{busybox, "mkdir", filepath.Join(dir, "y")}, recorder.Options{Tracer: tr})
	p2 := compile(t, writeProfile(t, dir, "mkdir.yaml", rec2, recorder.WriteOptions{}))
	if res, out := confined(t, p2, []string{busybox, "mkdir", target}); res.ExitCode != 0 {
		t.Fatalf("mkdir under its own recorded profile: exit %d: %s %s", res.ExitCode, out, res.Report)
	}
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		t.Fatalf("mkdir under its own profile made nothing: %v", err)
	}
}

// A multi-threaded Go program that writes files and starts a child: the
// threads and the child are followed, and the profile lets it run again.
func TestGoProgramWithThreads(t *testing.T) { testGoProgram(t, "") }

func testGoProgram(t *testing.T, tr recorder.Tracer) {
	needBusybox(t)
	prog := testProg(t)
	dir := t.TempDir()
	rec, out := record(t, []string{prog, "threads", dir}, recorder.Options{Tracer: tr})
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("recorded program printed %q", out)
	}
	if n := rec.Syscalls["execve"].Count; n != 2 {
		t.Errorf("execve seen %d times, want 2 (prog, busybox true)", n)
	}
	// The Go runtime's syscalls vary from run to run (preemption, the
	// scavenger, spinning): record a second run into the same recording,
	// as docs/record.md advises.
	record(t, []string{prog, "threads", t.TempDir()}, recorder.Options{Recording: rec, Tracer: tr})
	clone := rec.Syscalls["clone"]
	if clone == nil {
		t.Fatal("clone not recorded")
	}
	const cloneThread = 0x10000
	threads := false
	for v := range clone.Values {
		threads = threads || v&cloneThread != 0
	}
	if !threads {
		t.Errorf("no clone with CLONE_THREAD among %v", clone.Values)
	}
	p := compile(t, writeProfile(t, dir, "prog.yaml", rec, recorder.WriteOptions{}))
	res, got := confined(t, p, []string{prog, "threads", t.TempDir()})
	if res.ExitCode != 0 || strings.TrimSpace(got) != "ok" {
		t.Fatalf("under the recorded profile: exit %d (%s), output %q", res.ExitCode, res.Report, got)
	}
}

// socket is allowed for the families seen only.
func TestSocketFamilies(t *testing.T) {
	prog := testProg(t)
	rec, _ := record(t, []string{prog, "socket", "unix"}, recorder.Options{})
	s := rec.Syscalls["socket"]
	if s == nil || len(s.Values) != 1 || s.Values[1] != 1 {
		t.Fatalf("socket values %+v, want AF_UNIX once", s)
	}
	p := compile(t, writeProfile(t, t.TempDir(), "sock.yaml", rec, recorder.WriteOptions{}))
	if res, out := confined(t, p, []string{prog, "socket", "unix"}); res.ExitCode != 0 {
		t.Fatalf("AF_UNIX refused: %s", out)
	}
	res, out := confined(t, p, []string{prog, "socket", "inet"})
	if res.ExitCode == 0 || strings.TrimSpace(out) != "socket: 1" {
		t.Fatalf("AF_INET: exit %d, %q; want EPERM (1)", res.ExitCode, out)
	}
}

// clone3 is answered ENOSYS while recording, and the profile does the same.
func TestClone3IsRefusedWithENOSYS(t *testing.T) { testClone3(t, "") }

func testClone3(t *testing.T, tr recorder.Tracer) {
	prog := testProg(t)
	rec, out := record(t, []string{prog, "clone3"}, recorder.Options{Tracer: tr})
	if strings.TrimSpace(out) != "clone3: 38" {
		t.Fatalf("under the recorder: %q, want ENOSYS (38)", out)
	}
	if s := rec.Syscalls["clone3"]; s == nil || !s.Refused {
		t.Fatalf("clone3 recorded as %+v", s)
	}
	path := writeProfile(t, t.TempDir(), "c3.yaml", rec, recorder.WriteOptions{})
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "errnoRet: 38") {
		t.Errorf("profile does not refuse clone3 with ENOSYS:\n%s", data)
	}
	if _, got := confined(t, compile(t, path), []string{prog, "clone3"}); strings.TrimSpace(got) != "clone3: 38" {
		t.Fatalf("under the profile: %q, want ENOSYS (38)", got)
	}
	// A clone3 that would succeed does not run while recording either.
	if _, out := record(t, []string{prog, "clone3", "fork"}, recorder.Options{Tracer: tr}); strings.TrimSpace(out) != "clone3: 38" {
		t.Fatalf("a valid clone3 under the recorder: %q, want ENOSYS (38)", out)
	}
}

// Two runs merged allow what either did, with the counts added, and the
// merge survives a round trip through the written profile.
func TestMergeRuns(t *testing.T) {
	needBusybox(t)
	dir := t.TempDir()
	a, _ := record(t, []string{busybox, "true"}, recorder.Options{})
	b, _ := record(t, []string{busybox, "mkdir", filepath.Join(dir, "m")}, recorder.Options{})
	execA, execB := a.Syscalls["execve"].Count, b.Syscalls["execve"].Count
	pathA := writeProfile(t, dir, "a.yaml", a, recorder.WriteOptions{})
	loaded, err := schema.Load(pathA, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := recorder.FromProfile(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Syscalls["execve"].Count != execA {
		t.Fatalf("read back execve count %d, want %d", merged.Syscalls["execve"].Count, execA)
	}
	merged.Merge(b)
	if got := merged.Syscalls["execve"].Count; got != execA+execB {
		t.Errorf("merged execve count %d, want %d", got, execA+execB)
	}
	if merged.Syscalls["mkdir"] == nil && merged.Syscalls["mkdirat"] == nil {
		t.Error("merge lost mkdir")
	}
	// Recording on top of a loaded profile is the same merge.
	c, _ := record(t, []string{busybox, "true"}, recorder.Options{Recording: merged})
	if got := c.Syscalls["execve"].Count; got != execA+execB+1 {
		t.Errorf("recording onto a merge: execve count %d, want %d", got, execA+execB+1)
	}
	p := compile(t, writeProfile(t, dir, "merged.yaml", c, recorder.WriteOptions{}))
	for _, argv := range [][]string{{busybox, "true"}, {busybox, "mkdir", filepath.Join(dir, "n")}} {
		if res, out := confined(t, p, argv); res.ExitCode != 0 {
			t.Errorf("%q under the merged profile: exit %d: %s %s", argv, res.ExitCode, out, res.Report)
		}
	}
}

// With a base, the profile extends it and names only what the base did not
// allow; together they still run the command.
func TestBase(t *testing.T) {
	needBusybox(t)
	dir := t.TempDir()
	baseRec, _ := record(t, []string{busybox, "true"}, recorder.Options{})
	basePath := writeProfile(t, dir, "base.yaml", baseRec, recorder.WriteOptions{Name: "base"})
	allows, err := recorder.BaseAllows(compile(t, basePath))
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{busybox, "mkdir", filepath.Join(dir, "b")}
	rec, _ := record(t, argv, recorder.Options{Base: allows})
	path := writeProfile(t, dir, "ext.yaml", rec, recorder.WriteOptions{Base: "base.yaml"})
	loaded, err := schema.Load(path, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range loaded.Seccomp.Syscalls {
		names = append(names, r.Names...)
	}
	if strings.Contains(" "+strings.Join(names, " ")+" ", " execve ") {
		t.Errorf("execve, allowed by the base, named again: %v", names)
	}
	if !strings.Contains(strings.Join(names, " "), "mkdir") {
		t.Errorf("mkdir missing from the extension: %v", names)
	}
	if len(loaded.Extends) != 1 || loaded.Extends[0] != "base.yaml" {
		t.Errorf("extends %v", loaded.Extends)
	}
	p := compile(t, path)
	argv[2] = filepath.Join(dir, "c")
	if res, out := confined(t, p, argv); res.ExitCode != 0 {
		t.Fatalf("mkdir under base+extension: exit %d: %s %s", res.ExitCode, out, res.Report)
	}
}

func TestBadCommand(t *testing.T) {
	_, err := recorder.Record(context.Background(), []string{"/nonexistent/cmd"}, recorder.Options{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/cmd") {
		t.Fatalf("got %v, want an error naming the command", err)
	}
	// execve itself fails under the filter: reported from the shared page.
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte{0, 1, 2, 3}, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = recorder.Record(context.Background(), []string{junk}, recorder.Options{})
	if !errors.Is(err, syscall.ENOEXEC) {
		t.Fatalf("got %v, want ENOEXEC", err)
	}
	// An init binary that does not run the init stage is named.
	needBusybox(t)
	_, err = recorder.Record(context.Background(), []string{busybox, "true"}, recorder.Options{InitPath: busybox})
	if err == nil || !strings.Contains(err.Error(), "recorder.Main") {
		t.Fatalf("got %v, want an error about the init stage", err)
	}
	if _, err := recorder.Record(context.Background(), nil, recorder.Options{}); err == nil {
		t.Fatal("no error for an empty command")
	}
}

// Cancelling kills the tree, also a process that left it (an orphan
// reparented away) while blocked in a syscall; nothing is left behind.
func TestCancel(t *testing.T) { testCancel(t, "") }

func testCancel(t *testing.T, tr recorder.Tracer) {
	needBusybox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	dir := t.TempDir()
	script := "( /bin/busybox sleep 600 & echo $! > orphan ); /bin/busybox sleep 600 & echo $! > child; wait"
	t.Cleanup(func() {
		// Should the recorder fail to, kill what the script started.
		for _, name := range []string{"child", "orphan"} {
			if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && !gone(fmt.Sprint("/proc/", pid)) {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	})
	done := make(chan error, 1)
	go func() {
		cmd := []string{busybox, "sh", "-c", script}
		_, err := recorder.Record(ctx, cmd, recorder.Options{Env: []string{"PATH=/bin"}, Dir: dir, Tracer: tr})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Record did not return after its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", err)
	}
	for _, name := range []string{"child", "orphan"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the shell never started its %s: %v", name, err)
		}
		if !gone("/proc/" + strings.TrimSpace(string(data))) {
			t.Errorf("%s sleep still running after cancel", name)
		}
	}
}

// gone waits a little for a killed process to be reaped by whoever is its
// parent now.
func gone(proc string) bool {
	for i := 0; i < 200; i++ {
		st, err := os.ReadFile(proc + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// An i386 program started from x86_64: calls are counted per architecture,
// both are in the profile, and the program runs under it.
func TestTwoArchitectures(t *testing.T) { testTwoArches(t, "") }

func testTwoArches(t *testing.T, tr recorder.Tracer) {
	needBusybox(t)
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "i386 programs run only on x86_64 hosts")
	}
	prog := testProgArch(t, "386")
	if out, err := exec.Command(prog, "threads", t.TempDir()).CombinedOutput(); err != nil {
		testenv.Skip(t, fmt.Sprintf("this kernel does not run i386 programs (IA32 emulation off?): %v %s", err, out))
	}
	rec, out := record(t, []string{prog, "threads", t.TempDir()}, recorder.Options{Tracer: tr})
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("recorded program printed %q", out)
	}
	record(t, []string{prog, "threads", t.TempDir()}, recorder.Options{Recording: rec, Tracer: tr})
	if rec.Arches["SCMP_ARCH_X86"] == 0 || rec.Arches["SCMP_ARCH_X86_64"] == 0 {
		t.Fatalf("arches %v, want both x86 (the program) and x86_64 (its execve, busybox)", rec.Arches)
	}
	path := writeProfile(t, t.TempDir(), "i386.yaml", rec, recorder.WriteOptions{})
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "architectures: [SCMP_ARCH_X86, SCMP_ARCH_X86_64]") {
		t.Errorf("profile architectures:\n%s", data)
	}
	res, got := confined(t, compile(t, path), []string{prog, "threads", t.TempDir()})
	if res.ExitCode != 0 || strings.TrimSpace(got) != "ok" {
		t.Fatalf("under the recorded profile: exit %d (%s), output %q", res.ExitCode, res.Report, got)
	}
}
