package enforcer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
)

// The parent (supervisor) and child (init stage) talk over one
// SOCK_STREAM socketpair, fd 3 in the child, close-on-exec there. Every
// message is a frame: type (1 byte), payload length (4 bytes, little
// endian), payload.
//
//	dir  message        payload    meaning
//	P→C  msgConfig      initConfig the cgroup is joined; start the steps
//	C→P  msgReady       -          every step but seccomp+execve is done
//	P→C  msgGo          -          pids.max is set; install the filter, exec
//	C→P  msgError       stepError  a step failed; the child exits, no exec
//	C→P  EOF            -          execve succeeded (close-on-exec fired),
//	                               or the child died: see the exec word
//
// After msgGo the child may not be allowed any syscall but execve, so it
// cannot be asked to say how execve went. Success needs no syscall of
// ours: the kernel closes the socket at execve. Failure is written as a
// plain memory store into a shared page (a memfd, fd 4 in the child,
// mapped by both sides): the "exec word" holds the errno. The child then
// dies by exit_group or, if the filter denies even that, by a fault with
// SIGSEGV reset to its default action, so the parent always gets EOF.
type msgType byte

const (
	msgConfig msgType = iota + 1
	msgReady
	msgGo
	msgError
)

func (t msgType) String() string {
	switch t {
	case msgConfig:
		return "config"
	case msgReady:
		return "ready"
	case msgGo:
		return "go"
	case msgError:
		return "error"
	}
	return fmt.Sprintf("msg(%d)", byte(t))
}

// maxFrame bounds what either side will allocate for one payload: a plan
// with a 4096-instruction program is well under 1 MiB of JSON.
const maxFrame = 16 << 20

// protocolVersion changes whenever a message changes meaning, so a
// separately installed init stage of another version refuses to run
// instead of misreading the plan.
const protocolVersion = 2

// initConfig is everything the init stage needs; it never reads the
// environment or the command line for it.
type initConfig struct {
	Protocol int        `json:"protocol"`
	Plan     *plan.Plan `json:"plan"`
	Argv     []string   `json:"argv"`
	Env      []string   `json:"env"`
	// SetgroupsDenied is true when the user namespace was created by an
	// unprivileged user: the kernel then demands "deny" in
	// /proc/PID/setgroups before gid_map can be written.
	SetgroupsDenied bool `json:"setgroupsDenied,omitempty"`
	// JoinFiles are cgroup v1 "tasks" files to write "0" to: the stage
	// moves its own (exec) thread into the cgroup.
	JoinFiles []string `json:"joinFiles,omitempty"`
	// UnshareCgroupNS asks the stage to create its cgroup namespace
	// itself: it was moved into its cgroup after clone (cgroup v1), and a
	// namespace created at clone would be rooted at the old cgroup.
	UnshareCgroupNS bool   `json:"unshareCgroupNS,omitempty"`
	Fault           string `json:"fault,omitempty"`
	// Filter is the plan's seccomp program as struct sock_filter bytes
	// (8 per instruction, native byte order), sent in place of
	// Plan.Seccomp.Program: a few kilobytes of base64 decode in
	// microseconds, where the same instructions as JSON objects took the
	// init stage's decoder a fifth of a millisecond of every launch.
	Filter []byte `json:"filter,omitempty"`
}

// encodeFilter turns a program into the bytes of its struct sock_filter array.
func encodeFilter(prog []plan.Instruction) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = binary.NativeEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.NativeEndian.AppendUint32(b, in.K)
	}
	return b
}

// decodeFilter is encodeFilter's inverse.
func decodeFilter(b []byte) ([]unix.SockFilter, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("seccomp program of %d bytes is not whole instructions", len(b))
	}
	prog := make([]unix.SockFilter, len(b)/8)
	for i := range prog {
		x := b[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(x), Jt: x[2], Jf: x[3], K: binary.NativeEndian.Uint32(x[4:])}
	}
	return prog, nil
}

type stepError struct {
	Step string `json:"step"`
	Err  string `json:"err"`
}

// fdRW reads and writes an fd with plain read(2)/write(2), bypassing the
// runtime poller so the init stage opens no epoll fd of its own.
type fdRW int

func (f fdRW) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(f), p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f fdRW) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(int(f), p[done:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

func frame(t msgType, payload []byte) []byte {
	b := make([]byte, 5+len(payload))
	b[0] = byte(t)
	binary.LittleEndian.PutUint32(b[1:5], uint32(len(payload)))
	copy(b[5:], payload)
	return b
}

func writeMsg(w io.Writer, t msgType, v any) error {
	var payload []byte
	if v != nil {
		var err error
		if payload, err = json.Marshal(v); err != nil {
			return fmt.Errorf("encode %v message: %w", t, err)
		}
	}
	if _, err := w.Write(frame(t, payload)); err != nil {
		return fmt.Errorf("send %v message: %w", t, err)
	}
	return nil
}

// readMsg returns io.EOF only for a clean EOF before a frame starts.
func readMsg(r io.Reader) (msgType, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("read message header: %w", err)
	}
	n := binary.LittleEndian.Uint32(h[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("read message: payload of %d bytes exceeds %d", n, maxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, fmt.Errorf("read %v message: %w", msgType(h[0]), err)
	}
	return msgType(h[0]), p, nil
}
