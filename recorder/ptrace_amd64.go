package recorder

import "golang.org/x/sys/unix"

// ptraceRefusesClone3: skipSyscall and refuseSyscall work here.
var ptraceRefusesClone3 = true

// refuseSyscall makes the call at a syscall-entry stop run no syscall at
// all: the kernel skips syscall number -1 (orig_rax, which also serves an
// i386 call made through int 0x80).
func refuseSyscall(pid int) error {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(pid, &r); err != nil {
		return err
	}
	r.Orig_rax = ^uint64(0)
	return unix.PtraceSetRegs(pid, &r)
}

// setErrno sets the result of the call at a syscall-exit stop to -errno.
func setErrno(pid int, errno unix.Errno) error {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(pid, &r); err != nil {
		return err
	}
	r.Rax = uint64(-int64(errno))
	return unix.PtraceSetRegs(pid, &r)
}

// skipSyscall makes the call at a seccomp stop run no syscall and return
// -errno: the kernel skips syscall number -1 and leaves the result register
// as the tracer set it (seccomp(2), SECCOMP_RET_TRACE).
func skipSyscall(pid int, errno unix.Errno) error {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(pid, &r); err != nil {
		return err
	}
	r.Orig_rax = ^uint64(0)
	r.Rax = uint64(-int64(errno))
	return unix.PtraceSetRegs(pid, &r)
}
