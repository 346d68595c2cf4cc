package enforcer

import (
	"syscall"
	"unsafe"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// The child side of a launch is not a program of its own. The supervisor
// clones itself (CLONE_VM|CLONE_VFORK where the kernel lets it: the child
// borrows the supervisor's memory and stack until its execve, as
// posix_spawn does) and the child works through a list of raw system
// calls the supervisor prepared, then execs the target. There is no
// second Go runtime to start and no protocol to speak: everything the
// child needs (strings, id lists, the seccomp program) was laid out in
// memory beforehand, and what went wrong is written to a shared page.
//
// Between clone and execve the child may run only code that neither
// allocates, nor grows the stack, nor enters the scheduler: the runtime's
// BeforeFork hook poisons the stack guard so that any attempt faults
// loudly. spawnChild therefore calls only //go:nosplit functions
// (syscall.RawSyscall6 and the runtime's fork hooks, which the runtime
// keeps for exactly this use: go.dev/issue/67401), and declares every
// variable it uses up front.

//go:linkname runtime_BeforeFork syscall.runtime_BeforeFork
func runtime_BeforeFork()

//go:linkname runtime_AfterFork syscall.runtime_AfterFork
func runtime_AfterFork()

//go:linkname runtime_AfterForkInChild syscall.runtime_AfterForkInChild
func runtime_AfterForkInChild()

// opKind says how the child carries out one childOp.
type opKind uint8

const (
	// opSys is one system call: nr(a[0], …, a[5]).
	opSys opKind = iota + 1
	// opWrite writes the a[2] bytes at a[1] to the file named by the
	// NUL-terminated path at a[0] (open, write, close).
	opWrite
	// opResolve finds the executable among ptrs; with a[2] == 0 it is a
	// PATH search, which skips
	// candidates that do not exist or are directories, otherwise the one
	// candidate is only checked. The first the target's credentials may
	// execute becomes execve's path.
	opResolve
	// opWait reads one byte from fd a[0]: the supervisor's go-ahead.
	opWait
	// opFault fails as if the step's system call had (Options.Fault).
	opFault
	// opExec is execve(resolved path, a[1], a[2]); it comes last.
	opExec
	// opDropFrom drops capabilities a[0], a[0]+1, ... from the bounding
	// set until the kernel says EINVAL (past its last capability).
	opDropFrom
	// opIfFlags sets an interface's flags: SIOCSIFFLAGS with the struct
	// ifreq at a[0], on a socket made for the purpose.
	opIfFlags
	// opAwait waits until poll polls readable, for at most the struct
	// timespec at a[1]: ETIMEDOUT after that.
	opAwait
	// opParentAlive polls poll (the child's end of the socketpair)
	// without waiting (a[1] a zero timespec) and fails if it hung up: the
	// supervisor is gone.
	opParentAlive
)

// childOp is one step of the child's work.
type childOp struct {
	kind opKind
	step uint8 // index into Steps
	nr   uintptr
	a    [6]uintptr
	// ok is an errno that counts as success (0: none).
	ok uintptr
	// ptrs are opResolve's candidate paths (NUL-terminated strings).
	ptrs []uintptr
	// poll is opAwait's and opParentAlive's struct pollfd.
	poll *sys.PollFd
	// what the op does, in words, for the supervisor's error message;
	// with hasN a format whose %d is n.
	what string
	n    int
	hasN bool
	// bare: on failure, what is the whole message (no errno appended).
	bare bool
}

// errnoInjected is the child's "errno" for an injected fault; no real
// errno is this large.
const errnoInjected = 0xfff0

// childReport is the shared page's layout. The child writes it with plain
// stores, which need no system call: after the seccomp filter it may
// have no other way to tell.
type childReport struct {
	op     uint32 // index+1 of the op in progress
	errno  uint32 // why it failed; 0 while none did
	execed uint32 // 1 once execve was called
}

// nilWord is a nil pointer the compiler cannot prove nil: storing
// through it faults for real (the child's SIGSEGV is back to its default
// action) rather than being compiled into a runtime panic.
var nilWord *uint32

// spawnChild clones with trap (SYS_CLONE or SYS_CLONE3) and a1, a2, and
// in the child runs ops. In the parent it returns the child's pid or the
// clone's errno; the caller must call runtime_AfterFork at once. In the
// child it never returns: it execs the target or exits with status 127
// after writing rep.
//
// It must not be inlined: with CLONE_VM|CLONE_VFORK the child runs in
// this very frame on the parent's stack, and the parent may use nothing
// of the frame but the clone's results once it resumes.
//
//go:noinline
//go:norace
//go:nocheckptr
func spawnChild(ops []childOp, rep *childReport, trap, a1, a2 uintptr) (pid, errno uintptr) {
	var (
		i, n int
		op   *childOp
		r1   uintptr
		e    syscall.Errno
		fd   uintptr
		path uintptr
		j    uintptr
		stx  sys.Statx_t
		b    [1]byte
	)
	n = len(ops)

	runtime_BeforeFork()
	pid, errno = rawClone(trap, a1, a2, 0)
	if errno != 0 || pid != 0 {
		// The parent: return at once, touching nothing the child may
		// have written on the shared stack.
		return
	}

	// The child. Signal handlers back to their defaults (the runtime's
	// must never run here), the signal mask as it was before the clone.
	runtime_AfterForkInChild()
	for i = 0; i < n; i++ {
		op = &ops[i]
		rep.op = uint32(i + 1)
		e = 0
		switch op.kind {
		case opSys:
			_, _, e = syscall.RawSyscall6(op.nr, op.a[0], op.a[1], op.a[2], op.a[3], op.a[4], op.a[5])
		case opWrite:
			fd, _, e = syscall.RawSyscall6(sys.SYS_OPENAT, atFDCWD, op.a[0], sys.O_WRONLY|sys.O_CLOEXEC, 0, 0, 0)
			if e == 0 {
				r1, _, e = syscall.RawSyscall(sys.SYS_WRITE, fd, op.a[1], op.a[2])
				if e == 0 && r1 != op.a[2] {
					e = sys.EIO
				}
				syscall.RawSyscall(sys.SYS_CLOSE, fd, 0, 0)
			}
		case opResolve:
			e = sys.ENOENT
			for j = 0; j < uintptr(len(op.ptrs)); j++ {
				if op.a[2] == 0 {
					_, _, e = syscall.RawSyscall6(sys.SYS_STATX, atFDCWD, op.ptrs[j], 0, sys.STATX_TYPE, uintptr(unsafe.Pointer(&stx)), 0)
					if e != 0 || uint32(stx.Mode)&sys.S_IFMT == sys.S_IFDIR {
						e = sys.ENOENT
						continue
					}
				}
				_, _, e = syscall.RawSyscall(sys.SYS_FACCESSAT, atFDCWD, op.ptrs[j], sys.X_OK)
				if e == 0 {
					path = op.ptrs[j]
					break
				}
				if op.a[2] == 0 {
					e = sys.ENOENT
				}
			}
		case opWait:
			r1, _, e = syscall.RawSyscall(sys.SYS_READ, op.a[0], uintptr(unsafe.Pointer(&b[0])), 1)
			if e == 0 && r1 != 1 {
				e = sys.EPIPE
			}
		case opAwait:
			for {
				r1, _, e = syscall.RawSyscall6(sys.SYS_PPOLL, uintptr(unsafe.Pointer(op.poll)), 1, op.a[1], 0, 0, 0)
				if e != sys.EINTR {
					break
				}
			}
			if e == 0 && r1 == 0 {
				e = sys.ETIMEDOUT
			}
		case opParentAlive:
			r1, _, e = syscall.RawSyscall6(sys.SYS_PPOLL, uintptr(unsafe.Pointer(op.poll)), 1, op.a[1], 0, 0, 0)
			if e == 0 && r1 == 1 && op.poll.Revents&sys.POLLHUP != 0 {
				e = sys.ESRCH
			}
		case opFault:
			e = errnoInjected
		case opIfFlags:
			fd, _, e = syscall.RawSyscall(sys.SYS_SOCKET, sys.AF_INET, sys.SOCK_DGRAM|sys.SOCK_CLOEXEC, 0)
			if e == 0 {
				_, _, e = syscall.RawSyscall(sys.SYS_IOCTL, fd, sys.SIOCSIFFLAGS, op.a[0])
				syscall.RawSyscall(sys.SYS_CLOSE, fd, 0, 0)
			}
		case opDropFrom:
			for j = op.a[0]; j < 64; j++ {
				_, _, e = syscall.RawSyscall(sys.SYS_PRCTL, sys.PR_CAPBSET_DROP, j, 0)
				if e != 0 {
					break
				}
			}
			if e == sys.EINVAL {
				e = 0
			}
		case opExec:
			rep.execed = 1
			_, _, e = syscall.RawSyscall(sys.SYS_EXECVE, path, op.a[1], op.a[2])
		default:
			e = sys.EINVAL
		}
		if e != 0 && uintptr(e) != op.ok {
			break
		}
		e = 0
	}
	if e == 0 {
		// Ran out of ops without an execve: a bug, never a launch.
		e = sys.EINVAL
	}
	// What failed goes to the shared page as plain stores; then die
	// without a system call the filter might deny: exit_group if it is
	// allowed, a fault (SIGSEGV, default action) if not.
	rep.errno = uint32(e)
	syscall.RawSyscall(sys.SYS_EXIT_GROUP, 127, 0, 0)
	*nilWord = 1
	for {
	}
}

// atFDCWD is AT_FDCWD as a system call argument.
const atFDCWD = ^uintptr(99) // -100

// forkChild runs spawnChild and returns the runtime to normal in the
// parent.
func forkChild(ops []childOp, rep *childReport, trap, a1, a2 uintptr) (int, syscall.Errno) {
	syscall.ForkLock.Lock()
	pid, errno := spawnChild(ops, rep, trap, a1, a2)
	runtime_AfterFork()
	syscall.ForkLock.Unlock()
	return int(pid), syscall.Errno(errno)
}
