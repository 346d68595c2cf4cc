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

// The init stage's protocol, parent (recorder) and child (init stage):
//
//	fd 3  pipe, child -> parent  error text; EOF when execve succeeded (close-on-exec) or the child died
//	fd 4  memfd, shared page     word 0: listener fd + 1, stored by the child after the filter is installed (notify)
//	                             word 1: errno of a failed execve, stored under the filter
//
// The init stage installs one of two filters, as envInit says: under
// initNotify every syscall waits for a user-notification listener, under
// initTrace every syscall stops for the ptrace tracer (the parent, which
// started the init stage with PTRACE_TRACEME), and argv[1] is the
// executable the parent already resolved.
//
// Under notify the child cannot send the listener over a socket: once the
// filter is installed every syscall it makes waits for a supervisor that
// does not yet hold the listener. So it only stores the number in shared
// memory (no syscall) and the supervisor takes the fd with pidfd_getfd(2).
const (
	initArgv0  = handoff.RecordInitArgv0
	envInit    = "_PROFILEC_RECORD_INIT"
	initNotify = "1"
	initTrace  = "trace"
	errFD      = 3
	wordFD     = 4
	// exitNoFilter is the init stage's status when the kernel (or a
	// filter already in place) refused its seccomp filter.
	exitNoFilter = 125
)

// ErrNoUserNotification is returned, wrapped, by Record with TracerNotify
// where seccomp user notification is unavailable.
var ErrNoUserNotification = errors.New("seccomp user notification is unavailable")

var (
	// errNoFilter: the init stage could not install the ptrace tracer's
	// seccomp filter; syscall stops do without it.
	errNoFilter = errors.New("seccomp filters are unavailable")
	// errNoPtrace: the command could not be started under ptrace.
	errNoPtrace = errors.New("ptrace is refused")
)

// Tracer says how Record watches syscalls.
type Tracer string

const (
	// TracerAuto uses ptrace, and seccomp user notification where ptrace
	// is refused. Where ptrace cannot answer clone3 (every architecture
	// but amd64) it uses notify first, and ptrace where notify is
	// unavailable.
	TracerAuto Tracer = "auto"
	// TracerNotify uses a seccomp filter that reports each syscall
	// through a user-notification listener (Linux 5.8+). A signal that
	// reaches a thread before profilec has received its notification
	// makes the call fail with EINTR (docs/record.md).
	TracerNotify Tracer = "notify"
	// TracerPtrace traces the tree with ptrace(2) (Linux 5.3+ for
	// PTRACE_GET_SYSCALL_INFO). A seccomp filter returning
	// SECCOMP_RET_TRACE stops each call once; where no filter can be
	// installed, each call stops at its entry and its exit.
	TracerPtrace Tracer = "ptrace"
)

// noPtraceFilter makes TracerPtrace use syscall stops even where the
// filter could be installed (tests).
var noPtraceFilter bool

// ParseTracer checks a --tracer value.
func ParseTracer(s string) (Tracer, error) {
	switch t := Tracer(s); t {
	case TracerAuto, TracerNotify, TracerPtrace:
		return t, nil
	}
	return "", fmt.Errorf("unknown tracer %q (want auto, notify or ptrace)", s)
}

// initMode is initNotify or initTrace in the init stage, "" elsewhere.
func initMode() string {
	if len(os.Args) < 2 || os.Args[0] != initArgv0 {
		return ""
	}
	switch m := os.Getenv(envInit); m {
	case initNotify, initTrace:
		return m
	}
	return ""
}

func isInitStage() bool { return initMode() != "" }

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
	runInit(initMode())
	os.Exit(127)
}

func initFail(err error) {
	msg := []byte(err.Error())
	unix.Write(errFD, msg)
	os.Exit(126)
}

func runInit(mode string) {
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
	var exe string
	if mode == initTrace {
		exe, argv = argv[0], argv[1:]
	} else if exe, err = exec.LookPath(argv[0]); err != nil {
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
	ret, flags := uint32(unix.SECCOMP_RET_USER_NOTIF), uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
	if mode == initTrace {
		// The tracer set PTRACE_O_TRACESECCOMP at this process's first
		// stop, before the runtime started: each call stops for it.
		ret, flags = unix.SECCOMP_RET_TRACE, 0
	}
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: ret}}
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
	// received the notification; older kernels refuse the flag. A ptrace
	// stop has no such window.
	killable := uintptr(0)
	if mode == initNotify {
		killable = unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	}
	fd, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags|killable, uintptr(unsafe.Pointer(&fprog)))
	if e == unix.EINVAL && killable != 0 {
		fd, _, e = unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	}
	if e != 0 {
		// No filter was installed: reporting is still free. The exit
		// status tells the parent to try another tracer (auto).
		msg := fmt.Sprintf("install seccomp filter with a user-notification listener: %v (needs Linux 5.5+ with seccomp user notification; --tracer ptrace records without it)", e)
		if mode == initTrace {
			msg = fmt.Sprintf("install seccomp filter for the ptrace tracer: %v", e)
		}
		unix.Write(errFD, []byte(msg))
		os.Exit(exitNoFilter)
	}
	if mode == initNotify {
		atomic.StoreUint32(&words[0], uint32(fd)+1)
	}
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
	// Tracer picks how syscalls are watched; "" means TracerAuto.
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
	// SyscallStops: TracerPtrace recorded without its seccomp filter.
	SyscallStops bool
	// Fallback, when set, says why the tracer is not the first choice
	// (auto's ptrace, or ptrace's filter), in a sentence for the user.
	Fallback string
}

// Record runs argv and every process it starts under a seccomp filter that
// reports each syscall to this process (through ptrace or a user
// notification, see Tracer), lets the call proceed, and counts it. It returns when every process of the tree has
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
	if o.Tracer == TracerNotify {
		return recordNotify(ctx, argv, o)
	}
	if o.Tracer == TracerAuto && !ptraceRefusesClone3 && notifyKernel(kernelVersion()) {
		// Here ptrace could not answer clone3 ENOSYS and would fail the
		// recording of most programs: notify first.
		res, err := recordNotify(ctx, argv, o)
		if !errors.Is(err, ErrNoUserNotification) {
			return res, err
		}
		pres, perr := recordPtraceAny(ctx, argv, o)
		if perr != nil {
			return nil, perr
		}
		why := fallback(err, ErrNoUserNotification) + "; recorded through ptrace"
		if pres.Fallback != "" {
			why += "; " + pres.Fallback
		}
		pres.Fallback = why
		return pres, nil
	}
	res, err := recordPtraceAny(ctx, argv, o)
	if o.Tracer == TracerAuto && errors.Is(err, errNoPtrace) && notifyKernel(kernelVersion()) {
		// Nothing of the command has run: its start failed.
		nres, nerr := recordNotify(ctx, argv, o)
		if nerr != nil {
			return nil, fmt.Errorf("%w; and through user notification: %w", err, nerr)
		}
		nres.Fallback = fallback(err, errNoPtrace) + "; recorded through seccomp user notification, where a signal can interrupt a call that waits for profilec (docs/record.md)"
		return nres, nil
	}
	return res, err
}

// recordPtraceAny records through ptrace, with the seccomp filter where it
// can be installed and with syscall stops where not.
func recordPtraceAny(ctx context.Context, argv []string, o Options) (*Result, error) {
	if noPtraceFilter {
		return recordPtrace(ctx, argv, o, false)
	}
	res, err := recordPtrace(ctx, argv, o, true)
	if !errors.Is(err, errNoFilter) {
		return res, err
	}
	// The init stage failed before its execve: nothing of the command
	// ran, and nothing read its input.
	res, serr := recordPtrace(ctx, argv, o, false)
	if serr != nil {
		return nil, serr
	}
	res.Fallback = fallback(err, errNoFilter) + "; recorded through ptrace syscall stops, two per call"
	return res, nil
}

// fallback is err's text for Result.Fallback: what failed, without the
// prefix and the sentinel.
func fallback(err, sentinel error) string {
	return strings.TrimPrefix(strings.TrimSuffix(err.Error(), ": "+sentinel.Error()), "record: ")
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

// initStage holds the parent's side of the init stage's fd 3 and fd 4.
type initStage struct {
	memf       *os.File
	page       []byte
	words      *[2]uint32
	errR, errW *os.File
}

func newInitStage() (*initStage, error) {
	mfd, err := unix.MemfdCreate("profilec-record", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create shared page: %w", err)
	}
	s := &initStage{memf: os.NewFile(uintptr(mfd), "profilec-record")}
	if err := unix.Ftruncate(mfd, int64(os.Getpagesize())); err != nil {
		s.close()
		return nil, fmt.Errorf("size shared page: %w", err)
	}
	if s.page, err = unix.Mmap(mfd, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
		s.close()
		return nil, fmt.Errorf("map shared page: %w", err)
	}
	s.words = (*[2]uint32)(unsafe.Pointer(&s.page[0]))
	if s.errR, s.errW, err = os.Pipe(); err != nil {
		s.close()
		return nil, fmt.Errorf("create pipe: %w", err)
	}
	return s, nil
}

// command is the init stage running argv under mode's filter. It stays in
// our process group, so that job control and the terminal's signals reach
// it as they would any command; and it dies with us rather than wait
// forever for a supervisor.
func (s *initStage) command(mode string, argv []string, o Options) *exec.Cmd {
	init := o.InitPath
	if init == "" {
		init = "/proc/self/exe"
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	return &exec.Cmd{
		Path:        init,
		Args:        append([]string{initArgv0}, argv...),
		Env:         append(append([]string(nil), env...), envInit+"="+mode),
		Dir:         o.Dir,
		Stdin:       o.Stdin,
		Stdout:      o.Stdout,
		Stderr:      o.Stderr,
		ExtraFiles:  []*os.File{s.errW, s.memf},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
}

// started closes the child's end of the error pipe and reads the pipe to
// its end, which comes when the init stage has exec'd or died.
func (s *initStage) started() chan string {
	s.errW.Close()
	s.errW = nil
	text := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(s.errR)
		text <- string(b)
	}()
	return text
}

func (s *initStage) close() {
	if s.page != nil {
		unix.Munmap(s.page)
	}
	for _, f := range []*os.File{s.memf, s.errR, s.errW} {
		if f != nil {
			f.Close()
		}
	}
}

func recordNotify(ctx context.Context, argv []string, o Options) (*Result, error) {
	st, err := newInitStage()
	if err != nil {
		return nil, err
	}
	defer st.close()
	words := st.words
	cmd := st.command(initNotify, argv, o)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start init stage: %w", err)
	}
	errText := st.started()
	pid := cmd.Process.Pid

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
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
			if errors.As(werr, &ee) && ee.ExitCode() == exitNoFilter && msg != "" {
				return nil, fmt.Errorf("record: %s: %w", msg, ErrNoUserNotification)
			}
			if msg == "" {
				msg = "init stage died before installing the filter (does " + cmd.Path + " call recorder.Main first?)"
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
	syncWakeUp(listener)

	rec := o.Recording
	if rec == nil {
		rec = NewRecording()
	}
	sv := &supervisor{listener: listener, initPid: uint32(pid), calls: calls{rec: rec, base: o.Base}}
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
