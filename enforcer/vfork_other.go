//go:build linux && !amd64 && !arm64

package enforcer

import (
	"runtime"
	"syscall"
)

// canVfork is false without an assembly clone that keeps the return
// address off the shared stack: spawn then forks (no CLONE_VM), and the
// child has a copy of the stack to return on.
const canVfork = false

//go:nosplit
func rawClone(trap, a1, a2, a3 uintptr) (r1 uintptr, errno uintptr) {
	if trap == syscall.SYS_CLONE && runtime.GOARCH == "s390x" {
		// clone(2) on s390 takes the stack first, then the flags.
		a1, a2 = a2, a1
	}
	r, _, e := syscall.RawSyscall6(trap, a1, a2, a3, 0, 0, 0)
	return r, uintptr(e)
}
