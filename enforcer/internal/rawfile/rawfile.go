// Package rawfile reads and writes small files (cgroupfs, procfs, a
// plan) with plain system calls. os.File would register each with the
// runtime's poller (an epoll instance and its thread on first use, then
// an epoll_ctl pair and two fcntls per file), which a launch pays for and
// never needs: these files never block.
package rawfile

import (
	"os"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// ReadFile is os.ReadFile without the poller; errors are *os.PathError.
func ReadFile(path string) ([]byte, error) {
	fd, err := open(path, sys.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer sys.Close(fd)
	// Sized to the file where stat knows it (a plan), so that it is read
	// into one buffer; procfs and cgroupfs say 0 and are read growing.
	size := 512
	var st sys.Stat_t
	if sys.Fstat(fd, &st) == nil && st.Size > 0 && st.Size < 1<<30 {
		size = int(st.Size) + 1 // +1: EOF in the same read
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := sys.Read(fd, b[len(b):cap(b)])
		if err == sys.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// WriteFile writes data in one write(2), which is what cgroupfs and
// procfs parse; flag adds to O_WRONLY (O_CREAT for a fake tree in tests).
func WriteFile(path string, data []byte, flag int) error {
	fd, err := open(path, sys.O_WRONLY|flag, 0o644)
	if err != nil {
		return err
	}
	n, err := sys.Write(fd, data)
	for err == sys.EINTR {
		n, err = sys.Write(fd, data)
	}
	cerr := sys.Close(fd)
	switch {
	case err != nil:
		return &os.PathError{Op: "write", Path: path, Err: err}
	case n != len(data):
		return &os.PathError{Op: "write", Path: path, Err: sys.EIO}
	case cerr != nil:
		return &os.PathError{Op: "close", Path: path, Err: cerr}
	}
	return nil
}

func open(path string, flag int, perm uint32) (int, error) {
	for {
		fd, err := sys.Open(path, flag|sys.O_CLOEXEC, perm)
		if err == sys.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
