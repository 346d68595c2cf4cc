package compiler

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/profilec/profilec/compiler/compilertest"
	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// TestKernelEnforcesBwrap loads a compiled program into the real kernel
// through bwrap --seccomp and sees it refuse mkdir with EACCES while the
// same command without the filter succeeds.
func TestKernelEnforcesBwrap(t *testing.T) {
	bwrap, native := bwrapBusybox(t)
	s := &schema.ResolvedSeccomp{
		Enabled:       true,
		DefaultAction: "SCMP_ACT_ALLOW",
		Syscalls: []schema.SyscallRule{
			{Names: []string{"mkdir", "mkdirat"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(13)},
		},
	}
	p, err := CompileSeccomp(s, native.Name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := Encode(p.Instructions)
	back, err := Decode(raw)
	if err != nil || !slices.Equal(back, p.Instructions) {
		t.Fatalf("decode(encode) = %v, %v", back, err)
	}

	run := func(withFilter bool, dir string) (string, error) {
		if withFilter {
			return underBwrap(t, bwrap, raw, nil, "/bin/busybox", "mkdir", dir)
		}
		return underBwrap(t, bwrap, nil, nil, "/bin/busybox", "mkdir", dir)
	}

	tmp := t.TempDir()
	control := filepath.Join(tmp, "control")
	if out, err := run(false, control); err != nil {
		t.Fatalf("bwrap without a filter fails: %v\n%s", err, out)
	}
	if _, err := os.Stat(control); err != nil {
		t.Fatalf("control mkdir left no directory: %v", err)
	}

	denied := filepath.Join(tmp, "denied")
	out, err := run(true, denied)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("mkdir under the filter: err = %v, want a failing exit\n%s", err, out)
	}
	t.Logf("under the filter: %v: %s", err, strings.TrimSpace(out))
	if !strings.Contains(out, "Permission denied") {
		t.Errorf("output %q does not report EACCES", out)
	}
	if _, err := os.Stat(denied); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory exists under the filter: %v", err)
	}
}

// TestKernelDockerDefault runs busybox under Docker's default profile as
// compiled here: ordinary work succeeds, and unshare (denied without
// CAP_SYS_ADMIN) fails with EPERM, the profile's default errno.
func TestKernelDockerDefault(t *testing.T) {
	bwrap, native := bwrapBusybox(t)
	s := compilertest.DockerDefault(native.Name, compilertest.DockerDefaultCaps(), "6.1")
	filter := compileRaw(t, s, native.Name)
	run := func(args ...string) (string, error) {
		return underBwrap(t, bwrap, filter, nil, append([]string{"/bin/busybox"}, args...)...)
	}
	if out, err := run("sh", "-c", "echo hello; ls / >/dev/null; cat /proc/self/status | grep -c Seccomp"); err != nil || !strings.Contains(out, "hello") {
		t.Fatalf("ordinary commands under Docker's default: %v\n%s", err, out)
	}
	out, err := run("unshare", "-n", "true")
	if err == nil || !strings.Contains(out, "Operation not permitted") {
		t.Fatalf("unshare under Docker's default: err %v, output %q; want EPERM", err, out)
	}
}

// TestKernelX32NoBypass installs an x86_64-only filter that allows
// everything and makes an x32 call: the kernel must kill the process with
// SIGSYS (the bad-arch action) instead of letting the x32 numbers bypass
// the x86_64 table.
func TestKernelX32NoBypass(t *testing.T) {
	if systab.NativeArch().Name != "SCMP_ARCH_X86_64" {
		testenv.Skip(t, "x32 numbers exist only on x86_64")
	}
	bwrap := testenv.RequireCommand(t, "bwrap")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(archs []string) (string, error) {
		s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ALLOW", Architectures: archs,
			Syscalls: []schema.SyscallRule{{Names: []string{"acct"}, Action: "SCMP_ACT_ERRNO"}}}
		return underBwrap(t, bwrap, compileRaw(t, s, "SCMP_ARCH_X86_64"), []string{"PROFILEC_TEST_X32_GETPID=1"}, self)
	}
	out, err := run(nil)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || strings.Contains(out, "returned") {
		t.Fatalf("x32 call under an x86_64-only filter: err %v, output %q; want the process killed", err, out)
	}
	t.Logf("x32 call under an x86_64-only filter: %v", exit)
	// bwrap reports the child's death by signal as exit status 128+n or
	// passes the signal on; either way SIGSYS (31) must show.
	if st := exit.ExitCode(); st != 128+31 && !strings.Contains(exit.String(), "bad system call") {
		t.Errorf("x32 call killed with %v (code %d), want SIGSYS", exit, st)
	}
	// With x32 a target the same call meets x32's table (default allow).
	if out, err := run([]string{"SCMP_ARCH_X32"}); err != nil || !strings.Contains(out, "returned") {
		t.Errorf("x32 call with x32 a target: err %v, output %q; want it to return", err, out)
	}
}

// TestKernelArguments checks argument comparisons in the real kernel:
// kill with signal 0 is refused with EACCES, kill with SIGCONT is not.
func TestKernelArguments(t *testing.T) {
	bwrap, native := bwrapBusybox(t)
	s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ALLOW", Syscalls: []schema.SyscallRule{
		{Names: []string{"kill"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(13), Args: []schema.Arg{{Index: 1, Op: "SCMP_CMP_EQ", Value: 0}}},
	}}
	filter := compileRaw(t, s, native.Name)
	run := func(script string) (string, error) {
		return underBwrap(t, bwrap, filter, nil, "/bin/busybox", "sh", "-c", script)
	}
	if out, err := run("kill -CONT $$ && echo cont-ok"); err != nil || !strings.Contains(out, "cont-ok") {
		t.Errorf("kill -CONT under the filter: %v %q", err, out)
	}
	out, err := run("kill -0 $$ && echo zero-ok")
	if err == nil || strings.Contains(out, "zero-ok") || !strings.Contains(out, "Permission denied") {
		t.Errorf("kill -0 under the filter: err %v, output %q; want EACCES", err, out)
	}
}

// compileRaw compiles s for arch into the raw sock_filter array that
// bwrap --seccomp reads.
func compileRaw(t *testing.T, s *schema.ResolvedSeccomp, arch string) []byte {
	t.Helper()
	p, err := CompileSeccomp(s, arch, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Encode(p.Instructions)
}

// underBwrap runs argv under bwrap with the host's root and, unless
// filter is nil, filter loaded from fd 3 through --seccomp 3; env is
// added to the environment. It returns stdout and stderr together.
func underBwrap(t *testing.T, bwrap string, filter []byte, env []string, argv ...string) (string, error) {
	t.Helper()
	args := []string{bwrap, "--bind", "/", "/", "--die-with-parent"}
	cmd := exec.Command(bwrap)
	if filter != nil {
		f, err := os.CreateTemp(t.TempDir(), "filter")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(filter); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		cmd.ExtraFiles = []*os.File{f} // fd 3
		args = append(args, "--seccomp", "3")
	}
	cmd.Args = append(args, argv...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// bwrapBusybox is what the busybox kernel tests need: bwrap's path and the
// host's architecture, which must have a syscall table.
func bwrapBusybox(t *testing.T) (string, systab.Arch) {
	t.Helper()
	bwrap := testenv.RequireCommand(t, "bwrap")
	testenv.RequireFile(t, "/bin/busybox")
	native := systab.NativeArch()
	if native.Name == "" {
		testenv.Skip(t, "no syscall table for this GOARCH")
	}
	return bwrap, native
}
