package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/schema/systab"
)

// syscallInfo is struct ptrace_syscall_info (include/uapi/linux/ptrace.h,
// Linux 5.3). At an entry stop Nr and Args are entry.nr and entry.args.
type syscallInfo struct {
	Op      uint8
	_       uint8
	Flags   uint16
	Arch    uint32 // AUDIT_ARCH_*: an int 0x80 call from x86_64 reads i386
	IP      uint64
	SP      uint64
	Nr      uint64
	Args    [6]uint64
	RetData uint32
	_       uint32
}

const ptraceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
	unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL

// ptask is what the tracer knows of one traced thread.
type ptask struct {
	// stopPending: the SIGSTOP every auto-attached task starts with has
	// not been seen yet; it is the tracer's, not the program's.
	stopPending bool
	// refused: its clone3 was turned into no syscall at entry, so its
	// exit stop must set the result to -ENOSYS.
	refused bool
	// inSyscall: the last syscall stop was an entry, so the next one is
	// its exit, which needs no PTRACE_GET_SYSCALL_INFO unless refused.
	// Each info read sets it from the op the kernel gives.
	inSyscall bool
}

type ptracer struct {
	calls
	// filter: the command runs under a SECCOMP_RET_TRACE filter, so calls
	// are seen at seccomp stops and tasks resume with PTRACE_CONT.
	filter bool
	// optionsSet: the first stop of the main task has been seen and the
	// options set. started: the command's own execve has been seen
	// (under the filter, the init stage's calls before it are not the
	// command's).
	optionsSet, started bool
	mainPid             int
	// mu guards tasks, which the ctx watcher reads to kill the tree.
	mu        sync.Mutex
	tasks     map[int]*ptask
	cancelled atomic.Bool
}

// recordPtrace is Record through ptrace(2). Every ptrace request must come
// from the thread that is the tracer: one goroutine, locked to its thread,
// starts the command (PTRACE_TRACEME in the child, so that thread is its
// tracer) and runs the whole wait loop. It never unlocks: should anything
// still be traced when it returns, the thread's exit kills it
// (PTRACE_O_EXITKILL).
//
// With filter, the child is the init stage, which installs a seccomp
// filter returning SECCOMP_RET_TRACE for every call and execs the command:
// each call then stops once, at a seccomp stop, instead of at its entry
// and its exit. The error wraps errNoFilter when the filter could not be
// installed, before anything of the command ran.
func recordPtrace(ctx context.Context, argv []string, o Options, filter bool) (*Result, error) {
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	exe, err := lookPathIn(argv[0], env)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	rec := o.Recording
	if rec == nil {
		rec = NewRecording()
	}
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   argv,
		Env:    env,
		Dir:    o.Dir,
		Stdin:  o.Stdin,
		Stdout: o.Stdout,
		Stderr: o.Stderr,
		// Pdeathsig follows the parent thread, which stays ours until
		// the end.
		SysProcAttr: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	}
	t := &ptracer{calls: calls{rec: rec, base: o.Base}, tasks: map[int]*ptask{}, filter: filter}
	var st *initStage
	if filter {
		if st, err = newInitStage(); err != nil {
			return nil, err
		}
		defer st.close()
		cmd = st.command(initTrace, append([]string{exe}, argv...), o)
		cmd.SysProcAttr.Ptrace = true
	}
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		runtime.LockOSThread()
		res, err := t.run(ctx, cmd)
		done <- outcome{res, err}
	}()
	out := <-done
	if !filter {
		return out.res, out.err
	}
	// The tree is gone, and the init stage's end of the pipe with it
	// (closed at its execve, or at its exit): what it wrote is buffered.
	st.errW.Close()
	st.errW = nil
	b, _ := io.ReadAll(st.errR)
	msg := string(b)
	switch {
	case out.err != nil:
		return nil, out.err
	case !t.started && out.res.ExitCode == exitNoFilter && msg != "":
		return nil, fmt.Errorf("record: %s: %w", msg, errNoFilter)
	case !t.started:
		if msg == "" {
			msg = "init stage died before its execve (does " + cmd.Path + " call recorder.Main first?)"
		}
		return nil, fmt.Errorf("record: %s", msg)
	}
	if e := atomic.LoadUint32(&st.words[1]); e != 0 {
		return nil, fmt.Errorf("record: execute %s: %w", argv[0], syscall.Errno(e))
	}
	if msg != "" {
		return nil, fmt.Errorf("record: %s", msg)
	}
	return out.res, nil
}

// lookPathIn resolves file as execve through the command's own PATH would
// (the notify path resolves it in the init stage, under that environment).
func lookPathIn(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("resolve executable: %s: %w", file, exec.ErrNotFound)
}

func (t *ptracer) run(ctx context.Context, cmd *exec.Cmd) (*Result, error) {
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSYS) {
			// PTRACE_TRACEME refused (Yama's ptrace_scope, a filter,
			// a kernel without ptrace).
			err = fmt.Errorf("start under ptrace: %w: %w", err, errNoPtrace)
		}
		return nil, fmt.Errorf("record: %w", err)
	}
	t.mainPid = cmd.Process.Pid
	t.tasks[t.mainPid] = &ptask{}
	quit := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			t.cancelled.Store(true)
			t.killAll()
		case <-quit:
		}
	}()
	code, err := t.loop()
	close(quit)
	// The loop reaped the command, so Wait fails; it still waits for the
	// goroutines that copy the command's input and output.
	_ = cmd.Wait()
	if err != nil {
		return nil, err
	}
	if t.cancelled.Load() {
		return nil, fmt.Errorf("record: %w", ctx.Err())
	}
	return &Result{Recording: t.rec, ExitCode: code, Tracer: TracerPtrace, SyscallStops: !t.filter}, nil
}

// killAll kills every task traced. A task is forgotten only once this
// thread has waited for its death, so its pid cannot have been reused.
func (t *ptracer) killAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for pid := range t.tasks {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// task returns the state of pid, creating it for a task seen for the first
// time: an auto-attached one, whose first stop is the SIGSTOP it starts
// with (its stop may come before or after its parent's fork event).
func (t *ptracer) task(pid int) *ptask {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.tasks[pid]
	if k == nil {
		k = &ptask{stopPending: true}
		t.tasks[pid] = k
	}
	return k
}

func (t *ptracer) forget(pid int) {
	t.mu.Lock()
	delete(t.tasks, pid)
	t.mu.Unlock()
}

// loop waits for the stops of every traced task until none is left, and
// returns the command's exit status. After ctx is done, or after an error,
// it kills each task that stops instead of resuming it, and goes on
// reaping until the tree is gone.
func (t *ptracer) loop() (int, error) {
	var fatal error
	code := 0
	resume := unix.PtraceSyscall
	if t.filter {
		resume = unix.PtraceCont
	}
	for {
		var ws unix.WaitStatus
		// __WNOTHREAD: only this thread's children and tracees, never
		// a child another goroutine of this process started.
		pid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOTHREAD, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD {
			return code, fatal
		}
		if err != nil {
			// Nothing more can be waited for: the thread's exit kills
			// what is left (PTRACE_O_EXITKILL).
			t.killAll()
			return 0, fmt.Errorf("record: wait for traced tasks: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			t.forget(pid)
			if pid == t.mainPid {
				if ws.Signaled() {
					code = 128 + int(ws.Signal())
				} else {
					code = ws.ExitStatus()
				}
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		k := t.task(pid)
		if fatal != nil || t.cancelled.Load() {
			// SIGKILL ends a ptrace stop by itself.
			_ = unix.Kill(pid, unix.SIGKILL)
			continue
		}
		sig := ws.StopSignal()
		inject := 0
		switch {
		case sig == unix.SIGTRAP|0x80:
			if err := t.syscallStop(pid, k); err != nil {
				fatal = err
				t.killAll()
				continue
			}
		case sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP:
			if err := t.seccompStop(pid); err != nil {
				fatal = err
				t.killAll()
				continue
			}
		case sig == unix.SIGTRAP && ws.TrapCause() > 0:
			switch ws.TrapCause() {
			case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
				if msg, err := unix.PtraceGetEventMsg(pid); err == nil {
					t.task(int(msg))
				}
			case unix.PTRACE_EVENT_EXEC:
				// A thread that is not the leader execs under the
				// leader's pid; its own is gone. Either way execve's
				// exit stop comes next.
				if msg, err := unix.PtraceGetEventMsg(pid); err == nil && int(msg) != pid {
					t.forget(int(msg))
				}
				k.inSyscall = true
			}
		case !t.optionsSet && pid == t.mainPid && sig == unix.SIGTRAP:
			// PTRACE_TRACEME stops the child after its own execve
			// succeeded: the command itself, or the init stage that
			// installs the filter (whose calls stop only once it has,
			// and count from the command's execve on).
			t.optionsSet = true
			opts := ptraceOptions
			if t.filter {
				opts |= unix.PTRACE_O_TRACESECCOMP
			}
			if err := unix.PtraceSetOptions(pid, opts); err != nil {
				fatal = fmt.Errorf("record: set ptrace options: %w", err)
				_ = unix.Kill(pid, unix.SIGKILL)
				continue
			}
			if !t.filter {
				t.started = true
				t.addExecve()
			}
		case sig == unix.SIGSTOP && k.stopPending:
			k.stopPending = false
		default:
			// A signal-delivery stop passes the signal on; a group-stop
			// (PTRACE_GETSIGINFO fails with EINVAL) has none to pass.
			var si [128]byte
			_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(pid), 0, uintptr(unsafe.Pointer(&si[0])), 0, 0)
			if e == 0 {
				inject = int(sig)
			}
		}
		k.stopPending = false
		if err := resume(pid, inject); err != nil && err != unix.ESRCH {
			fatal = fmt.Errorf("record: resume traced task %d: %w", pid, err)
			t.killAll()
		}
	}
}

// addExecve records the execve that started the target, which ptrace sees
// only once it is done: as the notify path records it, from the native
// architecture of the process that made it.
func (t *ptracer) addExecve() {
	arch := systab.NativeArch()
	nr, ok := systab.SyscallNumber(arch.Name, "execve")
	if !ok {
		return
	}
	t.count(arch.Audit, int32(nr), [6]uint64{})
}

// seccompStopHook is called at each seccomp stop of the command's (tests).
var seccompStopHook func(pid int, name string)

// seccompStop records a call at the stop the filter's SECCOMP_RET_TRACE
// makes before the call runs. clone3 is skipped there and answered -ENOSYS
// at once, as the notify path answers it.
func (t *ptracer) seccompStop(pid int) error {
	var info syscallInfo
	if err := t.syscallInfo(pid, &info); err != nil || info.Op != unix.PTRACE_SYSCALL_INFO_SECCOMP {
		return err
	}
	nr := int32(info.Nr)
	name := t.name(info.Arch, nr)
	if !t.started {
		if pid != t.mainPid || name != "execve" {
			return nil
		}
		t.started = true
	}
	t.count(info.Arch, nr, info.Args)
	if seccompStopHook != nil {
		seccompStopHook(pid, name)
	}
	if name == "clone3" {
		if err := skipSyscall(pid, unix.ENOSYS); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("record: refuse clone3: %w", err)
		}
	}
	return nil
}

// syscallInfo reads the call a task is stopped in; a task killed meanwhile
// leaves info zero (Op none).
func (t *ptracer) syscallInfo(pid int, info *syscallInfo) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(pid), unsafe.Sizeof(*info), uintptr(unsafe.Pointer(info)), 0, 0)
	switch {
	case e == 0, e == unix.ESRCH:
		return nil
	case e == unix.EIO || e == unix.EINVAL:
		return fmt.Errorf("record: read syscall through ptrace: %w (PTRACE_GET_SYSCALL_INFO needs Linux 5.3+)", e)
	}
	return fmt.Errorf("record: read syscall through ptrace: %w", e)
}

// syscallStop records a call at its entry stop. clone3 is turned into no
// syscall at its entry and answered -ENOSYS at its exit, as the notify
// path answers it.
func (t *ptracer) syscallStop(pid int, k *ptask) error {
	if k.inSyscall && !k.refused {
		k.inSyscall = false
		return nil
	}
	var info syscallInfo
	if err := t.syscallInfo(pid, &info); err != nil {
		return err
	}
	k.inSyscall = info.Op == unix.PTRACE_SYSCALL_INFO_ENTRY
	switch info.Op {
	case unix.PTRACE_SYSCALL_INFO_ENTRY:
		nr := int32(info.Nr)
		t.count(info.Arch, nr, info.Args)
		if t.name(info.Arch, nr) == "clone3" {
			if err := refuseSyscall(pid); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("record: refuse clone3: %w", err)
			}
			k.refused = true
		}
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		if k.refused {
			k.refused = false
			if err := setErrno(pid, unix.ENOSYS); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("record: answer clone3 with ENOSYS: %w", err)
			}
		}
	}
	return nil
}
