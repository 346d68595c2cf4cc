//go:build cgo

package libseccomp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
)

// The kernel is the last judge of what a program means. TestKernelAgrees
// loads profilec's and libseccomp's programs for one profile into the
// kernel, in a child process on one locked thread, makes real x86_64 calls
// with chosen arguments and checks that the errno each call gets is the
// verdict this package's interpreter predicts. The profile denies with
// distinct errnos and allows otherwise, so every verdict is observable and
// nothing in the child is killed.

const kernelChildEnv = "PROFILEC_LIBSECCOMP_KERNEL_CHILD"

// kernelProbe is one call the child makes; Errno is what it got.
type kernelProbe struct {
	Nr    int32     `json:"nr"`
	Args  [6]uint64 `json:"args"`
	Errno int       `json:"errno"`
}

// kernelProfile uses identity calls the Go runtime never makes, so its own
// calls on the filtered thread stay allowed.
func kernelProfile() *schema.ResolvedSeccomp {
	u := func(v uint) *uint { return &v }
	return &schema.ResolvedSeccomp{
		Enabled:       true,
		DefaultAction: "SCMP_ACT_ALLOW",
		Architectures: []string{host, "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
		Syscalls: []schema.SyscallRule{
			{Names: []string{"getppid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(11), Args: []schema.Arg{{Index: 0, Value: 1 << 32, Op: "SCMP_CMP_EQ"}}},
			{Names: []string{"getuid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(13), Args: []schema.Arg{{Index: 2, Value: 0xffffffff, Op: "SCMP_CMP_GT"}}},
			{Names: []string{"getgid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(14), Args: []schema.Arg{
				{Index: 0, Value: 5, Op: "SCMP_CMP_LT"}, {Index: 1, Value: 0, Op: "SCMP_CMP_NE"},
			}},
			{Names: []string{"geteuid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(15)},
			{Names: []string{"getegid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: u(16), Args: []schema.Arg{{Index: 5, Value: 0x8000000000000000, Op: "SCMP_CMP_GE"}}},
			{Names: []string{"getpgrp"}, Action: "SCMP_ACT_ERRNO", Args: []schema.Arg{{Index: 3, Value: 0xff00000000, ValueTwo: 0x100000000, Op: "SCMP_CMP_MASKED_EQ"}}},
		},
	}
}

// kernelProbes are the identity calls with boundary arguments, as x86_64
// calls and as x32 calls (bit 30 set: the filter sees them under
// AUDIT_ARCH_X86_64 and compares only the low halves), plus numbers no table
// has, which the filter allows and the kernel answers with ENOSYS.
func kernelProbes() []kernelProbe {
	out := []kernelProbe{{Nr: -1}, {Nr: 1000}, {Nr: x32Bit | 1000}}
	var nrs []int32
	for _, nr := range []int32{unix.SYS_GETPPID, unix.SYS_GETUID, unix.SYS_GETGID, unix.SYS_GETEUID, unix.SYS_GETEGID, unix.SYS_GETPGRP} {
		nrs = append(nrs, nr, x32Bit|nr)
	}
	for _, nr := range nrs {
		out = append(out, kernelProbe{Nr: nr})
		for i := range 6 {
			for _, v := range []uint64{1, 4, 5, 0xffffffff, 1 << 32, 0x100000001, 0x1ff00000000, 0x8000000000000000, 1<<64 - 1} {
				p := kernelProbe{Nr: nr}
				p.Args[i] = v
				out = append(out, p)
			}
		}
	}
	return out
}

func TestKernelAgrees(t *testing.T) {
	if path := os.Getenv(kernelChildEnv); path != "" {
		kernelChild(path)
		return
	}
	kernelAgrees(t, kernelProfile(), kernelProbes(), []int{0, 1, 11, 13, 14, 15, 16, int(unix.ENOSYS)})
	// x32 compares low halves: getppid's "arg0 == 1<<32" is "arg0 == 0"
	// there, so a plain x32 getppid() is refused with 11; kernelAgrees has
	// checked the kernel says so for both programs, given the
	// interpreter does.
	tr, err := run(mustCompile(t, kernelProfile()), input{nr: x32Bit | unix.SYS_GETPPID, arch: auditX86_64})
	if err != nil || tr.ret != actErrno|11 {
		t.Errorf("x32 getppid(): profilec's program returns %s (%v), want ERRNO(11) from the rule's low half", fmtAction(tr.ret), err)
	}
}

func mustCompile(t *testing.T, s *schema.ResolvedSeccomp) []plan.Instruction {
	t.Helper()
	p, err := compiler.CompileSeccomp(s, host, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Instructions
}

// TestKernelAgreesDockerDefault runs Docker's default profile (x86_64 with
// x86 and x32) in the kernel, with calls it allows, refuses with EPERM and
// refuses with ENOSYS, and numbers past the table, which meet its default.
func TestKernelAgreesDockerDefault(t *testing.T) {
	s, err := mobyDefault(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	probes := []kernelProbe{
		{Nr: unix.SYS_GETPPID},
		{Nr: x32Bit | unix.SYS_GETPPID},
		{Nr: unix.SYS_PERSONALITY, Args: [6]uint64{0xffffffff}}, // a query
		{Nr: unix.SYS_PERSONALITY, Args: [6]uint64{0x1234}},
		{Nr: unix.SYS_PERSONALITY, Args: [6]uint64{1<<32 | 0xffffffff}},
		{Nr: unix.SYS_CLONE3},
		{Nr: unix.SYS_KEXEC_LOAD},
		{Nr: unix.SYS_REBOOT},
		{Nr: 1000},
		{Nr: -1},
	}
	kernelAgrees(t, s, probes, []int{0, int(unix.EPERM), int(unix.ENOSYS)})
}

// kernelAgrees loads libseccomp's and profilec's programs for s into the
// kernel and checks each probe's errno against the interpreter's verdict;
// every errno in mustSee must come back at least once.
func kernelAgrees(t *testing.T, s *schema.ResolvedSeccomp, probes []kernelProbe, mustSee []int) {
	lib, err := oracleProgram(s, host, optimizeAsRunc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compiler.CompileSeccomp(s, host, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		prog []plan.Instruction
	}{{"libseccomp", lib}, {"profilec", p.Instructions}} {
		t.Run(c.name, func(t *testing.T) {
			got := runKernelChild(t, c.prog, probes)
			seen := map[int]bool{}
			for _, g := range got {
				seen[g.Errno] = true
				tr, err := run(c.prog, input{nr: g.Nr, arch: auditX86_64, args: g.Args})
				if err != nil {
					t.Fatal(err)
				}
				// An allowed call runs: the identity calls succeed,
				// and a number the kernel lacks (x32 calls too, on a
				// kernel without x32) fails with ENOSYS, which no rule
				// of kernelProfile returns.
				ok := false
				switch {
				case tr.ret&actFull == actErrno:
					ok = g.Errno == int(tr.ret&0xffff)
				case tr.ret == actAllow:
					ok = g.Errno == 0 || g.Errno == int(unix.ENOSYS)
				default:
					t.Fatalf("probe nr %d args %#x: the interpreter predicts %s, which the child cannot observe", g.Nr, g.Args, fmtAction(tr.ret))
				}
				if !ok {
					t.Errorf("nr %d args %#x: the kernel ran %s's program to errno %d, this package's interpreter to %s",
						g.Nr, g.Args, c.name, g.Errno, fmtAction(tr.ret))
				}
			}
			// Every errno the profile can return must have come back at
			// least once, and some call must have been allowed, or the
			// probes test nothing.
			for _, e := range mustSee {
				if !seen[e] {
					t.Errorf("no probe came back with errno %d; seen %v", e, seen)
				}
			}
		})
	}
}

// runKernelChild has a child process load prog and make the probes.
func runKernelChild(t *testing.T, prog []plan.Instruction, probes []kernelProbe) []kernelProbe {
	t.Helper()
	dir := t.TempDir()
	var raw bytes.Buffer
	for _, in := range prog {
		_ = binary.Write(&raw, binary.LittleEndian, in)
	}
	progPath := filepath.Join(dir, "prog.bpf")
	if err := os.WriteFile(progPath, raw.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(probes)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKernelAgrees$", "-test.count=1")
	cmd.Env = append(os.Environ(), kernelChildEnv+"="+progPath)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kernel child: %v\n%s", err, stderr.String())
	}
	// The child prints its answer as the first line; go test's own PASS
	// output follows.
	line, _, _ := bytes.Cut(out, []byte("\n"))
	var got []kernelProbe
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("decode kernel child output %q: %v", out, err)
	}
	if len(got) != len(probes) {
		t.Fatalf("kernel child answered %d of %d probes", len(got), len(probes))
	}
	return got
}

// kernelChild installs the program on this one thread only (no TSYNC) and
// makes every probe from it.
func kernelChild(progPath string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	raw, err := os.ReadFile(progPath)
	if err != nil {
		fail(err)
	}
	prog, err := parseSockFilter(raw)
	if err != nil {
		fail(err)
	}
	var probes []kernelProbe
	if err := json.NewDecoder(os.Stdin).Decode(&probes); err != nil {
		fail(fmt.Errorf("decode probes: %w", err))
	}
	filter := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		filter[i] = unix.SockFilter{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	runtime.LockOSThread() // never unlocked: the thread dies with the process
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(fmt.Errorf("set no_new_privs: %w", err))
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		fail(fmt.Errorf("load seccomp filter: %w", e))
	}
	for i := range probes {
		p := &probes[i]
		_, _, e := unix.RawSyscall6(uintptr(p.Nr), uintptr(p.Args[0]), uintptr(p.Args[1]), uintptr(p.Args[2]), uintptr(p.Args[3]), uintptr(p.Args[4]), uintptr(p.Args[5]))
		p.Errno = int(e)
	}
	out, err := json.Marshal(probes)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s\n", out)
	os.Exit(0)
}
