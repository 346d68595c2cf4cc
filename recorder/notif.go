package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/schema/systab"
)

// notif is struct seccomp_notif (include/uapi/linux/seccomp.h).
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

const (
	x32Bit       = 0x40000000
	flagContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5)
	// SECCOMP_IOCTL_NOTIF_SET_FLAGS, _IOW('!', 4, __u64), and its one
	// flag, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6); x/sys/unix
	// has neither.
	ioctlNotifSetFlags = 0x40082104
	notifSyncWakeUp    = 1
)

// syncWakeUp asks the kernel to wake the supervisor on the CPU of the
// thread that just blocked on a notification, and to switch to it at once.
// Each call's round trip gets cheaper, and the window in which a signal
// can cut the wait short (docs/record.md) much narrower: beside two busy
// loops, 3 of 1000 recordings of a busybox pipeline failed so, against 19
// of 300 without it. Older kernels refuse the ioctl, which changes nothing
// else.
func syncWakeUp(listener int) {
	_, _, _ = unix.Syscall(unix.SYS_IOCTL, uintptr(listener), ioctlNotifSetFlags, notifSyncWakeUp)
}

type supervisor struct {
	listener int
	initPid  uint32
	calls
	// started is set at the init stage's execve: the calls before it are
	// the recorder's own.
	started bool
	// procs holds a pidfd for each process seen, so that cancelling
	// reaches processes that left the tree (reparented orphans) without
	// risking a recycled pid.
	procs map[uint32]int
}

// track opens a pidfd for a caller seen for the first time. It is blocked
// on us, so the pid is still the caller's; a thread that is not a leader
// has no pidfd of its own (before Linux 6.9) and its leader was seen first.
func (s *supervisor) track(pid uint32) {
	if _, ok := s.procs[pid]; ok {
		return
	}
	if s.procs == nil {
		s.procs = map[uint32]int{}
	}
	if len(s.procs) >= 256 {
		s.prune()
	}
	fd, err := unix.PidfdOpen(int(pid), unix.PIDFD_NONBLOCK)
	if err != nil {
		fd = -1
	}
	s.procs[pid] = fd
}

// prune closes the pidfds of processes that have exited (a pidfd polls
// readable then), so a long recording does not run out of descriptors.
func (s *supervisor) prune() {
	fds := make([]unix.PollFd, 0, len(s.procs))
	pids := make([]uint32, 0, len(s.procs))
	for pid, fd := range s.procs {
		if fd < 0 {
			delete(s.procs, pid)
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		pids = append(pids, pid)
	}
	if _, err := unix.Poll(fds, 0); err != nil {
		return
	}
	for i, f := range fds {
		if f.Revents != 0 {
			unix.Close(int(f.Fd))
			delete(s.procs, pids[i])
		}
	}
}

// killAll kills every process seen that is still alive, and the tree
// under the init stage as /proc shows it.
func (s *supervisor) killAll() {
	for _, fd := range s.procs {
		if fd >= 0 {
			_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
	}
	killTree(int(s.initPid))
}

func (s *supervisor) close() {
	for pid, fd := range s.procs {
		if fd >= 0 {
			unix.Close(fd)
		}
		delete(s.procs, pid)
	}
}

// calls counts the calls a tracer sees into rec.
type calls struct {
	archIndex
	rec  *Recording
	base func(arch uint32, nr int32, args [6]uint64) bool
}

// name is the call's name, "" for one no table knows.
func (c *calls) name(audit uint32, nr int32) string {
	arch, known := c.lookupArch(audit, nr)
	if !known {
		return ""
	}
	name, _ := systab.SyscallName(arch.Name, int(nr))
	return name
}

// count adds a call to the recording: to its syscall's rule, or to the
// numbers no table knows.
func (c *calls) count(audit uint32, nr int32, args [6]uint64) {
	arch, known := c.lookupArch(audit, nr)
	if !known {
		c.rec.Unknown[fmt.Sprintf("audit arch %#x #%d", audit, nr)]++
		return
	}
	c.rec.add(arch, int(nr), args, c.base == nil || !c.base(audit, nr, args))
}

// archIndex finds the table of a call from its AUDIT_ARCH_* value and
// number.
type archIndex struct {
	arches map[uint32]systab.Arch // by audit value, x32 apart
	x32    map[uint32]systab.Arch
}

func (s *archIndex) lookupArch(audit uint32, nr int32) (systab.Arch, bool) {
	if s.arches == nil {
		s.arches, s.x32 = map[uint32]systab.Arch{}, map[uint32]systab.Arch{}
		for _, a := range systab.Arches() {
			m := s.arches
			if a.NrBits != 0 {
				m = s.x32
			}
			if _, dup := m[a.Audit]; !dup && !a.NoTable {
				m[a.Audit] = a
			}
		}
	}
	if uint32(nr)&x32Bit != 0 {
		if a, ok := s.x32[audit]; ok {
			return a, true
		}
	}
	a, ok := s.arches[audit]
	return a, ok
}

// serve answers notifications until no process uses the filter any more
// (the listener polls POLLHUP, Linux 5.8). It never waits on the target: a
// blocked thread waits on us. Once ctx is done it kills the tree and every
// process that still makes a syscall, and reports ctx's error when the
// last one is gone.
func (s *supervisor) serve(ctx context.Context) error {
	defer s.close()
	var cancelled error
	for {
		if cancelled == nil && ctx.Err() != nil {
			cancelled = fmt.Errorf("record: %w", ctx.Err())
			s.killAll()
		}
		fds := []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll seccomp listener: %w", err)
		}
		if n == 0 {
			if cancelled != nil {
				s.killAll()
			}
			continue
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			if err := s.handleOne(cancelled != nil); err != nil {
				return err
			}
			continue
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return cancelled
		}
	}
}

// killTree kills root and its descendants as /proc shows them now. The
// snapshot comes first: a dying process's children move to another parent
// at once. Processes it misses (forked meanwhile, or already reparented)
// die at their next syscall (handleOne).
func killTree(root int) {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[pid] = pp
		}
	}
	in := map[int]bool{root: true}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if in[pp] && !in[pid] {
				in[pid], changed = true, true
			}
		}
	}
	for pid := range in {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

func (s *supervisor) handleOne(kill bool) error {
	var n notif // RECV wants a zeroed buffer
	if err := ioctl(s.listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n)); err != nil {
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ENOENT) {
			// The caller died or was signalled before we got to it.
			return nil
		}
		return fmt.Errorf("receive seccomp notification: %w", err)
	}
	resp := notifResp{ID: n.ID, Flags: flagContinue}
	if kill {
		// The caller is blocked on us, so n.Pid is still the caller.
		_ = unix.Kill(int(n.Pid), unix.SIGKILL)
	} else {
		s.track(n.Pid)
	}
	name := s.name(n.Arch, n.Nr)
	if name == "clone3" {
		// Its flags are in memory, beyond the filter's reach: refuse it
		// as the profile will, so libc falls back to clone and the flags
		// that matter are recorded (and checked later).
		resp = notifResp{ID: n.ID, Error: -int32(unix.ENOSYS)}
	}
	if !s.started && n.Pid == s.initPid && name == "execve" {
		s.started = true
	}
	if s.started && !kill {
		s.count(n.Arch, n.Nr, n.Args)
	}
	if err := ioctl(s.listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); err != nil && !errors.Is(err, unix.ENOENT) {
		// ENOENT: the caller was killed or interrupted meanwhile.
		return fmt.Errorf("answer seccomp notification: %w", err)
	}
	return nil
}

func ioctl(fd int, req uint, p unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
	if e != 0 {
		return e
	}
	return nil
}
