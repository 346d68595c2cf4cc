package enforcer

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/profilec/profilec/enforcer/internal/sigfwd"
	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sys"

	"github.com/profilec/profilec/compiler/plan"
)

// initComm is the child's task name until its execve, which replaces it
// with the target's: a zombie that still bears this one died before its
// execve (see runner.diedBeforeExec).
const initComm = "profilec-init"

var errInjected = errors.New("injected fault")

// launch is one prepared child: its ops, the memory they point into, and
// the supervisor's ends of its plumbing.
type launch struct {
	ops  []childOp
	keep []any // everything ops point at, alive until the clone is done
	page []byte
	rep  *childReport

	// fork: clone without CLONE_VM|CLONE_VFORK, because the supervisor
	// must act while the child waits (user namespace id maps; the
	// init-killed fault). sock is the supervisor's end of a socketpair
	// whose close-on-exec EOF says the child exec'd or died; a forked
	// child also waits on it for the go-ahead.
	fork       bool
	sock, peer int
	// stdio are the target's 0, 1, 2 as the supervisor's fds (≥ 3,
	// close-on-exec), closed once the child is started.
	stdio   [3]int
	cleanup []func()
	// copiers move data between pipes and non-file Options.Stdout,
	// Stderr (waited for) and Stdin (not waited for).
	copiers    sync.WaitGroup
	hasCopiers bool
	pipeEnds   []*os.File
}

// armParentDeath adds the ops that make the child die with the
// supervisor: PR_SET_PDEATHSIG, then a check that the supervisor had not
// gone already (its end of the socketpair hung up), which the signal
// would not have caught.
func (r *runner) armParentDeath(l *launch) {
	l.sys("start", "set the parent-death signal", sys.SYS_PRCTL, sys.PR_SET_PDEATHSIG, uintptr(sys.SIGKILL))
	l.poll(opParentAlive, l.peer, 0, 0, "the supervisor is gone")
}

// poll adds a start-step op of kind (opAwait, opParentAlive) that polls
// fd for events for at most timeout; what is its whole error message.
func (l *launch) poll(kind opKind, fd int, events int16, timeout time.Duration, what string) {
	pfd := &sys.PollFd{Fd: int32(fd), Events: events}
	ts := new(sys.Timespec)
	*ts = sys.NsecToTimespec(int64(timeout))
	l.keep = append(l.keep, pfd, ts)
	l.add(childOp{kind: kind, step: stepIndex("start"), poll: pfd, a: [6]uintptr{1: uintptr(unsafe.Pointer(ts))}, what: what, bare: true})
}

// signalWait bounds how long a child waits for the supervisor's signal
// registration (awaitSignals). The registration takes a fraction of a
// millisecond; only a supervisor that cannot run it at all, its other
// threads stopped, say, would make the child wait this long, and the
// launch then fails rather than start a target whose signals might be
// lost.
var signalWait = 10 * time.Second

// awaitSignals makes the child, once the parent-death signal is set (if
// the supervisor dies meanwhile, so does the child), wait until every
// forwarded signal is caught, when that is still under way: the clone
// then only waits for the lethal ones, and the rest of the registration
// overlaps the clone. A vfork child holds its supervisor's calling
// thread, and the Go scheduler's P with it, until it execs: the
// registration must have another P to run on, and nothing may stop the
// world meanwhile (Options.NoStopTheWorld), since that would wait for
// the held P.
func (r *runner) awaitSignals(l *launch) {
	if r.sigsAll == nil || sigfwd.ReadyFD() < 0 || (!l.fork && (!r.o.NoStopTheWorld || runtime.GOMAXPROCS(0) < 2)) {
		return
	}
	select {
	case <-r.sigsAll:
		return
	default:
	}
	l.poll(opAwait, sigfwd.ReadyFD(), sys.POLLIN, signalWait,
		"signal forwarding was not ready after "+signalWait.String()+": the target was not started")
	r.childAwaitsSignals = true
}

func stepIndex(name string) uint8 {
	for i, s := range Steps {
		if s == name {
			return uint8(i)
		}
	}
	panic("enforcer: unknown step " + name)
}

func (l *launch) cstr(s string) uintptr {
	b := make([]byte, len(s)+1)
	copy(b, s)
	l.keep = append(l.keep, b)
	return uintptr(unsafe.Pointer(&b[0]))
}

func (l *launch) add(op childOp) { l.ops = append(l.ops, op) }

func (l *launch) sys(step, what string, nr uintptr, args ...uintptr) {
	op := childOp{kind: opSys, step: stepIndex(step), nr: nr, what: what}
	copy(op.a[:], args)
	l.add(op)
}

func (l *launch) sysOK(step, what string, ok syscall.Errno, nr uintptr, args ...uintptr) {
	l.sys(step, what, nr, args...)
	l.ops[len(l.ops)-1].ok = uintptr(ok)
}

// sysN is sys whose description is a format with one %d, filled with n
// only if the op fails: formatting dozens of them on every launch cost
// more than the system calls.
func (l *launch) sysN(step, format string, n int, ok syscall.Errno, nr uintptr, args ...uintptr) {
	l.sys(step, format, nr, args...)
	op := &l.ops[len(l.ops)-1]
	op.ok, op.n, op.hasN = uintptr(ok), n, true
}

// begin opens step: with Options.Fault naming it, the child fails here.
func (r *runner) begin(l *launch, step string) {
	if r.o.Fault == step {
		l.add(childOp{kind: opFault, step: stepIndex(step), what: "injected fault"})
	}
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// prepare lays out everything the child will do, in the order of
// ORDER.md, as ops over memory the supervisor owns.
func (r *runner) prepare() (*launch, error) {
	l, joinAt, err := r.prepareOps()
	// Steps fail in their order: the cgroup's before any of the ops'.
	if cerr := r.waitCgroup(); cerr != nil {
		return l, cerr
	}
	if err != nil {
		return l, err
	}
	if r.cg != nil {
		// First of all: everything after this, and the target, runs in
		// the cgroup. v1 only (v2 clones into it).
		var join []childOp
		zero := l.cstr("0")
		for _, f := range r.cg.SelfJoinFiles() {
			join = append(join, childOp{kind: opWrite, step: stepIndex("cgroup-join"), a: [6]uintptr{l.cstr(f), zero, 1}, what: "join cgroup: write " + f})
		}
		l.ops = append(l.ops[:joinAt], append(join, l.ops[joinAt:]...)...)
	}
	return l, nil
}

func (r *runner) prepareOps() (l *launch, joinAt int, err error) {
	p, ns := r.p, r.ns
	l = &launch{sock: -1, peer: -1, stdio: [3]int{-1, -1, -1}, ops: make([]childOp, 0, 96)}
	l.fork = ns.User || r.o.Fault == FaultInitKilled || !canVfork
	page, err := sys.Mmap(-1, 0, 4096, sys.PROT_READ|sys.PROT_WRITE, sys.MAP_SHARED|sys.MAP_ANONYMOUS)
	if err != nil {
		return l, 0, &StepError{Step: "start", Err: text.Wrap("map the report page", err)}
	}
	l.page = page
	l.rep = (*childReport)(unsafe.Pointer(&page[0]))

	// Seccomp first, as the supervisor's own step: the child only loads it.
	var fprog *sys.SockFprog
	var sflags uintptr
	if p.Seccomp != nil {
		if r.o.Fault == "seccomp-prepare" {
			return l, 0, &StepError{Step: "seccomp-prepare", Err: errInjected}
		}
		if sflags, err = seccompFlags(p.Seccomp.Flags); err != nil {
			return l, 0, &StepError{Step: "seccomp-prepare", Err: err}
		}
		prog := make([]sys.SockFilter, len(p.Seccomp.Program))
		for i, in := range p.Seccomp.Program {
			prog[i] = sys.SockFilter{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
		}
		if len(prog) == 0 || len(prog) > 4096 {
			return l, 0, &StepError{Step: "seccomp-prepare", Err: errors.New("program of " + text.D(len(prog)) + " instructions (want 1..4096)")}
		}
		fprog = &sys.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		l.keep = append(l.keep, prog, fprog)
	}

	// start: the child's name, stdio, and (fork) the go-ahead.
	r.begin(l, "start")
	l.sys("start", "set the task name", sys.SYS_PRCTL, sys.PR_SET_NAME, l.cstr(initComm))
	if r.o.ForwardSignals {
		// The supervisor ignores SIGPIPE (signals.go); the target must
		// not inherit that. struct kernel_sigaction with SIG_DFL.
		dfl := new([4]uintptr)
		l.keep = append(l.keep, dfl)
		l.sys("start", "reset SIGPIPE", sys.SYS_RT_SIGACTION, uintptr(sys.SIGPIPE), uintptr(unsafe.Pointer(dfl)), 0, 8)
	}
	if err := r.stdio(l); err != nil {
		return l, 0, &StepError{Step: "start", Err: err}
	}
	for i, fd := range l.stdio {
		l.sysN("start", "set up fd %d", i, 0, sys.SYS_DUP3, uintptr(fd), uintptr(i), 0)
	}
	// The child's end is close-on-exec: its EOF says the child exec'd or
	// died, and comes only after the kernel switched the child's mm (or
	// dropped it), which diedBeforeExec relies on. A vfork parent wakes
	// earlier, inside execve or exit.
	fds, err := sys.Socketpair(sys.AF_UNIX, sys.SOCK_STREAM|sys.SOCK_CLOEXEC, 0)
	if err != nil {
		return l, 0, &StepError{Step: "start", Err: text.Wrap("create sync socket", err)}
	}
	l.sock, l.peer = fds[0], fds[1]
	if r.o.holdFD > 0 {
		l.add(childOp{kind: opWait, step: stepIndex("start"), a: [6]uintptr{uintptr(r.o.holdFD - 1)}, what: "wait for the test"})
	}
	// From here on the child dies with the supervisor: it closes its copy
	// of the supervisor's end, so that its own end hangs up once the
	// supervisor is gone, arms the parent-death signal, and then checks
	// for that hang-up, which a supervisor killed before the signal was
	// armed leaves behind.
	l.sys("start", "close the supervisor's end", sys.SYS_CLOSE, uintptr(l.sock))
	r.armParentDeath(l)
	if l.fork {
		if ns.User {
			l.add(childOp{kind: opWait, step: stepIndex("start"), a: [6]uintptr{uintptr(l.peer)}, what: "wait for the id maps"})
		}
	}

	r.begin(l, "cgroup-join")
	// The join ops go here once the cgroup exists (see below).
	joinAt = len(l.ops)
	r.begin(l, "cgroupns")
	if r.lateCgroupNS() {
		l.sys("cgroupns", "unshare cgroup namespace", sys.SYS_UNSHARE, sys.CLONE_NEWCGROUP)
	}
	r.begin(l, "hostname")
	if ns.UTS && ns.Hostname != "" {
		l.sys("hostname", "set hostname", sys.SYS_SETHOSTNAME, l.cstr(ns.Hostname), uintptr(len(ns.Hostname)))
	}
	r.begin(l, "loopback")
	if ns.Net {
		// A new network namespace has only lo, and it is down: bring it
		// up, as Docker, bwrap and nsjail do, so that the target can
		// talk to itself on 127.0.0.1 and ::1 (which the kernel then
		// assigns). Before the capabilities go: it needs CAP_NET_ADMIN.
		ifr, err := sys.NewIfreq("lo")
		if err != nil {
			return l, 0, &StepError{Step: "loopback", Err: err}
		}
		ifr.SetUint16(sys.IFF_UP | sys.IFF_LOOPBACK)
		l.keep = append(l.keep, ifr)
		l.add(childOp{kind: opIfFlags, step: stepIndex("loopback"), a: [6]uintptr{uintptr(unsafe.Pointer(ifr))}, what: "bring up the loopback interface"})
	}
	r.begin(l, "mount-private")
	if ns.Mount {
		l.sys("mount-private", "make / rprivate", sys.SYS_MOUNT, 0, l.cstr("/"), 0, sys.MS_REC|sys.MS_PRIVATE, 0)
	}
	r.begin(l, "mount-proc")
	if ns.Mount && ns.PID {
		l.sys("mount-proc", "mount /proc", sys.SYS_MOUNT, l.cstr("proc"), l.cstr("/proc"), l.cstr("proc"), sys.MS_NOSUID|sys.MS_NODEV|sys.MS_NOEXEC, 0)
	}
	r.begin(l, "rlimits")
	for _, rl := range p.Rlimits {
		res, err := rlimitResource(rl.Name)
		if err != nil {
			return l, 0, &StepError{Step: "rlimits", Err: err}
		}
		lim := &sys.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		l.keep = append(l.keep, lim)
		l.sys("rlimits", "set rlimit "+rl.Name, sys.SYS_PRLIMIT64, 0, uintptr(res), uintptr(unsafe.Pointer(lim)), 0)
	}

	c := p.Capabilities
	bnd, err := capMask(c.Bounding)
	if err != nil {
		return l, 0, &StepError{Step: "capabilities-bounding", Err: err}
	}
	eff, err1 := capMask(c.Effective)
	perm, err2 := capMask(c.Permitted)
	inh, err3 := capMask(c.Inheritable)
	amb, err4 := capMask(c.Ambient)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return l, 0, &StepError{Step: "capabilities", Err: err}
	}
	r.begin(l, "capabilities-bounding")
	// The capabilities this binary knows by name one by one; any newer
	// ones the kernel has (cap_last_cap, without reading it per launch)
	// in one op that drops upward until the kernel says EINVAL.
	for n := 0; n <= sys.CAP_LAST_CAP; n++ {
		if bnd&(1<<n) == 0 {
			l.sysN("capabilities-bounding", "drop capability %d from bounding set", n, sys.EINVAL, sys.SYS_PRCTL, sys.PR_CAPBSET_DROP, uintptr(n))
		}
	}
	l.add(childOp{kind: opDropFrom, step: stepIndex("capabilities-bounding"), a: [6]uintptr{sys.CAP_LAST_CAP + 1}, what: "drop capabilities above %d from bounding set", n: sys.CAP_LAST_CAP, hasN: true})
	r.begin(l, "keepcaps")
	l.sys("keepcaps", "set keepcaps", sys.SYS_PRCTL, sys.PR_SET_KEEPCAPS, 1)
	r.begin(l, "groups")
	r.begin(l, "gid")
	r.begin(l, "uid")
	if u := p.User; u != nil {
		// Raw calls: the child is the only thread, and these are the
		// credentials execve passes on.
		if ns.User && r.rootless && len(u.Groups) > 0 {
			return l, 0, &StepError{Step: "groups", Err: errors.New("set groups: denied in a user namespace created without privilege")}
		}
		if !(ns.User && r.rootless) {
			gs := append([]uint32{0}, u.Groups...)[1:]
			var ptr uintptr
			if len(gs) > 0 {
				ptr = uintptr(unsafe.Pointer(&gs[0]))
			}
			l.keep = append(l.keep, gs)
			l.sys("groups", "set groups", sys.SYS_SETGROUPS, uintptr(len(gs)), ptr)
		}
		l.sysN("gid", "set gid %d", int(u.GID), 0, sys.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID))
		l.sysN("uid", "set uid %d", int(u.UID), 0, sys.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID))
	}
	// After the credentials, which clear it (commit_creds): if the
	// supervisor dies, so do the child and the target (and, as the pid
	// namespace's init, the whole tree).
	r.armParentDeath(l)
	r.awaitSignals(l)

	// Installing a filter without no_new_privs needs CAP_SYS_ADMIN
	// (seccomp(2)); keep it in the effective set until execve recomputes
	// the sets from bounding, inheritable and ambient (capabilities(7)).
	extra := uint64(0)
	if p.Seccomp != nil && !p.NoNewPrivileges {
		extra = 1 << sys.CAP_SYS_ADMIN
	}
	r.begin(l, "capabilities")
	hdr := &sys.CapUserHeader{Version: sys.LINUX_CAPABILITY_VERSION_3}
	data := new([2]sys.CapUserData)
	e, pm := eff|extra, perm|eff|extra
	data[0] = sys.CapUserData{Effective: uint32(e), Permitted: uint32(pm), Inheritable: uint32(inh)}
	data[1] = sys.CapUserData{Effective: uint32(e >> 32), Permitted: uint32(pm >> 32), Inheritable: uint32(inh >> 32)}
	l.keep = append(l.keep, hdr, data)
	l.sys("capabilities", "set capabilities", sys.SYS_CAPSET, uintptr(unsafe.Pointer(hdr)), uintptr(unsafe.Pointer(&data[0])))
	r.begin(l, "ambient")
	l.sysOK("ambient", "clear ambient capabilities", sys.EINVAL, sys.SYS_PRCTL, sys.PR_CAP_AMBIENT, sys.PR_CAP_AMBIENT_CLEAR_ALL)
	for n := 0; n <= sys.CAP_LAST_CAP; n++ {
		if amb&(1<<n) != 0 {
			l.sysN("ambient", "raise ambient capability %d", n, 0, sys.SYS_PRCTL, sys.PR_CAP_AMBIENT, sys.PR_CAP_AMBIENT_RAISE, uintptr(n))
		}
	}
	r.begin(l, "no-new-privs")
	if p.NoNewPrivileges {
		l.sys("no-new-privs", "set no_new_privs", sys.SYS_PRCTL, sys.PR_SET_NO_NEW_PRIVS, 1)
	}

	r.begin(l, "resolve")
	env := r.o.Env
	if env == nil {
		env = os.Environ()
	}
	if err := r.resolveOp(l, env); err != nil {
		return l, 0, &StepError{Step: "resolve", Err: err}
	}
	if r.o.Fault == FaultInitKilled {
		// Held here, ready but short of the filter, until the
		// supervisor kills it.
		l.add(childOp{kind: opWait, step: stepIndex("seccomp"), a: [6]uintptr{uintptr(l.peer)}, what: "wait"})
	}
	r.begin(l, "seccomp")
	if fprog != nil {
		// The last step but execve: the filter sees nothing else of ours.
		l.sys("seccomp", "install seccomp filter", sys.SYS_SECCOMP, sys.SECCOMP_SET_MODE_FILTER, sflags, uintptr(unsafe.Pointer(fprog)))
	}
	r.begin(l, "execve")
	argv, err := syscall.SlicePtrFromStrings(r.argv)
	if err != nil {
		return l, 0, &StepError{Step: "validate", Err: err}
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return l, 0, &StepError{Step: "resolve", Err: text.Wrap("environment", err)}
	}
	l.keep = append(l.keep, argv, envp)
	l.add(childOp{kind: opExec, step: stepIndex("execve"), a: [6]uintptr{0, uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envp[0]))}, what: "execute " + r.argv[0]})
	return l, joinAt, nil
}

// resolveOp looks the command up as execvp(3) would for the target:
// against the target's PATH, checked in the child with the target's
// credentials (faccessat uses the real ids, already switched).
func (r *runner) resolveOp(l *launch, env []string) error {
	name := r.argv[0]
	var cands []string
	exact := uintptr(0)
	what := "resolve executable " + name
	bare := false
	if text.Contains(name, "/") {
		cands, exact = []string{name}, 1
	} else {
		path := defaultPath
		for _, kv := range env {
			if v, ok := text.CutPrefix(kv, "PATH="); ok {
				path = v
			}
		}
		for _, dir := range text.Split(path, ":") {
			if dir == "" {
				dir = "."
			}
			cands = append(cands, dir+"/"+name)
		}
		what += ": not found in PATH"
		bare = true
	}
	ptrs := make([]uintptr, len(cands))
	for i, c := range cands {
		ptrs[i] = l.cstr(c)
	}
	l.add(childOp{kind: opResolve, step: stepIndex("resolve"), ptrs: ptrs, a: [6]uintptr{2: exact}, what: what, bare: bare})
	return nil
}

// stdio gives the child its fds 0, 1 and 2: a file as it is, nil as
// /dev/null, any other reader or writer through a pipe and a copier.
// Each becomes a close-on-exec fd of 3 or more, so that the child's
// dup3 onto 0, 1 and 2 can never overwrite one it still needs.
func (r *runner) stdio(l *launch) error {
	var in any = r.o.Stdin
	for i, v := range []any{in, r.o.Stdout, r.o.Stderr} {
		if i == 2 && v != nil && sameWriter(v, r.o.Stdout) {
			// One writer for both, as exec.Cmd does: one pipe, one
			// copier, the target's interleaving kept.
			fd, err := sys.FcntlInt(uintptr(l.stdio[1]), sys.F_DUPFD_CLOEXEC, 3)
			if err != nil {
				return text.Wrap("duplicate fd "+text.D(i), err)
			}
			l.stdio[i] = fd
			continue
		}
		f, err := l.stdioFile(i, v)
		if err != nil {
			return err
		}
		fd, err := sys.FcntlInt(f.Fd(), sys.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			return text.Wrap("duplicate fd "+text.D(i), err)
		}
		l.stdio[i] = fd
	}
	return nil
}

// sameWriter reports whether a and b are the same writer; writers of
// uncomparable types never are.
func sameWriter(a, b any) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func (l *launch) stdioFile(i int, v any) (*os.File, error) {
	if f, ok := v.(*os.File); ok && f != nil {
		return f, nil
	}
	if r, ok := v.(io.Reader); ok && i == 0 {
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, text.Wrap("stdin pipe", err)
		}
		l.pipeEnds = append(l.pipeEnds, pr)
		go func() {
			_, _ = io.Copy(pw, r)
			_ = pw.Close()
		}()
		// Not waited for: the reader may block forever (a terminal);
		// closing the pipe ends a copy stuck writing to a gone target.
		l.cleanup = append(l.cleanup, func() { _ = pw.Close() })
		return pr, nil
	}
	if w, ok := v.(io.Writer); ok && i > 0 {
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, text.Wrap("output pipe", err)
		}
		l.pipeEnds = append(l.pipeEnds, pw)
		l.copiers.Add(1)
		l.hasCopiers = true
		go func() {
			defer l.copiers.Done()
			_, _ = io.Copy(w, pr)
		}()
		l.cleanup = append(l.cleanup, func() { _ = pr.Close() })
		return pw, nil
	}
	mode := os.O_WRONLY
	if i == 0 {
		mode = os.O_RDONLY
	}
	dn, err := os.OpenFile(os.DevNull, mode, 0)
	if err != nil {
		return nil, err
	}
	l.pipeEnds = append(l.pipeEnds, dn)
	return dn, nil
}

// started closes what only the child needed.
func (l *launch) started() {
	for i, fd := range l.stdio {
		if fd >= 0 {
			_ = sys.Close(fd)
			l.stdio[i] = -1
		}
	}
	for _, f := range l.pipeEnds {
		_ = f.Close()
	}
	l.pipeEnds = nil
	if l.peer >= 0 {
		_ = sys.Close(l.peer)
		l.peer = -1
	}
}

// finish waits (at most a second, like exec.Cmd's WaitDelay) for output
// copiers and releases the rest.
func (l *launch) finish() {
	l.started()
	if l.hasCopiers {
		done := make(chan struct{})
		go func() { l.copiers.Wait(); close(done) }()
		t := time.NewTimer(time.Second)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	for _, f := range l.cleanup {
		f()
	}
	l.cleanup = nil
	if l.sock >= 0 {
		_ = sys.Close(l.sock)
		l.sock = -1
	}
	if l.page != nil {
		_ = sys.Munmap(l.page)
		l.page, l.rep = nil, nil
	}
}

// failure turns the report of a child that failed into a StepError.
func (l *launch) failure() error {
	i, e := int(l.rep.op)-1, syscall.Errno(l.rep.errno)
	if i < 0 || i >= len(l.ops) {
		return &StepError{Step: "start", Err: errors.New("child failed with " + e.Error() + " before its first step")}
	}
	op := l.ops[i]
	what := op.what
	if op.hasN {
		what = text.ReplaceOnce(what, "%d", text.D(op.n))
	}
	var err error
	switch {
	case e == errnoInjected:
		err = errInjected
	case op.bare:
		err = errors.New(what)
	default:
		err = text.Wrap(what, e)
	}
	return &StepError{Step: Steps[op.step], Err: err}
}

// idMapText is the uid_map/gid_map text for m, or for "self as root".
func idMapText(m []plan.IDMap, self int) string {
	if len(m) == 0 {
		return "0 " + strconv.Itoa(self) + " 1\n"
	}
	var b []byte
	for _, x := range m {
		b = strconv.AppendUint(b, uint64(x.ContainerID), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(x.HostID), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(x.Size), 10)
		b = append(b, '\n')
	}
	return string(b)
}

// cloneArgs is struct clone_args (clone3(2)), up to the cgroup field.
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls, setTID, setTIDSize, cgroup uint64
}
