package recorder

import (
	"context"
	"errors"
	"fmt"
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
)

type supervisor struct {
	listener int
	initPid  uint32
	rec      *Recording
	base     func(arch uint32, nr int32, args [6]uint64) bool
	// started is set at the init stage's execve: the calls before it are
	// the recorder's own.
	started bool
	arches  map[uint32]systab.Arch // by audit value, x32 apart
	x32     map[uint32]systab.Arch
}

func (s *supervisor) lookupArch(audit uint32, nr int32) (systab.Arch, bool) {
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
// (the listener polls POLLHUP, Linux 5.8) or ctx is done. It never waits
// on the target: a blocked thread waits on us.
func (s *supervisor) serve(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		fds := []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll seccomp listener: %w", err)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			if err := s.handleOne(); err != nil {
				return err
			}
			continue
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return nil
		}
	}
}

func (s *supervisor) handleOne() error {
	var n notif // RECV wants a zeroed buffer
	if err := ioctl(s.listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n)); err != nil {
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ENOENT) {
			// The caller died or was signalled before we got to it.
			return nil
		}
		return fmt.Errorf("receive seccomp notification: %w", err)
	}
	resp := notifResp{ID: n.ID, Flags: flagContinue}
	arch, known := s.lookupArch(n.Arch, n.Nr)
	name := ""
	if known {
		name, _ = systab.SyscallName(arch.Name, int(n.Nr))
	}
	if name == "clone3" {
		// Its flags are in memory, beyond the filter's reach: refuse it
		// as the profile will, so libc falls back to clone and the flags
		// that matter are recorded (and checked later).
		resp = notifResp{ID: n.ID, Error: -int32(unix.ENOSYS)}
	}
	if !s.started && n.Pid == s.initPid && name == "execve" {
		s.started = true
	}
	if s.started {
		switch {
		case known:
			s.rec.add(arch, int(n.Nr), n.Args, s.base == nil || !s.base(n.Arch, n.Nr, n.Args))
		default:
			s.rec.Unknown[fmt.Sprintf("audit arch %#x #%d", n.Arch, n.Nr)]++
		}
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
