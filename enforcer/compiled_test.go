package enforcer_test

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/schema"
)

const (
	auditArchI386  = 0x40000003
	retActionFull  = 0xffff0000
	retDataMask    = 0x0000ffff
	retKillThread  = 0x00000000
	retUserNotif   = 0x7fc00000
	retLog         = 0x7ffc0000
	retTrace       = 0x7ff00000
	x32SyscallBit  = 0x40000000
	i386SysGetpid  = 20
	x8664SysGetpid = 39
)

// TestBypassAgainstTheCompiler runs the bypass attempts under a filter the
// compiler built from a profile, and checks the kernel answered each as
// the compiler's own decision table (its IR, which is checked against
// libseccomp) says it should.
func TestBypassAgainstTheCompiler(t *testing.T) {
	prog := testprog(t)
	errno := func(n uint) *uint { return &n }
	for _, arches := range [][]string{
		{"SCMP_ARCH_X86_64"},
		{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
	} {
		t.Run(strings.Join(arches, "+"), func(t *testing.T) {
			rs := &schema.ResolvedSeccomp{
				Enabled:       true,
				DefaultAction: "SCMP_ACT_ALLOW",
				Architectures: arches,
				Syscalls: []schema.SyscallRule{
					{Names: []string{"close"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: errno(1),
						Args: []schema.Arg{{Index: 0, Value: 0x1234, Op: "SCMP_CMP_EQ"}}},
					{Names: []string{"getpid"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: errno(uint(unix.EXDEV))},
				},
			}
			compiled, err := compiler.CompileSeccomp(rs, "SCMP_ARCH_X86_64", compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := fullPlan(t)
			p.Seccomp.Program = compiled.Instructions
			p.Seccomp.Architectures = arches

			// What the kernel answers with no filter at all, for ALLOW.
			native := map[string]string{}
			for _, mode := range []string{"x32", "nr-1"} {
				out, err := exec.Command(prog, mode).Output()
				if err != nil {
					t.Fatal(err)
				}
				native[mode] = strings.TrimSpace(string(out))
			}
			decide := func(nr uint32, arch uint32, arg0 uint64) uint32 {
				return compiled.IR.Evaluate(compiler.SeccompData{Nr: int32(nr), Arch: arch, Args: [6]uint64{arg0}}).Action
			}
			for _, tc := range []struct {
				mode   string
				action uint32
				// want returns the expected output line for an allowed or
				// errno answer.
				want func(action uint32) string
			}{
				{"x32", decide(x8664SysGetpid|x32SyscallBit, auditArchX8664, 0), func(a uint32) string {
					if a == retAllow {
						return native["x32"]
					}
					return fmt.Sprintf("x32 getpid r=%d errno=%d", ^uint64(0), a&retDataMask)
				}},
				{"nr-1", decide(0xffffffff, auditArchX8664, 0), func(a uint32) string {
					if a == retAllow {
						return native["nr-1"]
					}
					return fmt.Sprintf("nr-1 errno=%d", a&retDataMask)
				}},
				{"int80", decide(i386SysGetpid, auditArchI386, 0), func(a uint32) string {
					if a == retAllow {
						return "int80 getpid r=1" // pid 1 of its namespace
					}
					return fmt.Sprintf("int80 getpid r=-%d", a&retDataMask)
				}},
			} {
				t.Run(tc.mode, func(t *testing.T) {
					defer requireClean(t, "")
					t.Logf("compiler decides %#x", tc.action)
					o := runKilled(t, p, []string{prog, tc.mode}, enforcer.Options{})
					if o.err != nil {
						t.Fatal(o.err)
					}
					checkAnswer(t, o, tc.action, tc.want)
				})
			}
			t.Run("args", func(t *testing.T) {
				defer requireClean(t, "")
				low, high := decide(unix.SYS_CLOSE, auditArchX8664, 0x1234), decide(unix.SYS_CLOSE, auditArchX8664, 0x1_0000_1234)
				if low != retErrno|1 || high != retAllow {
					t.Fatalf("compiler decides close(0x1234)=%#x close(0x100001234)=%#x; want errno 1 and allow", low, high)
				}
				o := run(t, p, []string{prog, "args"}, enforcer.Options{})
				if o.err != nil {
					t.Fatal(o.err)
				}
				if want := "close low errno=1 high errno=9"; strings.TrimSpace(o.stdout) != want {
					t.Errorf("output %q, want %q", o.stdout, want)
				}
			})
		})
	}
}

func checkAnswer(t *testing.T, o outcome, action uint32, want func(uint32) string) {
	t.Helper()
	switch action & retActionFull {
	case retKillProcess, retKillThread:
		if o.res.Signal != unix.SIGSYS {
			t.Errorf("compiler says kill (%#x); got exit %d signal %v: %q", action, o.res.ExitCode, o.res.Signal, o.stdout)
		}
		if !strings.Contains(o.res.Report, "seccomp") {
			t.Errorf("report %q does not blame seccomp", o.res.Report)
		}
	case retAllow, retErrno:
		w := want(action)
		if o.res.ExitCode != 0 || strings.TrimSpace(o.stdout) != w {
			t.Errorf("compiler says %#x; got exit %d %q (%s), want %q", action, o.res.ExitCode, o.stdout, o.res.Report, w)
		}
	default:
		t.Fatalf("test cannot predict action %#x", action)
	}
}

// TestStrictCompiledProfile: a profile that allows only what static
// busybox `true` needs (no syscall for profilec but execve), compiled by
// the compiler as users get it, runs; one without execve fails closed.
func TestStrictCompiledProfile(t *testing.T) {
	needs := []string{"execve", "arch_prctl", "brk", "exit_group", "getrandom", "getuid", "mprotect",
		"prctl", "prlimit64", "readlink", "rseq", "set_robust_list", "set_tid_address"}
	compile := func(names []string) *compiler.Program {
		t.Helper()
		rs := &schema.ResolvedSeccomp{
			Enabled:       true,
			DefaultAction: "SCMP_ACT_KILL_PROCESS",
			Architectures: []string{"SCMP_ARCH_X86_64"},
			Syscalls:      []schema.SyscallRule{{Names: names, Action: "SCMP_ACT_ALLOW"}},
		}
		prog, err := compiler.CompileSeccomp(rs, "SCMP_ARCH_X86_64", compiler.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return prog
	}
	p := fullPlan(t)
	p.Seccomp.Program = compile(needs).Instructions
	defer requireClean(t, "")
	o := run(t, p, []string{busybox, "true"}, enforcer.Options{})
	if o.err != nil || o.res.ExitCode != 0 {
		t.Fatalf("strict compiled profile: %+v, %v", o.res, o.err)
	}
	p.Seccomp.Program = compile(needs[1:]).Instructions
	o = run(t, p, []string{busybox, "true"}, enforcer.Options{})
	var se *enforcer.StepError
	if !errors.As(o.err, &se) || se.Step != "execve" {
		t.Fatalf("without execve: %+v, %v; want an execve step error", o.res, o.err)
	}
}
