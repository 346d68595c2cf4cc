package enforcer_test

import (
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/enforcer"
)

// bypassFilter is what a Docker-style x86_64 profile compiles to, with
// distinct answers so each path can be told apart:
//   - a foreign arch (i386 via int 0x80) is killed;
//   - an x32 number (bit 30) gets EXDEV;
//   - syscall number -1 gets EDOM;
//   - close(0x1234) — both 32-bit halves compared — gets EPERM;
//   - everything else is allowed.
func bypassFilter(t testing.TB) []bpf.Instruction {
	return []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 4, Size: 4},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArchX8664, SkipTrue: 1},
		/* 2 */ bpf.RetConstant{Val: retKillProcess},
		/* 3 */ bpf.LoadAbsolute{Off: 0, Size: 4},
		// -1 has bit 30 set too: test it first, as libseccomp does.
		/* 4 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xffffffff, SkipFalse: 1},
		/* 5 */ bpf.RetConstant{Val: retErrno | uint32(unix.EDOM)},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x40000000, SkipFalse: 1},
		/* 7 */ bpf.RetConstant{Val: retErrno | uint32(unix.EXDEV)},
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_CLOSE, SkipTrue: 1},
		/* 9 */ bpf.RetConstant{Val: retAllow},
		/* 10 */ bpf.LoadAbsolute{Off: 16, Size: 4}, // args[0] low half (little endian)
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x1234, SkipTrue: 1},
		/* 12 */ bpf.RetConstant{Val: retAllow},
		/* 13 */ bpf.LoadAbsolute{Off: 20, Size: 4}, // args[0] high half
		/* 14 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipTrue: 1},
		/* 15 */ bpf.RetConstant{Val: retAllow},
		/* 16 */ bpf.RetConstant{Val: retErrno | uint32(unix.EPERM)},
	}
}

func TestBypassAttemptsAnsweredAsTheFilterSays(t *testing.T) {
	prog := testprog(t)
	p := fullPlan(t)
	p.Seccomp = assemble(t, bypassFilter(t))
	for _, tc := range []struct {
		mode, want string
		killed     bool
	}{
		{mode: "x32", want: "errno=18"},                        // EXDEV, not the kernel's ENOSYS
		{mode: "nr-1", want: "errno=33"},                       // EDOM, not ENOSYS
		{mode: "args", want: "close low errno=1 high errno=9"}, // high half set: allowed, EBADF
		{mode: "int80", want: "getpid (20) on x86", killed: true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			defer requireClean(t, "")
			o := runKilled(t, p, []string{prog, tc.mode}, enforcer.Options{})
			if o.err != nil {
				t.Fatal(o.err)
			}
			if tc.killed {
				if o.res.Signal != unix.SIGSYS || !strings.Contains(o.res.Report, tc.want) {
					t.Errorf("result %+v, want SIGSYS reporting %q", o.res, tc.want)
				}
				return
			}
			if o.res.ExitCode != 0 || !strings.Contains(o.stdout, tc.want) {
				t.Errorf("exit %d, output %q, want %q (%s)", o.res.ExitCode, o.stdout, tc.want, o.res.Report)
			}
		})
	}
}
