package enforcer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// initArgv0 and envInitFD together mark the re-executed init stage.
	// Both are set only by Run; a user running "profilec-init" by hand
	// without the fd gets the ordinary CLI.
	initArgv0 = "profilec-init"
	envInitFD = "_PROFILEC_INIT_FD"
	initFD    = 3
	execFD    = 4 // the shared exec word's memfd
)

func isInitStage() bool {
	return len(os.Args) > 0 && os.Args[0] == initArgv0 && os.Getenv(envInitFD) == strconv.Itoa(initFD)
}

func init() {
	if isInitStage() {
		// Locking in an init function keeps the main goroutine on the main
		// thread from the start: credentials, capabilities and the seccomp
		// filter are per-thread, and execve must come from that thread.
		runtime.LockOSThread()
	}
}

// Main runs the init stage and never returns when this process is one; in
// any other process it returns at once. main calls it before anything else.
func Main() {
	if !isInitStage() {
		return
	}
	runInit()
	os.Exit(1) // not reached: runInit execs or exits
}

type initStage struct {
	sock fdRW
	cfg  initConfig
}

func (s *initStage) fail(step string, err error) {
	_ = writeMsg(s.sock, msgError, stepError{Step: step, Err: err.Error()})
	os.Exit(1)
}

// step runs f as the named step, failing the stage when f fails or when
// the test harness injected a fault there.
func (s *initStage) step(name string, f func() error) {
	if s.cfg.Fault == name {
		s.fail(name, errInjected)
	}
	if err := f(); err != nil {
		s.fail(name, err)
	}
}

var errInjected = errors.New("injected fault")

// initComm is the init stage's task name, NUL-terminated for PR_SET_NAME.
var initComm = []byte(initArgv0 + "\x00")

func runInit() {
	s := &initStage{sock: fdRW(initFD)}
	// execve replaces the name with the target's: a zombie that still
	// bears this one died before its execve (see runner.diedBeforeExec).
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&initComm[0])), 0, 0, 0)
	// The socket must not reach the target: with close-on-exec its EOF is
	// how the parent learns that execve succeeded.
	if _, err := unix.FcntlInt(initFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		os.Exit(1)
	}
	t, p, err := readMsg(s.sock)
	if err != nil || t != msgConfig {
		// The parent went away or broke the protocol: nothing to report to.
		os.Exit(1)
	}
	if err := json.Unmarshal(p, &s.cfg); err != nil {
		s.fail("sync", fmt.Errorf("decode config: %w", err))
	}
	if s.cfg.Protocol != protocolVersion {
		s.fail("sync", fmt.Errorf("init stage speaks protocol %d, the supervisor %d: install matching profilec and profilec-init", protocolVersion, s.cfg.Protocol))
	}
	if s.cfg.Plan == nil || len(s.cfg.Argv) == 0 {
		s.fail("sync", errors.New("config without plan or command"))
	}
	pl := s.cfg.Plan
	ns := pl.Namespaces

	if len(s.cfg.JoinFiles) > 0 || s.cfg.Fault == "cgroup-join" {
		// First of all: everything after this, and the target, runs in
		// the cgroup. Only this thread moves, and only it reaches execve
		// (the others die in de_thread); being the thread group leader
		// it also owns the mm the memory controller charges.
		s.step("cgroup-join", func() error {
			for _, f := range s.cfg.JoinFiles {
				if err := writeString(f, "0"); err != nil {
					return fmt.Errorf("join cgroup: %w", err)
				}
			}
			return nil
		})
	}
	if s.cfg.UnshareCgroupNS {
		// After cgroup-join, so the namespace's root is the run's own
		// cgroup (cgroup_namespaces(7)), as runc does it on v1.
		s.step("cgroupns", func() error {
			return wrap("unshare cgroup namespace", unix.Unshare(unix.CLONE_NEWCGROUP))
		})
	}
	if ns.UTS {
		// Only in a new UTS namespace: otherwise this would rename the host.
		s.step("hostname", func() error {
			if ns.Hostname == "" {
				return nil
			}
			return wrap("set hostname", unix.Sethostname([]byte(ns.Hostname)))
		})
	}
	if ns.Mount {
		// A new mount namespace starts as a copy that still shares
		// propagation with the host's mounts (shared subtrees,
		// Documentation/filesystems/sharedsubtree.rst): anything mounted
		// before "/" is made private would propagate back to the host.
		s.step("mount-private", func() error {
			return wrap("make / rprivate", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
		})
		if ns.PID {
			// /proc shows the pid namespace of whoever mounted it; the
			// inherited one would show (and let the target signal by
			// number) the host's processes.
			s.step("mount-proc", func() error {
				return wrap("mount /proc", unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""))
			})
		}
	}
	// Rlimits before the uid change: raising a hard limit needs
	// CAP_SYS_RESOURCE, which a non-root target will not have.
	s.step("rlimits", func() error {
		for _, r := range pl.Rlimits {
			res, err := rlimitResource(r.Name)
			if err != nil {
				return err
			}
			lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
			if err := unix.Prlimit(0, res, &lim, nil); err != nil {
				return fmt.Errorf("set rlimit %s: %w", r.Name, err)
			}
		}
		return nil
	})

	bnd, err := capMask(pl.Capabilities.Bounding)
	if err != nil {
		s.fail("capabilities-bounding", err)
	}
	eff, err1 := capMask(pl.Capabilities.Effective)
	perm, err2 := capMask(pl.Capabilities.Permitted)
	inh, err3 := capMask(pl.Capabilities.Inheritable)
	amb, err4 := capMask(pl.Capabilities.Ambient)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		s.fail("capabilities", err)
	}
	lastCap := readLastCap()
	// The bounding set first, while CAP_SETPCAP is still effective: the
	// uid change below clears the effective set.
	s.step("capabilities-bounding", func() error {
		for c := 0; c <= lastCap; c++ {
			if bnd&(1<<c) != 0 {
				continue
			}
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
				return fmt.Errorf("drop capability %d from bounding set: %w", c, err)
			}
		}
		return nil
	})
	// PR_SET_KEEPCAPS keeps the permitted set across setuid from 0 to
	// non-zero (capabilities(7)); execve clears the flag again.
	s.step("keepcaps", func() error {
		return wrap("set keepcaps", unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0))
	})
	if u := pl.User; u != nil {
		// Raw per-thread calls: the libc/Go wrappers apply credentials to
		// all threads, and only this thread's credentials reach execve.
		s.step("groups", func() error {
			if s.cfg.SetgroupsDenied {
				if len(u.Groups) > 0 {
					return errors.New("set groups: denied in a user namespace created without privilege")
				}
				return nil
			}
			gs := make([]uint32, len(u.Groups))
			copy(gs, u.Groups)
			var ptr unsafe.Pointer
			if len(gs) > 0 {
				ptr = unsafe.Pointer(&gs[0])
			}
			if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gs)), uintptr(ptr), 0); e != 0 {
				return fmt.Errorf("set groups: %w", e)
			}
			return nil
		})
		s.step("gid", func() error {
			if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
				return fmt.Errorf("set gid %d: %w", u.GID, e)
			}
			return nil
		})
		s.step("uid", func() error {
			if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
				return fmt.Errorf("set uid %d: %w", u.UID, e)
			}
			return nil
		})
	}
	// Installing a filter without no_new_privs needs CAP_SYS_ADMIN
	// (seccomp(2)); keep it in the effective set until execve recomputes
	// the sets from bounding, inheritable and ambient (capabilities(7)).
	extra := uint64(0)
	if pl.Seccomp != nil && !pl.NoNewPrivileges {
		extra = 1 << unix.CAP_SYS_ADMIN
	}
	s.step("capabilities", func() error {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		e, p, i := eff|extra, perm|eff|extra, inh
		data[0] = unix.CapUserData{Effective: uint32(e), Permitted: uint32(p), Inheritable: uint32(i)}
		data[1] = unix.CapUserData{Effective: uint32(e >> 32), Permitted: uint32(p >> 32), Inheritable: uint32(i >> 32)}
		return wrap("set capabilities", unix.Capset(&hdr, &data[0]))
	})
	s.step("ambient", func() error {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("clear ambient capabilities: %w", err)
		}
		for c := 0; c <= lastCap; c++ {
			if amb&(1<<c) == 0 {
				continue
			}
			if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
				return fmt.Errorf("raise ambient capability %d: %w", c, err)
			}
		}
		return nil
	})
	if pl.NoNewPrivileges {
		s.step("no-new-privs", func() error {
			return wrap("set no_new_privs", unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		})
	}

	// Everything execve and seccomp need is computed now, so that between
	// the filter and execve nothing allocates (an mmap) or otherwise
	// enters the kernel.
	var (
		path        *byte
		argv, envp  []*byte
		prog        []unix.SockFilter
		fprog       unix.SockFprog
		flags       uintptr
		haveSeccomp = pl.Seccomp != nil
	)
	s.step("resolve", func() error {
		exe, err := lookPath(s.cfg.Argv[0], s.cfg.Env)
		if err != nil {
			return err
		}
		if path, err = syscall.BytePtrFromString(exe); err != nil {
			return err
		}
		if argv, err = syscall.SlicePtrFromStrings(s.cfg.Argv); err != nil {
			return err
		}
		envp, err = syscall.SlicePtrFromStrings(s.cfg.Env)
		return err
	})
	if haveSeccomp {
		s.step("seccomp-prepare", func() error {
			var err error
			if flags, err = seccompFlags(pl.Seccomp.Flags); err != nil {
				return err
			}
			if prog, err = decodeFilter(s.cfg.Filter); err != nil {
				return fmt.Errorf("prepare seccomp: %w", err)
			}
			if len(prog) == 0 || len(prog) > 4096 {
				return fmt.Errorf("prepare seccomp: program of %d instructions (want 1..4096)", len(prog))
			}
			fprog = unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
			return nil
		})
	}
	var word *uint32
	s.step("exec-word", func() error {
		b, err := unix.Mmap(execFD, 0, execWordSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("map exec word: %w", err)
		}
		unix.Close(execFD)
		word = (*uint32)(unsafe.Pointer(&b[0]))
		return nil
	})
	// A fault after a failed execve must kill the process outright: the Go
	// runtime's handler would need syscalls the filter may deny.
	s.step("exec-word", func() error {
		var dfl [4]uintptr // struct kernel_sigaction with sa_handler SIG_DFL
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSEGV), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
			return fmt.Errorf("reset SIGSEGV: %w", e)
		}
		return nil
	})

	// RawSyscall is ordinary Go code with a stack check: had it to grow
	// the stack between the filter and execve, the runtime might mmap
	// under the filter. Grow it now, and keep the collector (which
	// shrinks stacks) from running until execve.
	debug.SetGCPercent(-1)
	growStack()

	s.step("sync", func() error {
		if err := writeMsg(s.sock, msgReady, nil); err != nil {
			return err
		}
		t, _, err := readMsg(s.sock)
		if err != nil {
			return err
		}
		if t != msgGo {
			return fmt.Errorf("sync: want go message, got %v", t)
		}
		return nil
	})
	if s.cfg.Fault == "seccomp" {
		s.fail("seccomp", errInjected)
	}

	if haveSeccomp {
		// Last step: the filter sees execve and nothing else of ours.
		if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog))); e != 0 {
			s.fail("seccomp", fmt.Errorf("install seccomp filter: %w", e))
		}
	}
	var e syscall.Errno
	if s.cfg.Fault == "execve" {
		e = unix.ENOEXEC
	} else {
		_, _, e = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envp[0])))
	}
	// execve failed under the filter: record why with a memory store and
	// die without another syscall the filter might deny (see sync.go).
	atomic.StoreUint32(word, uint32(e))
	unix.RawSyscall(unix.SYS_EXIT_GROUP, 127, 0, 0)
	*nilWord = 1
	for {
	}
}

// growStack uses a large frame once, so that the goroutine's stack is
// big enough for anything the last two raw syscalls need.
//
//go:noinline
func growStack() byte {
	var b [64 << 10]byte
	b[len(b)-1] = 1
	return b[0] + b[len(b)-1]
}

// nilWord is a nil pointer the compiler cannot prove nil: storing through
// it faults for real rather than being compiled into a runtime panic.
var nilWord *uint32

func writeString(path, val string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	_, err = unix.Write(fd, []byte(val))
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func readLastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return n
		}
	}
	return unix.CAP_LAST_CAP
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath resolves name the way execvp(3) would for the target: against
// the target's PATH, checked with the target's credentials (faccessat
// uses the real uid, already switched).
func lookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", errors.New("resolve executable: empty command")
	}
	if strings.Contains(name, "/") {
		if err := unix.Access(name, unix.X_OK); err != nil {
			return "", fmt.Errorf("resolve executable %s: %w", name, err)
		}
		return name, nil
	}
	path := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil || st.Mode&unix.S_IFMT == unix.S_IFDIR {
			continue
		}
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("resolve executable %s: not found in PATH", name)
}
