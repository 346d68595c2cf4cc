package enforcer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/profilec/profilec/internal/testenv"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/gcpause"
)

func statusField(t *testing.T, out, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `:\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in output:\n%s", key, out)
	}
	return m[1]
}

func TestConfinementSeenFromInside(t *testing.T) {
	p := fullPlan(t)
	defer requireClean(t, "")
	o := run(t, p, []string{busybox, "sh", "-c", `
echo host=$(hostname)
echo pid=$$
grep -E '^(CapEff|CapBnd|CapPrm|CapInh|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
echo nofile=$(ulimit -n)
mkdir /tmp/profilec-denied-$$ 2>&1; echo mkdir=$?
echo init=$(cat /proc/1/comm)
grep -E ':(memory|pids):' /proc/self/cgroup
kill -0 ` + strconv.Itoa(os.Getpid()) + ` 2>/dev/null; echo hostkill=$?
echo netdevs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')
` + busybox + ` ip -o link show lo
` + busybox + ` ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping=$?
`}, enforcer.Options{})
	if o.err != nil {
		t.Fatalf("Run: %v\n%s", o.err, o.stderr)
	}
	out := o.stdout
	t.Log(out)
	// The cgroup namespace is rooted at the run's own cgroup.
	for _, want := range []string{"host=confined", "pid=1", "mkdir=1", "init=busybox", "nofile=512", "Operation not permitted", ":memory:/\n", ":pids:/\n",
		"hostkill=1",   // the host's processes are out of reach
		"netdevs=lo\n", // a network namespace of its own
		"<LOOPBACK,UP", // with its loopback up
		"ping=0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	mask, err := capMask(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%016x", mask)
	// Root's sets after execve are the bounding set (capabilities(7)).
	for _, k := range []string{"CapEff", "CapBnd", "CapPrm"} {
		if got := statusField(t, out, k); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if got := statusField(t, out, "CapAmb"); got != "0000000000000000" {
		t.Errorf("CapAmb = %s, want none", got)
	}
	if got := statusField(t, out, "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs = %s", got)
	}
	if got := statusField(t, out, "Seccomp"); got != "2" {
		t.Errorf("Seccomp = %s, want 2 (filter)", got)
	}
	if o.res.ExitCode != 0 {
		t.Errorf("exit code %d", o.res.ExitCode)
	}
}

// capMask mirrors the kernel's bit numbering for the names the tests use.
func capMask(names []string) (uint64, error) {
	bits := map[string]uint{
		"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "CAP_FOWNER": unix.CAP_FOWNER,
		"CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
		"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP, "CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
		"CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT, "CAP_MKNOD": unix.CAP_MKNOD,
		"CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE, "CAP_SETFCAP": unix.CAP_SETFCAP, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN,
	}
	var m uint64
	for _, n := range names {
		b, ok := bits[n]
		if !ok {
			return 0, fmt.Errorf("test table lacks %s", n)
		}
		m |= 1 << b
	}
	return m, nil
}

func TestNonRootUserAndAmbient(t *testing.T) {
	p := fullPlan(t)
	p.User = &plan.User{UID: 1000, GID: 1001, Groups: []uint32{1002, 1003}}
	p.Capabilities = plan.Capabilities{
		Bounding: []string{"CAP_NET_BIND_SERVICE", "CAP_CHOWN"}, Permitted: []string{"CAP_NET_BIND_SERVICE"},
		Effective: []string{"CAP_NET_BIND_SERVICE"}, Inheritable: []string{"CAP_NET_BIND_SERVICE"},
		Ambient: []string{"CAP_NET_BIND_SERVICE"},
	}
	defer requireClean(t, "")
	o := run(t, p, []string{busybox, "sh", "-c", `id -u; id -g; id -G; grep -E '^Cap' /proc/self/status`}, enforcer.Options{})
	if o.err != nil {
		t.Fatalf("Run: %v", o.err)
	}
	lines := strings.Split(o.stdout, "\n")
	if len(lines) < 3 || lines[0] != "1000" || lines[1] != "1001" || lines[2] != "1001 1002 1003" {
		t.Errorf("ids:\n%s", o.stdout)
	}
	nbs := fmt.Sprintf("%016x", uint64(1)<<unix.CAP_NET_BIND_SERVICE)
	both := fmt.Sprintf("%016x", uint64(1)<<unix.CAP_NET_BIND_SERVICE|1<<unix.CAP_CHOWN)
	for k, want := range map[string]string{"CapEff": nbs, "CapPrm": nbs, "CapAmb": nbs, "CapInh": nbs, "CapBnd": both} {
		if got := statusField(t, o.stdout, k); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}

func TestExitStatus(t *testing.T) {
	noPid := fullPlan(t)
	noPid.Namespaces.PID = false
	for _, tc := range []struct {
		name   string
		p      *plan.Plan
		script string
		code   int
		sig    unix.Signal
	}{
		{"zero", fullPlan(t), "exit 0", 0, 0},
		{"code", fullPlan(t), "exit 42", 42, 0},
		// The pid namespace's init is immune to its own signals, so the
		// signal case runs without one.
		{"signal", noPid, "kill -TERM $$; sleep 5", 128 + 15, unix.SIGTERM},
		{"kill", noPid, "kill -KILL $$; sleep 5", 128 + 9, unix.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer requireClean(t, "")
			o := run(t, tc.p, []string{busybox, "sh", "-c", tc.script}, enforcer.Options{})
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.ExitCode != tc.code || o.res.Signal != tc.sig {
				t.Errorf("exit %d signal %v, want %d %v", o.res.ExitCode, o.res.Signal, tc.code, tc.sig)
			}
		})
	}
}

func TestSeccompKillIsReported(t *testing.T) {
	p := fullPlan(t)
	p.Seccomp = filter(t, retAllow, retKillProcess, unix.SYS_MKDIR, unix.SYS_MKDIRAT)
	defer requireClean(t, "")
	dir := filepath.Join(t.TempDir(), "never")
	o := runKilled(t, p, []string{busybox, "mkdir", dir}, enforcer.Options{})
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.Signal != unix.SIGSYS || o.res.ExitCode != 128+int(unix.SIGSYS) {
		t.Fatalf("exit %d signal %v, want SIGSYS", o.res.ExitCode, o.res.Signal)
	}
	if !strings.Contains(o.res.Report, "mkdir") || !strings.Contains(o.res.Report, "x86_64") {
		t.Errorf("report %q does not name mkdir on x86_64", o.res.Report)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the denied mkdir happened")
	}
}

func TestStrictFilterAllowsOnlyWhatTheTargetNeeds(t *testing.T) {
	// What static busybox's `true` itself needs (strace -f busybox true),
	// plus nothing for profilec but execve: anything else kills.
	allowed := []uint32{
		unix.SYS_EXECVE, unix.SYS_ARCH_PRCTL, unix.SYS_BRK, unix.SYS_EXIT_GROUP, unix.SYS_GETRANDOM,
		unix.SYS_GETUID, unix.SYS_MPROTECT, unix.SYS_PRCTL, unix.SYS_PRLIMIT64, unix.SYS_READLINK,
		unix.SYS_RSEQ, unix.SYS_SET_ROBUST_LIST, unix.SYS_SET_TID_ADDRESS,
	}
	p := fullPlan(t)
	p.Seccomp = filter(t, retKillProcess, retAllow, allowed...)
	defer requireClean(t, "")
	o := run(t, p, []string{busybox, "true"}, enforcer.Options{})
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.ExitCode != 0 {
		t.Fatalf("exit %d (%s)", o.res.ExitCode, o.res.Report)
	}
	// Without execve nothing can start: the filter is the very last step,
	// and the launch fails at execve, killed by the filter, naming it.
	p.Seccomp = filter(t, retKillProcess, retAllow, allowed[1:]...)
	for try := 0; ; try++ {
		o = run(t, p, []string{busybox, "true"}, enforcer.Options{})
		var se *enforcer.StepError
		if !errors.As(o.err, &se) || se.Step != "execve" || !strings.Contains(se.Error(), "bad system call") {
			t.Fatalf("Run = %+v, %v; want an execve step error from SIGSYS", o.res, o.err)
		}
		if strings.Contains(se.Error(), "syscall execve (59) on x86_64") {
			break
		}
		if try == 2 {
			t.Fatalf("%v: the report does not name execve", se)
		}
		time.Sleep(5100 * time.Millisecond) // printk rate limit, see runKilled
	}
}

func TestTreeDiesWithTarget(t *testing.T) {
	noPid := fullPlan(t)
	noPid.Namespaces.PID, noPid.Namespaces.Mount = false, false
	noCgroup := fullPlan(t)
	noCgroup.Cgroup = nil
	for name, p := range map[string]*plan.Plan{"pidns+cgroup": fullPlan(t), "cgroup only": noPid, "pidns only": noCgroup} {
		t.Run(name, func(t *testing.T) {
			mark, bb := marker(t)
			defer requireClean(t, mark)
			// The background sleep double-forks away from the target.
			o := run(t, p, []string{busybox, "sh", "-c", "(" + bb + " sleep 1000 &) ; " + bb + " sleep 0.1; echo started"}, enforcer.Options{})
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.ExitCode != 0 || o.stdout != "started\n" {
				t.Errorf("exit %d %q %s", o.res.ExitCode, o.stdout, o.stderr)
			}
		})
	}
}

func TestTimeoutKillsTree(t *testing.T) {
	mark, bb := marker(t)
	defer requireClean(t, mark)
	o := run(t, fullPlan(t), []string{busybox, "sh", "-c", bb + " sleep 1000 & " + bb + " sleep 1000"}, enforcer.Options{Timeout: 200 * time.Millisecond})
	if o.err != nil {
		t.Fatal(o.err)
	}
	if !o.res.TimedOut || o.res.ExitCode != 128+9 || !strings.Contains(o.res.Report, "timed out") {
		t.Errorf("result %+v, want a timeout with 137", o.res)
	}
}

func TestForkBombHeldByPidsMax(t *testing.T) {
	p := fullPlan(t)
	p.Cgroup.PidsMax = i64(16)
	mark, bb := marker(t)
	defer requireClean(t, mark)
	// 40 forks against a limit of 16: fork fails with EAGAIN and busybox
	// sh gives up; each started sleep printed its number first.
	script := fmt.Sprintf(`for i in $(seq 40); do %s sleep 1000 & echo $i; done`, bb)
	o := run(t, p, []string{busybox, "sh", "-c", script}, enforcer.Options{Timeout: 20 * time.Second, Stats: true})
	if o.err != nil {
		t.Fatal(o.err)
	}
	started := strings.Fields(o.stdout)
	if len(started) == 0 || len(started) >= 16 {
		t.Errorf("%d sleeps started under pids.max 16", len(started))
	}
	if !strings.Contains(o.stderr, "can't fork") {
		t.Errorf("stderr %q: fork did not fail", o.stderr)
	}
	if st := o.res.Stats; st == nil || st.PeakPids > 16 || st.PeakPids < int64(len(started)) {
		t.Errorf("stats %+v, %d started", st, len(started))
	}
}

func TestMemoryHogIsOOMKilledAndReported(t *testing.T) {
	prog := testprog(t)
	p := fullPlan(t)
	p.Cgroup.MemoryMax = i64(64 << 20)
	defer requireClean(t, "")
	o := run(t, p, []string{prog, "hog", "512"}, enforcer.Options{Timeout: 20 * time.Second, Stats: true})
	if o.err != nil {
		t.Fatal(o.err)
	}
	if !o.res.OOMKilled || o.res.Signal != unix.SIGKILL {
		t.Fatalf("result %+v, want an OOM kill", o.res)
	}
	if !strings.Contains(o.res.Report, "64 MiB") {
		t.Errorf("report %q does not name the 64 MiB limit", o.res.Report)
	}
	// The kernel's usage counter may overshoot the limit by a few pages
	// (it charges in batches) before the OOM killer acts.
	if st := o.res.Stats; st == nil || st.PeakMemory < 32<<20 || st.PeakMemory > 65<<20 {
		t.Errorf("stats %+v: peak memory should be near the limit", st)
	}
}

func TestStats(t *testing.T) {
	defer requireClean(t, "")
	o := run(t, fullPlan(t), []string{busybox, "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"}, enforcer.Options{Stats: true})
	if o.err != nil {
		t.Fatal(o.err)
	}
	st := o.res.Stats
	if st == nil || st.CgroupVersion != 1 || st.PeakMemory <= 0 || st.CPUTime <= 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultAtEveryStepFailsClosed(t *testing.T) {
	for _, step := range enforcer.Steps {
		t.Run(step, func(t *testing.T) {
			defer requireClean(t, "")
			touched := filepath.Join(t.TempDir(), "target-ran")
			o := run(t, fullPlan(t), []string{busybox, "touch", touched}, enforcer.Options{Fault: step})
			var se *enforcer.StepError
			if !errors.As(o.err, &se) {
				t.Fatalf("Run = %+v, %v; want a StepError", o.res, o.err)
			}
			if se.Step != step || !strings.HasPrefix(se.Error(), step+": ") {
				t.Errorf("error %q names step %q, want %q", se, se.Step, step)
			}
			if _, err := os.Stat(touched); err == nil {
				t.Error("the target ran")
			}
		})
	}
}

func TestInitStageKilledBeforeExec(t *testing.T) {
	defer requireClean(t, "")
	touched := filepath.Join(t.TempDir(), "target-ran")
	o := run(t, fullPlan(t), []string{busybox, "touch", touched}, enforcer.Options{Fault: enforcer.FaultInitKilled})
	var se *enforcer.StepError
	if !errors.As(o.err, &se) || se.Step != "execve" || !strings.Contains(se.Error(), "killed by signal 9") {
		t.Fatalf("Run = %+v, %v; want an execve step error saying the init stage was killed", o.res, o.err)
	}
	if _, err := os.Stat(touched); err == nil {
		t.Error("the target ran")
	}
}

func TestBadInputIsAStepError(t *testing.T) {
	bad := func(f func(p *plan.Plan)) *plan.Plan { p := fullPlan(t); f(p); return p }
	for name, tc := range map[string]struct {
		p    *plan.Plan
		argv []string
		step string
	}{
		"nil plan":             {nil, []string{"true"}, "validate"},
		"version":              {bad(func(p *plan.Plan) { p.Version = 99 }), []string{"true"}, "validate"},
		"arch":                 {bad(func(p *plan.Plan) { p.Arch = "SCMP_ARCH_AARCH64" }), []string{"true"}, "validate"},
		"no argv":              {fullPlan(t), nil, "validate"},
		"capability":           {bad(func(p *plan.Plan) { p.Capabilities.Bounding = []string{"CAP_NOPE"} }), []string{"true"}, "validate"},
		"tsync":                {bad(func(p *plan.Plan) { p.Seccomp.Flags = []string{"SECCOMP_FILTER_FLAG_TSYNC"} }), []string{"true"}, "validate"},
		"empty program":        {bad(func(p *plan.Plan) { p.Seccomp.Program = nil }), []string{"true"}, "validate"},
		"rlimit":               {bad(func(p *plan.Plan) { p.Rlimits = []plan.Rlimit{{Name: "nofile", Soft: 10, Hard: 5}} }), []string{"true"}, "validate"},
		"hostname without uts": {bad(func(p *plan.Plan) { p.Namespaces.UTS = false }), []string{"true"}, "validate"},
		"maps without userns": {bad(func(p *plan.Plan) {
			p.Namespaces.UIDMap = []plan.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}
		}), []string{"true"}, "validate"},
		"unmapped user in userns": {bad(func(p *plan.Plan) {
			p.Namespaces.User = true
			p.User = &plan.User{UID: 1000, GID: 1000}
		}), []string{"true"}, "gid"},
		"missing command": {fullPlan(t), []string{"/nonexistent/profilec-cmd"}, "resolve"},
		"not in PATH":     {fullPlan(t), []string{"profilec-no-such-cmd"}, "resolve"},
		"invalid filter":  {bad(func(p *plan.Plan) { p.Seccomp.Program = []plan.Instruction{{Code: 0xffff}} }), []string{"true"}, "seccomp"},
		"filter denies write and execve": {bad(func(p *plan.Plan) {
			p.Seccomp = assemble(t, []bpf.Instruction{bpf.RetConstant{Val: retErrno | 1}})
		}), []string{"true"}, "execve"},
	} {
		t.Run(name, func(t *testing.T) {
			defer requireClean(t, "")
			o := run(t, tc.p, tc.argv, enforcer.Options{})
			var se *enforcer.StepError
			if !errors.As(o.err, &se) || se.Step != tc.step {
				t.Fatalf("Run = %+v, %v; want a StepError at %s", o.res, o.err, tc.step)
			}
			t.Log(se)
		})
	}
}

// TestFilterWithoutNoNewPrivs: seccomp(2) needs CAP_SYS_ADMIN to install
// a filter without no_new_privs; the child keeps it until execve,
// which must not hand it to the target.
func TestFilterWithoutNoNewPrivs(t *testing.T) {
	for name, user := range map[string]*plan.User{"root": {UID: 0, GID: 0}, "non-root": {UID: 1000, GID: 1000}} {
		t.Run(name, func(t *testing.T) {
			p := fullPlan(t)
			p.NoNewPrivileges = false
			p.User = user
			defer requireClean(t, "")
			o := run(t, p, []string{busybox, "grep", "-E", "^(CapEff|CapPrm|NoNewPrivs|Seccomp):", "/proc/self/status"}, enforcer.Options{})
			if o.err != nil {
				t.Fatal(o.err)
			}
			want := "0000000000000000"
			if user.UID == 0 {
				m, _ := capMask(dockerCaps)
				want = fmt.Sprintf("%016x", m)
			}
			for k, v := range map[string]string{"CapEff": want, "CapPrm": want, "NoNewPrivs": "0", "Seccomp": "2"} {
				if got := statusField(t, o.stdout, k); got != v {
					t.Errorf("%s = %s, want %s", k, got, v)
				}
			}
		})
	}
}

// TestNoMountReachesTheHost: a pid namespace without a mount namespace
// gets one anyway (its /proc must be fresh), and the host's mount table
// is the same after every kind of run.
func TestNoMountReachesTheHost(t *testing.T) {
	before, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	p := fullPlan(t)
	p.Namespaces.Mount = false
	defer requireClean(t, "")
	o := run(t, p, []string{busybox, "sh", "-c", "cat /proc/1/comm; ls /proc | grep -c '^[0-9]*$'"}, enforcer.Options{})
	if o.err != nil {
		t.Fatal(o.err)
	}
	if f := strings.Fields(o.stdout); len(f) != 2 || f[0] != "busybox" || f[1] == "" || len(f[1]) > 1 {
		t.Errorf("target's /proc shows %q; want its own namespace (pid 1 busybox, a handful of pids)", o.stdout)
	}
	for _, step := range []string{"mount-private", "mount-proc", "seccomp"} {
		_ = run(t, fullPlan(t), []string{busybox, "true"}, enforcer.Options{Fault: step})
	}
	after, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the host's mount table changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestConcurrentRuns: launches from one process do not interfere (cgroup
// names, the collector pause as the CLI installs it, the report pages,
// kernel log readers).
func TestConcurrentRuns(t *testing.T) {
	testenv.RequireRoot(t)
	defer requireClean(t, "")
	enforcer.PauseGC = gcpause.Pause
	defer func() { enforcer.PauseGC = nil }()
	before := debug.SetGCPercent(100)
	debug.SetGCPercent(before)
	const n = 4
	type got struct {
		i    int
		code int
		out  string
		err  error
	}
	results := make(chan got, n)
	for i := 0; i < n; i++ {
		go func() {
			var out bytes.Buffer
			p := fullPlan(t)
			res, err := enforcer.Run(context.Background(), p, []string{busybox, "sh", "-c", fmt.Sprintf("echo %d; exit %d", i, 10+i)},
				enforcer.Options{Stdout: &out, Env: []string{"PATH=/bin"}, Stats: i%2 == 0})
			results <- got{i, res.ExitCode, out.String(), err}
		}()
	}
	for k := 0; k < n; k++ {
		g := <-results
		if g.err != nil || g.code != 10+g.i || g.out != fmt.Sprintf("%d\n", g.i) {
			t.Errorf("run %d: exit %d, %q, %v", g.i, g.code, g.out, g.err)
		}
	}
	if pct := debug.SetGCPercent(before); pct != before {
		t.Errorf("GC percent %d after concurrent runs, want the caller's %d restored", pct, before)
	}
}

// The target's fds 0, 1 and 2: a reader is piped in, writers get what it
// writes, nil is /dev/null, and the same writer for both outputs keeps
// their order.
func TestStdioPlumbing(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	defer requireClean(t, "")
	ctx := context.Background()
	var out bytes.Buffer
	res, err := enforcer.Run(ctx, fullPlan(t), []string{busybox, "sh", "-c", "tr a-z A-Z; echo err >&2; echo out"},
		enforcer.Options{Stdin: strings.NewReader("piped in\n"), Stdout: &out, Stderr: &out, Env: []string{"PATH=/bin"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: %+v, %v", res, err)
	}
	if got := out.String(); got != "PIPED IN\nerr\nout\n" {
		t.Errorf("output %q", got)
	}
	// Nothing given: stdin reads EOF at once, output goes nowhere.
	res, err = enforcer.Run(ctx, fullPlan(t), []string{busybox, "sh", "-c", "read x; echo $? >&2; [ -z \"$x\" ]"},
		enforcer.Options{Env: []string{"PATH=/bin"}})
	if err != nil || res.ExitCode != 0 {
		t.Errorf("with nil stdio: %+v, %v", res, err)
	}
	// Files are handed over as they are.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := enforcer.Run(ctx, fullPlan(t), []string{busybox, "echo", "to a file"}, enforcer.Options{Stdout: f, Env: []string{"PATH=/bin"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f.Name()); string(b) != "to a file\n" {
		t.Errorf("file got %q", b)
	}
}
