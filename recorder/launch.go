package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/schema/systab"
)

// The launcher's protocol, parent (supervisor) and child (init stage):
//
//	fd 3  pipe, child -> parent  error text; EOF when execve succeeded (close-on-exec) or the child died
//	fd 4  memfd, shared page     word 0: listener fd + 1, stored by the child after the filter is installed
//	                             word 1: errno of a failed execve, stored under the filter
//
// The child cannot send the listener over a socket: once the filter is
// installed every syscall it makes waits for a supervisor that does not yet
// hold the listener. So it only stores the number in shared memory (no
// syscall) and the supervisor takes the fd with pidfd_getfd(2).
const (
	initArgv0 = handoff.RecordInitArgv0
	envInit   = "_PROFILEC_RECORD_INIT"
	errFD     = 3
	wordFD    = 4
	// exitNoNotif is the init stage's status when the kernel (or a
	// filter already in place) refused the user-notification filter.
	exitNoNotif = 125
)

// ErrNoUserNotification is returned, wrapped, by Record with TracerNotify
// where seccomp user notification is unavailable; TracerAuto then records
// through ptrace instead.
var ErrNoUserNotification = errors.New("seccomp user notification is unavailable")

// Tracer says how Record watches syscalls.
type Tracer string

const (
	// TracerAuto uses seccomp user notification where the kernel offers
	// it and ptrace where it does not.
	TracerAuto Tracer = "auto"
	// TracerNotify uses a seccomp filter that reports each syscall
	// through a user-notification listener (Linux 5.8+).
	TracerNotify Tracer = "notify"
	// TracerPtrace stops the tree at each syscall with ptrace(2) (Linux
	// 5.3+ for PTRACE_GET_SYSCALL_INFO): slower, but needs no seccomp.
	TracerPtrace Tracer = "ptrace"
)

// ParseTracer checks a --tracer value.
func ParseTracer(s string) (Tracer, error) {
	switch t := Tracer(s); t {
	case TracerAuto, TracerNotify, TracerPtrace:
		return t, nil
	}
	return "", fmt.Errorf("unknown tracer %q (want auto, notify or ptrace)", s)
}

func isInitStage() bool {
	return len(os.Args) > 1 && os.Args[0] == initArgv0 && os.Getenv(envInit) == "1"
}

func init() {
	if isInitStage() {
		// The filter belongs to the thread that installs it, and only that
		// thread's filter reaches the target through execve.
		runtime.LockOSThread()
	}
}

// Main runs the recorder's init stage and never returns when this process
// is one; otherwise it returns at once. main calls it first, beside
// enforcer.Main.
func Main() {
	if !isInitStage() {
		return
	}
	runInit()
	os.Exit(127)
}

func initFail(err error) {
	msg := []byte(err.Error())
	unix.Write(errFD, msg)
	os.Exit(126)
}

func runInit() {
	if _, err := unix.FcntlInt(errFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		os.Exit(126)
	}
	page, err := unix.Mmap(wordFD, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		initFail(fmt.Errorf("map shared page: %w", err))
	}
	unix.Close(wordFD)
	words := (*[2]uint32)(unsafe.Pointer(&page[0]))

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envInit+"=") {
			env = append(env, kv)
		}
	}
	argv := os.Args[1:]
	exe, err := exec.LookPath(argv[0])
	if err != nil {
		initFail(fmt.Errorf("resolve executable: %w", err))
	}
	path, err := syscall.BytePtrFromString(exe)
	if err != nil {
		initFail(err)
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		initFail(err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		initFail(err)
	}
	// no_new_privs lets an unprivileged user install the filter
	// (seccomp(2)); it is also what exec under the profile will set.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		initFail(fmt.Errorf("set no_new_privs: %w", err))
	}
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF}}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// Between the filter and execve nothing may allocate or grow the
	// stack: each syscall would wait for the supervisor (who ignores the
	// ones before execve, but should not have to).
	debug.SetGCPercent(-1)
	growStack()
	// While a thread waits for the supervisor, a signal ends the wait and
	// the syscall fails with EINTR where it never would without us (fork,
	// say, with a SIGCHLD handler lacking SA_RESTART). WAIT_KILLABLE_RECV
	// (Linux 5.19) closes that window from the moment the supervisor has
	// received the notification; older kernels refuse the flag.
	fd, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_NEW_LISTENER|unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, uintptr(unsafe.Pointer(&fprog)))
	if e == unix.EINVAL {
		fd, _, e = unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	}
	if e != 0 {
		// No filter was installed: reporting is still free. The exit
		// status tells the parent to try ptrace instead (auto).
		msg := []byte(fmt.Sprintf("install seccomp filter with a user-notification listener: %v (needs Linux 5.5+ with seccomp user notification; --tracer ptrace records without it)", e))
		unix.Write(errFD, msg)
		os.Exit(exitNoNotif)
	}
	atomic.StoreUint32(&words[0], uint32(fd)+1)
	_, _, e = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])))
	atomic.StoreUint32(&words[1], uint32(e))
	unix.RawSyscall(unix.SYS_EXIT_GROUP, 127, 0, 0)
}

//go:noinline
func growStack() byte {
	var b [64 << 10]byte
	b[len(b)-1] = 1
	return b[0] + b[len(b)-1]
}

// Options configure a recording run.
type Options struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Env is the command's environment; nil means this process's.
	Env []string
	// Dir is the command's working directory; "" means this process's.
	Dir string
	// InitPath is the binary that runs the init stage (it must call Main
	// first); "" means this executable.
	InitPath string
	// Base, when set, reports whether the base profile allows a call; the
	// recording marks syscalls it did not always allow (Syscall.NotInBase).
	Base func(arch uint32, nr int32, args [6]uint64) bool
	// Recording, when set, is added to instead of a new one (--merge).
	Recording *Recording
	// Tracer picks how syscalls are watched; "" means TracerAuto. Under
	// TracerAuto a Stdin that is not an *os.File may lose what the failed
	// user-notification attempt already read from it.
	Tracer Tracer
}

// Result is the outcome of Record.
type Result struct {
	Recording *Recording
	// ExitCode is the command's exit status, or 128+N when signal N
	// killed it.
	ExitCode int
	// Tracer is the tracer that recorded: TracerNotify or TracerPtrace.
	Tracer Tracer
}

// Record runs argv and every process it starts under a filter that reports
// each syscall to this process (or under ptrace, see Tracer), lets the call
// proceed, and counts it. It returns when every process of the tree has
// exited, or kills the tree when ctx is done.
func Record(ctx context.Context, argv []string, o Options) (*Result, error) {
	if len(argv) == 0 {
		return nil, errors.New("record: no command")
	}
	if o.Tracer == "" {
		o.Tracer = TracerAuto
	}
	if _, err := ParseTracer(string(o.Tracer)); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	switch o.Tracer {
	case TracerPtrace:
		return recordPtrace(ctx, argv, o)
	case TracerNotify:
		return recordNotify(ctx, argv, o)
	}
	if !notifyKernel(kernelVersion()) {
		return recordPtrace(ctx, argv, o)
	}
	res, err := recordNotify(ctx, argv, o)
	if errors.Is(err, ErrNoUserNotification) {
		return recordPtrace(ctx, argv, o)
	}
	return res, err
}

func kernelVersion() string {
	v, _ := systab.KernelVersion()
	return v
}

// notifyKernel reports whether a kernel "major.minor" has all the notify
// path needs (docs/record.md): before 5.8 a listener no process uses
// does not poll POLLHUP, so record could not see the tree end; what fails
// more plainly before that (the filter, pidfd_getfd) auto also falls back
// from. An unknown version is left to the init stage to find out.
func notifyKernel(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 5 || major == 5 && minor >= 8
}

func recordNotify(ctx context.Context, argv []string, o Options) (*Result, error) {
	init := o.InitPath
	if init == "" {
		init = "/proc/self/exe"
	}
	mfd, err := unix.MemfdCreate("profilec-record", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create shared page: %w", err)
	}
	memf := os.NewFile(uintptr(mfd), "profilec-record")
	defer memf.Close()
	if err := unix.Ftruncate(mfd, int64(os.Getpagesize())); err != nil {
		return nil, fmt.Errorf("size shared page: %w", err)
	}
	page, err := unix.Mmap(mfd, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map shared page: %w", err)
	}
	defer unix.Munmap(page)
	words := (*[2]uint32)(unsafe.Pointer(&page[0]))
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create pipe: %w", err)
	}
	defer errR.Close()

	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd := &exec.Cmd{
		Path:       init,
		Args:       append([]string{initArgv0}, argv...),
		Env:        append(append([]string(nil), env...), envInit+"=1"),
		Dir:        o.Dir,
		Stdin:      o.Stdin,
		Stdout:     o.Stdout,
		Stderr:     o.Stderr,
		ExtraFiles: []*os.File{errW, memf},
		// It stays in our process group, so that job control and the
		// terminal's signals reach it as they would any command; and it
		// dies with us rather than wait forever for a supervisor.
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	if err := cmd.Start(); err != nil {
		errW.Close()
		return nil, fmt.Errorf("start init stage: %w", err)
	}
	errW.Close()
	pid := cmd.Process.Pid

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	errText := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(errR)
		errText <- string(b)
	}()
	fail := func(err error) (*Result, error) {
		// Before the listener is ours the child has not reached its
		// target: it is the whole tree.
		_ = unix.Kill(pid, unix.SIGKILL)
		<-waited
		return nil, err
	}

	// Wait for the listener, or for the child to fail before installing it.
	var listenerNr uint32
	for {
		if w := atomic.LoadUint32(&words[0]); w != 0 {
			listenerNr = w - 1
			break
		}
		select {
		case msg := <-errText:
			if atomic.LoadUint32(&words[0]) != 0 {
				// Installed just now; the error pipe closed because the
				// child died after that, which serve will see.
				errText <- msg
				continue
			}
			werr := <-waited
			var ee *exec.ExitError
			if errors.As(werr, &ee) && ee.ExitCode() == exitNoNotif && msg != "" {
				return nil, fmt.Errorf("record: %s: %w", msg, ErrNoUserNotification)
			}
			if msg == "" {
				msg = "init stage died before installing the filter (does " + init + " call recorder.Main first?)"
			}
			return nil, fmt.Errorf("record: %s", msg)
		case <-ctx.Done():
			return fail(fmt.Errorf("record: %w", ctx.Err()))
		case <-time.After(100 * time.Microsecond):
		}
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fail(fmt.Errorf("open pidfd: %w (needs Linux 5.3+): %w", err, ErrNoUserNotification))
	}
	listener, err := unix.PidfdGetfd(pidfd, int(listenerNr), 0)
	unix.Close(pidfd)
	if err != nil {
		// Nothing of the command has run yet: auto may still use ptrace.
		return fail(fmt.Errorf("take seccomp listener from init stage: %w (pidfd_getfd needs Linux 5.6+ and ptrace access to the child): %w", err, ErrNoUserNotification))
	}
	defer unix.Close(listener)

	rec := o.Recording
	if rec == nil {
		rec = NewRecording()
	}
	sv := &supervisor{listener: listener, initPid: uint32(pid), rec: rec, base: o.Base}
	if err := sv.serve(ctx); err != nil {
		<-waited
		return nil, err
	}
	werr := <-waited
	if e := atomic.LoadUint32(&words[1]); e != 0 {
		return nil, fmt.Errorf("record: execute %s: %w", argv[0], syscall.Errno(e))
	}
	if msg := <-errText; msg != "" {
		return nil, fmt.Errorf("record: %s", msg)
	}
	res := &Result{Recording: rec, Tracer: TracerNotify}
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.ExitCode = 128 + int(ws.Signal())
		} else {
			res.ExitCode = ws.ExitStatus()
		}
	default:
		return nil, fmt.Errorf("wait for %s: %w", argv[0], werr)
	}
	return res, nil
}
