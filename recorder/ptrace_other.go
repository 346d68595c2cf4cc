//go:build !amd64

package recorder

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// ptraceRefusesClone3: the functions below fail here, so auto prefers
// notify.
var ptraceRefusesClone3 = false

// Skipping a syscall under ptrace takes a per-architecture register (arm64:
// NT_ARM_SYSTEM_CALL; others differ) and is done for amd64 only: elsewhere
// a clone3 while recording through ptrace fails the recording, rather than
// let clone3 run with flags no rule checks (docs/record.md).
func refuseSyscall(pid int) error {
	return fmt.Errorf("not implemented under ptrace on %s; record with --tracer notify", runtime.GOARCH)
}

func setErrno(pid int, errno unix.Errno) error {
	return fmt.Errorf("not implemented under ptrace on %s", runtime.GOARCH)
}

func skipSyscall(pid int, errno unix.Errno) error {
	return fmt.Errorf("not implemented under ptrace on %s; record with --tracer notify", runtime.GOARCH)
}
