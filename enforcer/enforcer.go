package enforcer

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sigfwd"
	"github.com/profilec/profilec/enforcer/internal/sys"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer/cgroups"
	"github.com/profilec/profilec/enforcer/internal/rawfile"
)

// Steps names every step at which a launch can fail, in the order they
// run; StepError.Step is one of these, and Options.Fault takes them.
var Steps = []string{
	"validate", "cgroup", "cgroup-pids", "seccomp-prepare", "start", "cgroup-join",
	"cgroupns", "hostname", "loopback", "mount-private", "mount-proc", "rlimits",
	"capabilities-bounding", "keepcaps", "groups", "gid", "uid",
	"capabilities", "ambient", "no-new-privs", "resolve", "seccomp", "execve",
}

// FaultInitKilled, as Options.Fault, SIGKILLs the child once every step
// but the filter and execve is done, as the OOM killer or an operator
// might.
const FaultInitKilled = "init-killed"

// StepError is a confinement failure: the target never ran.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Options tune one Run.
type Options struct {
	// Timeout kills the whole tree after this long; 0 means none.
	Timeout time.Duration
	// Stats asks for peak memory, CPU time and peak pids in Result.Stats.
	Stats bool
	// Stdin, Stdout and Stderr are the target's; nil means /dev/null.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Env is the target's environment; nil means this process's.
	Env []string
	// ForwardSignals relays SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
	// SIGUSR2 and SIGWINCH sent to this process on to the target. It
	// changes process-wide signal handling for good (see signals.go), so
	// only the CLI sets it.
	ForwardSignals bool
	// NoStopTheWorld promises that nothing stops the world while Run
	// launches: no goroutine calls runtime.GC, runtime.ReadMemStats or
	// the like, and the collector cannot start a cycle (PauseGC is set,
	// or the heap is far below its first goal, as in a launch from
	// package initialisation). With forwarded signals the child may then
	// wait for the end of their registration itself, while the
	// supervisor's launching thread, suspended in the vfork, holds a P of
	// the scheduler (ORDER.md); a stop of the world would wait for that P
	// until the child gives up. Without the promise the clone waits for
	// the whole registration.
	NoStopTheWorld bool
	// CgroupMount overrides where cgroupfs is mounted (tests).
	CgroupMount string
	// Fault makes the named step (one of Steps) fail as if the kernel had
	// refused it, so tests can check that every failure is closed; or,
	// FaultInitKilled, kills the child just before the filter and execve.
	Fault string
	// holdFD, tests only (export_test.go): the child reads a byte from
	// this fd of its own before it arms its parent-death signal.
	holdFD int
}

// Stats are the tree's resource use, read from its cgroup.
type Stats struct {
	cgroups.Stats
	// CgroupVersion is 1 or 2, 0 when the plan made no cgroup.
	CgroupVersion int
	// SupervisorPeakRSS is this process's own peak resident set in bytes
	// (getrusage RUSAGE_SELF ru_maxrss): what supervising costs.
	SupervisorPeakRSS int64
}

// Result is how the target ended.
type Result struct {
	// ExitCode is the target's exit status, or 128+N when signal N killed it.
	ExitCode int
	// Signal killed the target; 0 when it exited.
	Signal syscall.Signal
	// TimedOut is set when Options.Timeout ended the run.
	TimedOut bool
	// OOMKilled is set when the kernel's OOM killer acted in the cgroup.
	OOMKilled bool
	// Report says in words why the kernel ended the target: the denied
	// syscall and its architecture, the memory limit, the timeout.
	Report string
	// Skipped lists cgroup limits skipped because the plan marked them
	// optional and they could not be applied.
	Skipped []string
	// Stats is set when Options.Stats asked for it.
	Stats *Stats
}

var runSeq atomic.Uint64

// PauseGC, when set, is called as a launch starts, and what it returns
// once the target runs: the CLI installs gcpause.Pause to keep the
// collector off meanwhile. A CLI that linked a policy engine starts with
// a heap the collector would otherwise choose that moment to scan, and a
// collection's stop-the-world would wait for the vfork child's execve.
var PauseGC func() (resume func())

// ForwardedSignals are relayed to the target with Options.ForwardSignals.
// SIGURG is deliberately absent: the Go runtime uses it to preempt
// goroutines and would flood the target with it.
var ForwardedSignals = sigfwd.Signals

// Run confines argv as p says, waits for it and cleans up the whole tree.
// A non-nil error is a *StepError: confinement failed and the target never
// ran; nothing it created is left behind.
func Run(ctx context.Context, p *plan.Plan, argv []string, o Options) (Result, error) {
	r := &runner{p: p, argv: argv, o: o}
	res, err := r.run(ctx)
	if err != nil {
		r.abort()
		return Result{}, err
	}
	return res, nil
}

type runner struct {
	p    *plan.Plan
	argv []string
	o    Options
	ns   plan.Namespaces

	cg cgroups.Manager
	// cgVersion is the cgroup version (0: no cgroup); makeCgroup runs
	// concurrently and closes cgDone, with cgErr set, when it is done.
	cgVersion int
	cgDone    chan struct{}
	cgErr     error
	l         *launch
	pid       int // the child; 0 once reaped
	rootless  bool
	kmsg      *kmsgTail
	sigs      chan os.Signal
	// With ForwardSignals: sigsLethal closes once the signals that would
	// end the supervisor are caught, and the clone waits for it; sigsAll
	// once every forwarded signal is, which the child waits for before
	// its target runs (childAwaitsSignals) or, failing that, the clone.
	sigsLethal, sigsAll <-chan struct{}
	childAwaitsSignals  bool
}

func (r *runner) fault(step string) error {
	if r.o.Fault == step {
		return &StepError{Step: step, Err: errInjected}
	}
	return nil
}

func stepErr(step string, err error) error {
	if err == nil {
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Step: step, Err: err}
}

func (r *runner) validate() error {
	if err := r.fault("validate"); err != nil {
		return err
	}
	p := r.p
	if p == nil {
		return errors.New("no plan")
	}
	if p.Version != plan.Version {
		return errors.New("plan version " + text.D(p.Version) + ", this profilec reads version " + text.D(plan.Version))
	}
	if p.Arch != "" && p.Arch != nativeArch() {
		return errors.New("plan compiled for " + p.Arch + ", this machine is " + nativeArch())
	}
	if len(r.argv) == 0 || r.argv[0] == "" {
		return errors.New("no command to run")
	}
	for _, a := range r.argv {
		if text.IndexByte(a, 0) >= 0 {
			return errors.New("command contains a NUL byte")
		}
	}
	c := p.Capabilities
	for _, set := range [][]string{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient} {
		if _, err := capMask(set); err != nil {
			return err
		}
	}
	for _, rl := range p.Rlimits {
		if _, err := rlimitResource(rl.Name); err != nil {
			return err
		}
		if rl.Soft > rl.Hard {
			return errors.New("rlimit " + rl.Name + ": soft " + text.U(rl.Soft) + " above hard " + text.U(rl.Hard))
		}
	}
	if s := p.Seccomp; s != nil {
		if _, err := seccompFlags(s.Flags); err != nil {
			return err
		}
		if n := len(s.Program); n == 0 || n > 4096 {
			return errors.New("seccomp program of " + text.D(n) + " instructions (want 1..4096)")
		}
		if s.ListenerPath != "" {
			return errors.New("seccomp listenerPath is not supported by profilec exec")
		}
	}
	if ns := p.Namespaces; ns.Hostname != "" && !ns.UTS {
		// Setting it anyway would rename the host; ignoring it would run
		// the target other than the profile says.
		return errors.New("hostname " + text.Q(ns.Hostname) + " needs a new UTS namespace")
	}
	if ns := p.Namespaces; (len(ns.UIDMap) > 0 || len(ns.GIDMap) > 0) && !ns.User {
		return errors.New("uid/gid maps need a new user namespace")
	}
	r.ns = p.Namespaces
	r.rootless = os.Geteuid() != 0
	if r.rootless {
		// Without privilege the only way to get the other namespaces (and
		// CAP_SYS_ADMIN for seccomp without no_new_privs) is to own them
		// through a user namespace (user_namespaces(7)).
		r.ns.User = true
	}
	if r.ns.PID && !r.ns.Mount {
		// A fresh /proc must be mounted for the new pid namespace, and a
		// mount must never land in the host's namespace.
		r.ns.Mount = true
	}
	return nil
}

func (r *runner) run(ctx context.Context) (Result, error) {
	if r.o.ForwardSignals {
		// Catch the signals before the target exists: a signal that
		// arrives between the target's start and the supervision loop
		// would otherwise be lost. They queue on r.sigs and are
		// forwarded once the target runs. The registration proceeds
		// while the launch is prepared (ORDER.md).
		r.sigsLethal, r.sigsAll = sigfwd.Start()
		var unsubscribe func()
		r.sigs, unsubscribe = sigfwd.Subscribe()
		defer unsubscribe()
	}
	if err := r.validate(); err != nil {
		return Result{}, stepErr("validate", err)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, &StepError{Step: "start", Err: text.Wrap("launch interrupted", err)}
	}
	if r.p.Cgroup != nil || r.o.Stats {
		v, err := cgroups.Detect(r.o.CgroupMount)
		if err != nil {
			return Result{}, stepErr("cgroup", err)
		}
		r.cgVersion = v
		// Creating a memory cgroup takes the kernel ~0.2 ms (cgroup v1,
		// mkdir); it proceeds while the child's ops are laid out, and
		// prepare waits for it before it writes the join ops.
		r.cgDone = make(chan struct{})
		go func() {
			defer close(r.cgDone)
			r.cgErr = r.makeCgroup()
		}()
		// Let it start now, on this thread: its mkdir then runs in the
		// kernel while the runtime hands this goroutine to another
		// thread for the ops (without this it started only when prepare
		// waited for it).
		runtime.Gosched()
	}
	if r.p.Seccomp != nil {
		r.kmsg = openKmsg()
		defer r.kmsg.close()
	}
	// A collection during the launch only delays the target (PauseGC).
	resumeGC := func() {}
	if PauseGC != nil {
		resumeGC = PauseGC()
	}
	defer resumeGC()
	if err := r.start(); err != nil {
		return Result{}, stepErr("start", err)
	}
	resumeGC()
	return r.supervise(ctx)
}

// makeCgroup creates the run's cgroup with every limit: all of them exist
// before any process of the tree does. The child is a single thread, so
// even a small pids.max leaves it room.
func (r *runner) makeCgroup() error {
	if err := r.fault("cgroup"); err != nil {
		return err
	}
	cg, err := cgroups.New(r.p.Cgroup, cgroups.Options{
		Mount:   r.o.CgroupMount,
		Name:    text.D(os.Getpid()) + "-" + text.D(time.Now().UnixNano()) + "-" + text.U(runSeq.Add(1)),
		Stats:   r.o.Stats,
		Freezer: !r.ns.PID,
	})
	if err != nil {
		return stepErr("cgroup", err)
	}
	r.cg = cg
	if err := r.fault("cgroup-pids"); err != nil {
		return err
	}
	return stepErr("cgroup-pids", cg.SetPids())
}

// waitCgroup waits for makeCgroup, if one was started; r.cg is then set
// when it made a cgroup, even one whose limits failed.
func (r *runner) waitCgroup() error {
	if r.cgDone == nil {
		return nil
	}
	<-r.cgDone
	return r.cgErr
}

func (r *runner) start() error {
	l, err := r.prepare()
	r.l = l
	if err != nil {
		return err
	}
	ns := r.ns
	var flags uintptr
	for _, f := range []struct {
		on   bool
		flag uintptr
	}{
		{ns.User, sys.CLONE_NEWUSER}, {ns.PID, sys.CLONE_NEWPID}, {ns.Mount, sys.CLONE_NEWNS},
		{ns.UTS, sys.CLONE_NEWUTS}, {ns.IPC, sys.CLONE_NEWIPC}, {ns.Net, sys.CLONE_NEWNET},
		{ns.Cgroup && !r.lateCgroupNS(), sys.CLONE_NEWCGROUP}, {ns.Time, sys.CLONE_NEWTIME},
	} {
		if f.on {
			flags |= f.flag
		}
	}
	if !l.fork {
		// posix_spawn's way: the child borrows this process's memory
		// until its execve, with this thread suspended meanwhile; no
		// page tables are copied.
		flags |= sys.CLONE_VM | sys.CLONE_VFORK
	}
	trap, a1, a2 := uintptr(sys.SYS_CLONE), flags|uintptr(sys.SIGCHLD), uintptr(0)
	if r.cg != nil && r.cg.CgroupFD() >= 0 {
		// CLONE_INTO_CGROUP (Linux 5.7): the child is born inside, so
		// nothing of it is ever charged or limited elsewhere.
		args := &cloneArgs{flags: uint64(flags) | sys.CLONE_INTO_CGROUP, exitSignal: uint64(sys.SIGCHLD), cgroup: uint64(r.cg.CgroupFD())}
		l.keep = append(l.keep, args)
		trap, a1, a2 = sys.SYS_CLONE3, uintptr(unsafe.Pointer(args)), unsafe.Sizeof(*args)
	}
	if err := r.fault("start"); err != nil {
		return err
	}
	if r.sigsLethal != nil {
		// Before the child exists, no signal may end the supervisor;
		// before the target runs, every signal must be caught: here,
		// unless the child waits for that itself.
		<-r.sigsLethal
		if !r.childAwaitsSignals {
			<-r.sigsAll
		}
	}
	pid, errno := forkChild(l.ops, l.rep, trap, a1, a2)
	runtime.KeepAlive(l.keep)
	if errno != 0 {
		return &StepError{Step: "start", Err: text.Wrap("clone", errno)}
	}
	r.pid = pid
	l.started()
	if l.fork {
		// The child is waiting for us (opWait) or running its steps.
		if ns.User {
			if err := r.writeIDMaps(); err != nil {
				return &StepError{Step: "start", Err: err}
			}
			if _, err := sys.Write(l.sock, []byte{1}); err != nil {
				return &StepError{Step: "start", Err: text.Wrap("release the child", err)}
			}
		}
		if r.o.Fault == FaultInitKilled {
			// From outside: as pid 1 of its namespace the child could
			// not SIGKILL itself.
			_ = sys.Kill(pid, sys.SIGKILL)
		}
	}
	// EOF: the child exec'd (its end is close-on-exec) or died.
	var b [1]byte
	for {
		n, err := sys.Read(l.sock, b[:])
		if err == sys.EINTR || (err == nil && n > 0) {
			continue
		}
		break
	}
	if l.rep.errno != 0 {
		return l.failure()
	}
	if how := r.diedBeforeExec(); how != "" {
		return &StepError{Step: "execve", Err: errors.New("init stage " + how + " before execve")}
	}
	return nil
}

// writeIDMaps writes the child's uid and gid maps (user_namespaces(7)).
// An unprivileged writer must deny setgroups first (CVE-2014-8989).
func (r *runner) writeIDMaps() error {
	proc := "/proc/" + strconv.Itoa(r.pid) + "/"
	if r.rootless {
		if err := rawfile.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			return err
		}
	}
	if err := rawfile.WriteFile(proc+"uid_map", []byte(idMapText(r.ns.UIDMap, os.Geteuid())), 0); err != nil {
		return err
	}
	return rawfile.WriteFile(proc+"gid_map", []byte(idMapText(r.ns.GIDMap, os.Getegid())), 0)
}

// lateCgroupNS reports whether the cgroup namespace must wait for the
// child: when it joins its cgroup after clone (v1), a namespace made at
// clone would be rooted at the supervisor's cgroup.
func (r *runner) lateCgroupNS() bool {
	return r.ns.Cgroup && r.cgVersion == 1
}

// diedBeforeExec tells a child that ended before its execve (killed by
// the OOM killer, a signal, or the filter at execve itself) from one that
// became the target. It returns how the child ended, or "" when the
// target ran.
//
// In the kernel, execve switches to the new mm before it closes
// close-on-exec fds, and exit releases the mm before it closes fds; the
// caller waited for the socket's EOF. So a readable /proc/PID/exe means
// execve happened. An unreadable one means the
// process is exiting: once it is a zombie its task name is final, and
// execve renames the task, so a zombie still named profilec-init never
// exec'd.
func (r *runner) diedBeforeExec() string {
	pid := r.pid
	if r.l.rep.execed == 1 {
		if _, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); !errors.Is(err, sys.ENOENT) {
			// Readable: it exec'd. Unreadable for another reason (a
			// non-dumpable target we may not inspect): it is alive, so
			// it exec'd too; never block on a live target here.
			return ""
		}
	}
	var ci childInfo
	for {
		err := sys.Waitid(sys.P_PID, pid, (*sys.Siginfo)(unsafe.Pointer(&ci)), sys.WEXITED|sys.WNOWAIT, nil)
		if err != sys.EINTR {
			if err != nil {
				return ""
			}
			break
		}
	}
	if r.l.rep.execed == 1 {
		comm, err := rawfile.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil || text.TrimSpace(string(comm)) != initComm {
			return ""
		}
	}
	if ci.Code == cldExited {
		return "exited with status " + text.D(ci.Status)
	}
	how := "was killed by signal " + text.D(ci.Status) + " (" + syscall.Signal(ci.Status).String() + ")"
	if syscall.Signal(ci.Status) == sys.SIGSYS {
		// The filter itself refused execve (or what execve needed).
		how += ": " + seccompReport(r.kmsg, pid)
	}
	return how
}

// reap waits for the child, once.
func (r *runner) reap() {
	if r.pid == 0 {
		return
	}
	var ws sys.WaitStatus
	for {
		if _, err := sys.Wait4(r.pid, &ws, 0, nil); err != sys.EINTR {
			break
		}
	}
	r.pid = 0
}

// abort undoes a failed launch: the child dies (taking its pid namespace
// with it), the cgroup is emptied and removed.
func (r *runner) abort() {
	if r.pid != 0 {
		_ = sys.Kill(r.pid, sys.SIGKILL)
		r.reap()
	}
	_ = r.waitCgroup()
	if r.cg != nil {
		_ = r.cg.Kill()
		_ = r.cg.Destroy()
	}
	if r.l != nil {
		r.l.finish()
	}
	r.kmsg.close()
}

// childInfo is siginfo_t as waitid fills it for SIGCHLD (the
// _sigchld arm of the union), which x/sys/unix leaves opaque.
type childInfo struct {
	Signo, Errno, Code int32
	_                  int32
	Pid                int32
	UID                uint32
	Status             int32
	_                  [100]byte
}

const (
	cldExited = 1 // CLD_EXITED: Status is the exit code
	cldKilled = 2 // CLD_KILLED: Status is the signal
	cldDumped = 3 // CLD_DUMPED: killed, core dumped
)

type exitInfo struct {
	info childInfo
	err  error
}

func (r *runner) supervise(ctx context.Context) (Result, error) {
	pid := r.pid
	var res Result
	if r.cg != nil {
		res.Skipped = r.cg.Skipped()
	}

	sigs := r.sigs // nil without ForwardSignals: never ready
	var timeout <-chan time.Time
	if r.o.Timeout > 0 {
		t := time.NewTimer(r.o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var tick <-chan time.Time
	if r.cg != nil && r.o.Stats && r.cg.NeedsSampling() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		tick = t.C
	}

	// This goroutine waits for the target itself, so its end wakes the
	// supervisor with no hop between threads; a watcher handles what may
	// come meanwhile. Under mu, and only until the target is found dead
	// (it stays a zombie until reaped, so its pid cannot be reused), the
	// watcher may act on the tree and set the report.
	var (
		mu       sync.Mutex
		finished bool
		emulated syscall.Signal
	)
	act := func(f func()) {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			f()
		}
	}
	done := make(chan struct{})
	cancelled := ctx.Done()
	if sigs != nil || timeout != nil || tick != nil || cancelled != nil {
		go func() {
			for {
				select {
				case <-done:
					return
				case s := <-sigs:
					sig := s.(syscall.Signal)
					act(func() {
						_ = sys.Kill(pid, sig)
						if emulated == 0 && r.ns.PID && terminatesByDefault(sig) && !handles(pid, sig) {
							// The kernel drops a signal to a pid namespace's
							// init that has no handler for it
							// (pid_namespaces(7)), so Ctrl-C would do nothing
							// to `profilec exec -- sleep 100`. Do what the
							// signal's default action does to any other
							// process: end it, and say so.
							emulated = sig
							res.Report = sig.String() + ": the target, pid 1 of its namespace, has no handler for it; profilec ended the process tree as the signal's default action would"
							r.killTree(pid)
						}
					})
				case <-tick:
					act(r.cg.Sample)
				case <-timeout:
					act(func() {
						res.TimedOut = true
						res.Report = "timed out after " + r.o.Timeout.String() + ": killed the process tree"
						r.killTree(pid)
					})
				case <-cancelled:
					act(func() {
						res.Report = "cancelled: " + ctx.Err().Error() + ": killed the process tree"
						r.killTree(pid)
					})
					cancelled = nil
				}
			}
		}()
	}
	if r.cg != nil {
		// While the target runs, off the launch path: remove what an
		// earlier, killed supervisor could not.
		cgroups.SweepParents(r.cg.Parents())
	}
	// WNOWAIT leaves the target a zombie so /proc/PID/syscall can still
	// be read for a seccomp kill report.
	ei := waitExit(pid)
	mu.Lock()
	finished = true
	mu.Unlock()
	close(done)

	var cause string
	if emulated != 0 && ei.err == nil && ei.info.Code != cldExited && syscall.Signal(ei.info.Status) == sys.SIGKILL {
		// Killed by us on the signal's behalf: report the signal.
		ei.info.Status = int32(emulated)
	}
	if ei.err == nil {
		switch ei.info.Code {
		case cldExited:
			res.ExitCode = int(ei.info.Status)
		case cldKilled, cldDumped:
			res.Signal = syscall.Signal(ei.info.Status)
			res.ExitCode = 128 + int(ei.info.Status)
			if res.Signal == sys.SIGSYS {
				cause = seccompReport(r.kmsg, pid)
			}
		}
	}
	if r.cg != nil && r.p.Cgroup != nil && r.p.Cgroup.MemoryMax != nil {
		if n, err := r.cg.OOMKills(); err == nil && n > 0 {
			res.OOMKilled = true
			cause = "out of memory: the kernel killed " + text.D(n) + " process(es) at the memory limit of " +
				formatBytes(*r.p.Cgroup.MemoryMax) + " (" + r.cg.MemoryLimitFile() + ")"
		}
	}
	if cause != "" {
		if res.Report != "" {
			res.Report += "; "
		}
		res.Report += cause
	}
	r.killTree(pid)
	r.reap()
	r.l.finish()
	if r.cg != nil {
		if r.o.Stats {
			st, _ := r.cg.Stats()
			res.Stats = &Stats{Stats: st, CgroupVersion: r.cg.Version()}
		}
		if err := r.cg.Destroy(); err != nil {
			res.Report = text.TrimPrefix(res.Report+"; "+err.Error(), "; ")
		}
		r.cg = nil
	} else if r.o.Stats {
		res.Stats = &Stats{}
	}
	if res.Stats != nil {
		var ru sys.Rusage
		if sys.Getrusage(sys.RUSAGE_SELF, &ru) == nil {
			res.Stats.SupervisorPeakRSS = int64(ru.Maxrss) * 1024
		}
	}
	return res, nil
}

// terminatesByDefault lists the forwarded signals whose default action
// ends a process (signal(7)); SIGWINCH's is to ignore.
func terminatesByDefault(s syscall.Signal) bool { return sigfwd.TerminatesByDefault(s) }

// handles reports whether pid catches or ignores sig, from the SigCgt and
// SigIgn masks of /proc/PID/status. When unsure it says yes, so that
// profilec never ends a tree that might have handled the signal.
func handles(pid int, sig syscall.Signal) bool {
	b, err := rawfile.ReadFile("/proc/" + text.D(pid) + "/status")
	if err != nil {
		return true
	}
	bit := uint64(1) << (uint(sig) - 1)
	seen := 0
	for _, line := range text.Split(string(b), "\n") {
		k, v, ok := text.Cut(line, ":")
		if !ok || (k != "SigCgt" && k != "SigIgn") {
			continue
		}
		m, err := strconv.ParseUint(text.TrimSpace(v), 16, 64)
		if err != nil || m&bit != 0 {
			return true
		}
		seen++
	}
	return seen != 2
}

// killTree ends every process of the tree: the cgroup is killed as a
// whole; without one, SIGKILL to the pid namespace's init makes the
// kernel kill the rest of the namespace (pid_namespaces(7)). Without
// either, only the target itself can be reached.
func (r *runner) killTree(pid int) {
	if r.cg != nil {
		_ = r.cg.Kill()
	}
	_ = sys.Kill(pid, sys.SIGKILL)
}

func formatBytes(n int64) string {
	switch {
	case n < 0:
		return "max"
	case n >= 1<<30 && n%(1<<30) == 0:
		return text.D(n>>30) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return text.D(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return text.D(n>>10) + " KiB"
	}
	return text.D(n) + " bytes"
}

// noPidfd forces waitExit's fallback (tests).
var noPidfd bool

// waitExit waits for pid to end without reaping it. It parks in the
// runtime's poller on a pidfd (readable once the process has exited)
// rather than blocking a thread in waitid: a goroutine in a blocking
// system call keeps sysmon waking every 20 us to retake its P, and its
// wake-up goes through another thread (~0.1 ms of a launch). Without
// pidfds (Linux < 5.10 for PIDFD_NONBLOCK) it blocks in waitid.
func waitExit(pid int) exitInfo {
	var ei exitInfo
	fd, err := -1, error(sys.ENOSYS)
	if !noPidfd {
		fd, err = sys.PidfdOpen(pid, sys.PIDFD_NONBLOCK)
	}
	if err == nil {
		f := os.NewFile(uintptr(fd), "pidfd")
		defer f.Close()
		if rc, err := f.SyscallConn(); err == nil {
			done := false
			err := rc.Read(func(fd uintptr) bool {
				ei.info = childInfo{}
				ei.err = sys.Waitid(sys.P_PIDFD, int(fd), (*sys.Siginfo)(unsafe.Pointer(&ei.info)), sys.WEXITED|sys.WNOWAIT|sys.WNOHANG, nil)
				done = ei.err != sys.EINTR && (ei.err != nil || ei.info.Pid != 0)
				return done
			})
			if err == nil && done && ei.err == nil {
				return ei
			}
		}
	}
	for {
		ei.err = sys.Waitid(sys.P_PID, pid, (*sys.Siginfo)(unsafe.Pointer(&ei.info)), sys.WEXITED|sys.WNOWAIT, nil)
		if ei.err != sys.EINTR {
			return ei
		}
	}
}
