package cgroups

import (
	"errors"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/profilec/profilec/enforcer/internal/rawfile"
	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sys"

	"github.com/profilec/profilec/compiler/plan"
)

// DefaultMount is where both cgroup versions are mounted on systemd and
// non-systemd hosts alike.
const DefaultMount = "/sys/fs/cgroup"

// Parent is the directory under each hierarchy that holds profilec's cgroups,
// so an operator sees (and can clean up) all of them in one place.
const Parent = "profilec"

// Stats are what the cgroup measured over the life of the tree.
type Stats struct {
	// PeakMemory is the highest memory usage in bytes (v1
	// memory.max_usage_in_bytes, v2 memory.peak); 0 when unknown.
	PeakMemory int64
	// CPUTime is user+system CPU time of every process of the tree (v1
	// cpuacct.usage, v2 cpu.stat usage_usec).
	CPUTime time.Duration
	// PeakPids is the highest number of tasks (threads), from pids.peak
	// (Linux 6.13+, both versions). Before that the kernel keeps no peak:
	// PidsSampled is then true and PeakPids is the highest pids.current
	// the supervisor saw while polling every 10ms.
	PeakPids    int64
	PidsSampled bool
}

// Manager is one cgroup of one process tree, whichever version backs it.
type Manager interface {
	// Version is 1 or 2.
	Version() int
	// Path is the cgroup's directory (v1: the memory hierarchy's, or the
	// first created).
	Path() string
	// Skipped lists the limits that could not be applied and were skipped
	// because the plan marked the cgroup optional.
	Skipped() []string
	// CgroupFD is an open directory fd for CLONE_INTO_CGROUP, or -1 when the
	// process must be moved in with Join after it started.
	CgroupFD() int
	// Join moves pid (all its threads) into the cgroup.
	Join(pid int) error
	// SelfJoinFiles are the files a process writes "0" to, to move its
	// calling thread in (v1 "tasks"); nil when the cgroup is joined at
	// clone (v2). Moving one's own thread skips the kernel's global
	// cgroup_threadgroup_rwsem, whose write side waits for an RCU grace
	// period, which Join (a whole process, cgroup.procs) must take.
	SelfJoinFiles() []string
	// SetPids writes the pids limit; the enforcer reports it as a step of
	// its own.
	SetPids() error
	// Parents are the profilec/ directories this cgroup was made in (v1:
	// one per hierarchy used), for SweepParents.
	Parents() []string
	// Kill SIGKILLs every process in the cgroup and waits until it is empty.
	Kill() error
	// NeedsSampling reports whether the kernel keeps no pids peak here, so
	// Sample must be called periodically for Stats to know one.
	NeedsSampling() bool
	// Sample polls counters that have no kernel-kept peak.
	Sample()
	// Stats reads the counters; call before Destroy.
	Stats() (Stats, error)
	// OOMKills is how many processes the OOM killer killed in this cgroup.
	OOMKills() (int64, error)
	// MemoryLimitFile names the limit an OOM kill is attributed to.
	MemoryLimitFile() string
	// Destroy removes the cgroup. It retries while the kernel still holds
	// exiting tasks, and is safe to call twice.
	Destroy() error
}

// Options place the cgroup.
type Options struct {
	// Mount is the cgroupfs mount root; "" means DefaultMount.
	Mount string
	// Name is the leaf directory name, unique per run.
	Name string
	// Stats asks for the controllers that measure (memory, cpuacct, pids)
	// even when no limit needs them.
	Stats bool
	// Freezer asks for a v1 freezer cgroup so Kill cannot race with forks;
	// needed when no pid namespace ends the tree for us.
	Freezer bool
}

// Detect reports the cgroup version that holds controllers at mount: 2 for
// a pure cgroup2 mount, 1 for the legacy or hybrid layout (where the
// unified hierarchy has no controllers, as on this project's build host).
func Detect(mount string) (int, error) {
	if mount == "" {
		mount = DefaultMount
	}
	var st sys.Statfs_t
	if err := sys.Statfs(mount, &st); err != nil {
		return 0, text.Wrap("detect cgroup version", err)
	}
	if st.Type == sys.CGROUP2_SUPER_MAGIC {
		return 2, nil
	}
	return 1, nil
}

// New creates the cgroup for limits on the version found at o.Mount and
// applies every limit except pids (see Manager.SetPids). On error nothing
// is left behind.
func New(c *plan.Cgroup, o Options) (Manager, error) {
	v, err := Detect(o.Mount)
	if err != nil {
		return nil, err
	}
	if v == 2 {
		return NewV2(c, o)
	}
	return NewV1(c, o)
}

// Hard errors that Optional may turn into skips: missing delegation or
// missing controller/file.
func skippable(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) || errors.Is(err, errNoController) || errors.Is(err, sys.EROFS)
}

var errNoController = errors.New("controller not available")

func writeFile(path, val string) error { return writeFileFlags(path, val, 0) }

// writeFileFlags writes val in one write(2), which is what cgroupfs parses.
// A fake tree (plain directories, in tests) passes O_CREATE because no
// kernel populates its new directories with interface files.
func writeFileFlags(path, val string, flag int) error {
	err := rawfile.WriteFile(path, []byte(val), flag)
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return text.Wrap("write "+path, err)
	}
	if err != nil {
		return text.Wrap("write "+path+" "+text.Q(val), pe.Err)
	}
	return nil
}

func readInt(path string) (int64, error) {
	b, err := rawfile.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := text.TrimSpace(string(b))
	if s == "max" {
		return -1, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// readKey returns the value of "key N" in a flat-keyed file such as
// memory.events, cpu.stat or memory.oom_control.
func readKey(path, key string) (int64, error) {
	b, err := rawfile.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range text.Split(string(b), "\n") {
		f := text.Fields(line)
		if len(f) == 2 && f[0] == key {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, errors.New("read " + path + ": no key " + text.Q(key))
}

func readPids(dir string) ([]int, error) {
	b, err := rawfile.ReadFile(path.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range text.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// rmdirRetry removes a cgroup directory. Right after the last task is
// reaped the kernel may still be tearing it down (rmdir says EBUSY), so it
// retries for a bounded time instead of leaking the directory.
func rmdirRetry(dir string) error {
	delay := 100 * time.Microsecond
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := sys.Rmdir(dir)
		if err == nil || err == sys.ENOENT {
			return nil
		}
		if err == sys.ENOTEMPTY && !isCgroupfs(dir) {
			// A fake tree holds real files; cgroupfs never says ENOTEMPTY
			// for interface files, only for child cgroups.
			return os.RemoveAll(dir)
		}
		if err != sys.EBUSY || time.Now().After(deadline) {
			return text.Wrap("remove cgroup "+dir, err)
		}
		time.Sleep(delay)
		if delay < 20*time.Millisecond {
			delay *= 2
		}
	}
}

// killLoop SIGKILLs every pid in dir until it is empty. Without a freezer a
// forking tree could outrun one pass, so it loops; pids.max and the kernel's
// own fork limits bound how long.
func killLoop(dir string) error {
	deadline := time.Now().Add(10 * time.Second)
	delay := 100 * time.Microsecond
	for {
		pids, err := readPids(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return text.Wrap("kill cgroup", err)
		}
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			_ = sys.Kill(p, sys.SIGKILL)
		}
		if time.Now().After(deadline) {
			return errors.New("kill cgroup " + dir + ": " + text.D(len(pids)) + " processes remain")
		}
		time.Sleep(delay)
		if delay < 10*time.Millisecond {
			delay *= 2
		}
	}
}

func isCgroupfs(path string) bool {
	var st sys.Statfs_t
	if sys.Statfs(path, &st) != nil {
		return false
	}
	return st.Type == sys.CGROUP2_SUPER_MAGIC || st.Type == sys.CGROUP_SUPER_MAGIC
}
