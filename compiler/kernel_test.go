package compiler

import (
	"bytes"
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
	bwrap := testenv.RequireCommand(t, "bwrap")
	testenv.RequireFile(t, "/bin/busybox")
	native := systab.NativeArch()
	if native.Name == "" {
		testenv.Skip(t, "no syscall table for this GOARCH")
	}
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
		args := []string{"--bind", "/", "/", "--die-with-parent"}
		cmd := exec.Command(bwrap)
		if withFilter {
			f, err := os.CreateTemp(t.TempDir(), "filter")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write(raw); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Seek(0, 0); err != nil {
				t.Fatal(err)
			}
			cmd.ExtraFiles = []*os.File{f} // fd 3
			args = append(args, "--seccomp", "3")
		}
		cmd.Args = append([]string{bwrap}, append(args, "/bin/busybox", "mkdir", dir)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
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
	bwrap := testenv.RequireCommand(t, "bwrap")
	testenv.RequireFile(t, "/bin/busybox")
	native := systab.NativeArch()
	if native.Name == "" {
		testenv.Skip(t, "no syscall table for this GOARCH")
	}
	s := compilertest.DockerDefault(native.Name, compilertest.DockerDefaultCaps(), "6.1")
	p, err := CompileSeccomp(s, native.Name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "filter")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(Encode(p.Instructions)); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bwrap, append([]string{"--bind", "/", "/", "--die-with-parent", "--seccomp", "3", "/bin/busybox"}, args...)...)
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.CombinedOutput()
		return string(out), err
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
		p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.CreateTemp(t.TempDir(), "filter")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(Encode(p.Instructions)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bwrap, "--bind", "/", "/", "--die-with-parent", "--seccomp", "3", self)
		cmd.Env = append(os.Environ(), "PROFILEC_TEST_X32_GETPID=1")
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.CombinedOutput()
		return string(out), err
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
	bwrap := testenv.RequireCommand(t, "bwrap")
	testenv.RequireFile(t, "/bin/busybox")
	native := systab.NativeArch()
	if native.Name == "" {
		testenv.Skip(t, "no syscall table for this GOARCH")
	}
	s := &schema.ResolvedSeccomp{DefaultAction: "SCMP_ACT_ALLOW", Syscalls: []schema.SyscallRule{
		{Names: []string{"kill"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(13), Args: []schema.Arg{{Index: 1, Op: "SCMP_CMP_EQ", Value: 0}}},
	}}
	p, err := CompileSeccomp(s, native.Name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "filter")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(Encode(p.Instructions)); err != nil {
		t.Fatal(err)
	}
	run := func(script string) (string, error) {
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bwrap, "--bind", "/", "/", "--die-with-parent", "--seccomp", "3", "/bin/busybox", "sh", "-c", script)
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("kill -CONT $$ && echo cont-ok"); err != nil || !strings.Contains(out, "cont-ok") {
		t.Errorf("kill -CONT under the filter: %v %q", err, out)
	}
	out, err := run("kill -0 $$ && echo zero-ok")
	if err == nil || strings.Contains(out, "zero-ok") || !strings.Contains(out, "Permission denied") {
		t.Errorf("kill -0 under the filter: err %v, output %q; want EACCES", err, out)
	}
}
