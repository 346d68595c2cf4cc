package enforcer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/internal/testenv"
)

const busybox = "/bin/busybox"

// dockerCaps is Docker's default capability set.
var dockerCaps = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

func i64(v int64) *int64 { return &v }

// fullPlan confines like `docker run`: every namespace but user, Docker's
// capabilities, no_new_privs, a filter that denies mkdir/mkdirat with
// EPERM, and memory and pids limits.
func fullPlan(t testing.TB) *plan.Plan {
	return &plan.Plan{
		Version: plan.Version,
		Arch:    "SCMP_ARCH_X86_64",
		Namespaces: plan.Namespaces{
			PID: true, Mount: true, UTS: true, IPC: true, Net: true, Cgroup: true, Hostname: "confined",
		},
		Capabilities: plan.Capabilities{
			Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps,
		},
		NoNewPrivileges: true,
		Seccomp:         filter(t, retAllow, retErrno|uint32(unix.EPERM), unix.SYS_MKDIR, unix.SYS_MKDIRAT),
		Cgroup:          &plan.Cgroup{MemoryMax: i64(256 << 20), PidsMax: i64(64)},
		Rlimits:         []plan.Rlimit{{Name: "nofile", Soft: 512, Hard: 1024}},
		User:            &plan.User{UID: 0, GID: 0},
	}
}

type outcome struct {
	res            enforcer.Result
	err            error
	stdout, stderr string
}

func run(t testing.TB, p *plan.Plan, argv []string, o enforcer.Options) outcome {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	var out, errb bytes.Buffer
	o.Stdout, o.Stderr = &out, &errb
	if o.Env == nil {
		o.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := enforcer.Run(ctx, p, argv, o)
	return outcome{res: res, err: err, stdout: out.String(), stderr: errb.String()}
}

// runKilled runs a target expected to die of a seccomp kill. The report
// comes from the kernel log, which printk rate-limits machine-wide (10
// records per 5s by default); when the record was dropped, it waits out
// the interval and tries again rather than accept an unnamed syscall.
func runKilled(t testing.TB, p *plan.Plan, argv []string, o enforcer.Options) outcome {
	t.Helper()
	var out outcome
	for try := 0; try < 3; try++ {
		out = run(t, p, argv, o)
		if out.err != nil || out.res.Signal != unix.SIGSYS || !strings.Contains(out.res.Report, "not known") {
			return out
		}
		t.Logf("audit record dropped (printk rate limit?); retrying after the interval: %s", out.res.Report)
		time.Sleep(5100 * time.Millisecond)
	}
	return out
}

// marker returns a string unique to this test, to find its processes by,
// and a path to busybox that carries it: every process started through
// that path has the marker in its command line.
func marker(t testing.TB) (mark, bb string) {
	mark = fmt.Sprintf("pcmark-%d-%d", os.Getpid(), time.Now().UnixNano())
	dir := filepath.Join(t.TempDir(), mark)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bb = filepath.Join(dir, "busybox")
	if err := os.Symlink(busybox, bb); err != nil {
		t.Fatal(err)
	}
	return mark, bb
}

// processesWith lists pids whose command line contains s.
func processesWith(s string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// leftoverCgroups lists profilec cgroups created by this test process.
func leftoverCgroups() []string {
	dirs, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/profilec/%d-*", os.Getpid()))
	return dirs
}

// children lists processes whose parent is this test process.
func children() []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(s); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}

// requireClean fails the test if any process with mark, child process or
// cgroup of this test process remains, and removes them either way so a
// failing test leaves nothing behind.
func requireClean(t testing.TB, mark string) {
	t.Helper()
	var problems []string
	if mark != "" {
		// Give the kernel a moment to finish tearing down a pid namespace.
		var pids []int
		for i := 0; i < 50; i++ {
			if pids = processesWith(mark); len(pids) == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, p := range pids {
			problems = append(problems, fmt.Sprintf("process %d with marker survived", p))
			_ = unix.Kill(p, unix.SIGKILL)
		}
	}
	for _, p := range children() {
		problems = append(problems, fmt.Sprintf("child process %d survived", p))
		_ = unix.Kill(p, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(p, &ws, 0, nil)
	}
	for _, d := range leftoverCgroups() {
		problems = append(problems, "cgroup "+d+" left behind")
		if pids, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
			for _, s := range strings.Fields(string(pids)) {
				if p, err := strconv.Atoi(s); err == nil {
					_ = unix.Kill(p, unix.SIGKILL)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
		_ = unix.Rmdir(d)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

var (
	testprogOnce sync.Once
	testprogPath string
	testprogErr  error
	testprogDir  string
)

// testprog builds testdata/testprog once, static, for all tests.
func testprog(t testing.TB) string {
	t.Helper()
	testprogOnce.Do(func() {
		testprogDir, testprogErr = os.MkdirTemp("", "profilec-testprog-")
		if testprogErr != nil {
			return
		}
		testprogPath = filepath.Join(testprogDir, "testprog")
		cmd := exec.Command("go", "build", "-o", testprogPath, "./testdata/testprog")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			testprogErr = fmt.Errorf("build testprog: %v\n%s", err, out)
		}
	})
	if testprogErr != nil {
		t.Fatal(testprogErr)
	}
	return testprogPath
}
