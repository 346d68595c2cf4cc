package cgroups

import (
	"errors"
	"github.com/profilec/profilec/enforcer/internal/text"
	"math"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/profilec/profilec/enforcer/internal/rawfile"

	"github.com/profilec/profilec/enforcer/internal/sys"

	"github.com/profilec/profilec/compiler/plan"
)

// cfsPeriod is the CFS period both versions use for CPUMax: 100ms, the
// kernel's and runc's default, so quota = CPUs * period.
const cfsPeriod = 100000

type v1 struct {
	c       plan.Cgroup
	mount   string
	name    string
	dirs    map[string]string // controller -> created dir
	order   []string          // creation order, removed in reverse
	skipped []string
	peak    int64
}

// NewV1 creates one directory per needed controller under
// MOUNT/CONTROLLER/profilec/NAME and applies the limits.
func NewV1(c *plan.Cgroup, o Options) (Manager, error) {
	if o.Mount == "" {
		o.Mount = DefaultMount
	}
	m := &v1{mount: o.Mount, name: o.Name, dirs: map[string]string{}}
	if c != nil {
		m.c = *c
	}
	need := map[string]bool{}
	if m.c.MemoryMax != nil || m.c.MemorySwapMax != nil || o.Stats {
		need["memory"] = true
	}
	if m.c.PidsMax != nil || o.Stats {
		need["pids"] = true
	}
	if m.c.CPUMax != nil || m.c.CPUWeight != nil {
		need["cpu"] = true
	}
	if o.Stats {
		need["cpuacct"] = true
	}
	if m.c.IOWeight != nil || len(m.c.IOMax) > 0 {
		need["blkio"] = true
	}
	if o.Freezer || len(need) == 0 {
		// A cgroup with no limit still has to hold the tree so it can be
		// killed as one: the freezer is the cheapest controller for that.
		need["freezer"] = true
	}
	for _, ctrl := range []string{"memory", "pids", "cpu", "cpuacct", "blkio", "freezer"} {
		if !need[ctrl] {
			continue
		}
		if err := m.create(ctrl); err != nil {
			if m.c.Optional && skippable(err) {
				m.skipped = append(m.skipped, "cgroup v1 "+ctrl+": "+err.Error())
				continue
			}
			_ = m.Destroy()
			return nil, err
		}
	}
	if err := m.apply(); err != nil {
		_ = m.Destroy()
		return nil, err
	}
	return m, nil
}

func (m *v1) create(ctrl string) error {
	root := path.Join(m.mount, ctrl)
	// Co-mounted controllers are symlinks ("cpu" -> "cpu,cpuacct"); a
	// plain hierarchy needs no EvalSymlinks (an lstat per path element).
	real := root
	if target, err := os.Readlink(root); err == nil {
		if !path.IsAbs(target) {
			target = path.Join(m.mount, target)
		}
		real = path.Clean(target)
	} else if !errors.Is(err, sys.EINVAL) {
		return text.Wrap("create cgroup: "+ctrl+" hierarchy", errNoController)
	}
	// cpu and cpuacct are often co-mounted ("cpu,cpuacct" with symlinks):
	// one directory serves both.
	for c, d := range m.dirs {
		if path.Dir(path.Dir(d)) == real {
			m.dirs[ctrl] = m.dirs[c]
			return nil
		}
	}
	parent := path.Join(real, Parent)
	dir := path.Join(parent, m.name)
	err := sys.Mkdir(dir, 0o755)
	if err == sys.ENOENT {
		// The first launch on this hierarchy (or a missing hierarchy,
		// which the parent's mkdir then reports).
		if err := sys.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return text.Wrap("create cgroup "+parent, err)
		}
		err = sys.Mkdir(dir, 0o755)
	}
	if err != nil {
		return text.Wrap("create cgroup "+dir, err)
	}
	m.dirs[ctrl] = dir
	m.order = append(m.order, ctrl)
	return nil
}

func (m *v1) set(ctrl, file, val, what string) error {
	dir, ok := m.dirs[ctrl]
	if !ok {
		return nil // controller skipped as optional; already reported
	}
	err := writeFile(path.Join(dir, file), val)
	if err != nil && m.c.Optional && skippable(err) {
		m.skipped = append(m.skipped, what+": "+err.Error())
		return nil
	}
	if err != nil {
		return text.Wrap("set "+what, err)
	}
	return nil
}

func (m *v1) unsupported(what string) error {
	err := text.Wrap("set "+what+": no cgroup v1 equivalent", errNoController)
	if m.c.Optional {
		m.skipped = append(m.skipped, err.Error())
		return nil
	}
	return err
}

func (m *v1) apply() error {
	c := m.c
	if c.MemoryMax != nil {
		if err := m.set("memory", "memory.limit_in_bytes", strconv.FormatInt(*c.MemoryMax, 10), "memory max"); err != nil {
			return err
		}
	}
	if c.MemoryHigh != nil {
		// memory.soft_limit_in_bytes only steers reclaim under global
		// pressure; it neither throttles nor bounds usage the way v2
		// memory.high does, so mapping onto it would silently weaken the
		// profile.
		if err := m.unsupported("memory high"); err != nil {
			return err
		}
	}
	if c.MemorySwapMax != nil {
		// v1 memsw counts memory+swap, v2 swap.max counts swap alone.
		if c.MemoryMax == nil || *c.MemoryMax < 0 {
			if err := m.unsupported("memory swap max without memory max"); err != nil {
				return err
			}
		} else {
			total := *c.MemoryMax + *c.MemorySwapMax
			if *c.MemorySwapMax < 0 || total < 0 {
				total = -1
			}
			if err := m.set("memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(total, 10), "memory swap max"); err != nil {
				return err
			}
		}
	}
	if c.CPUMax != nil {
		if err := m.set("cpu", "cpu.cfs_period_us", strconv.Itoa(cfsPeriod), "cpu max"); err != nil {
			return err
		}
		if err := m.set("cpu", "cpu.cfs_quota_us", strconv.FormatInt(cpuQuota(*c.CPUMax), 10), "cpu max"); err != nil {
			return err
		}
	}
	if c.CPUWeight != nil {
		if err := m.set("cpu", "cpu.shares", strconv.FormatUint(WeightToShares(*c.CPUWeight), 10), "cpu weight"); err != nil {
			return err
		}
	}
	if c.IOWeight != nil {
		if err := m.set("blkio", "blkio.weight", strconv.FormatUint(IOWeightToV1(*c.IOWeight), 10), "io weight"); err != nil {
			return err
		}
	}
	for _, io := range c.IOMax {
		for _, f := range []struct {
			file string
			v    uint64
		}{
			{"blkio.throttle.read_bps_device", io.RBps},
			{"blkio.throttle.write_bps_device", io.WBps},
			{"blkio.throttle.read_iops_device", io.RIOps},
			{"blkio.throttle.write_iops_device", io.WIOps},
		} {
			if f.v == 0 {
				continue
			}
			if err := m.set("blkio", f.file, io.Device+" "+strconv.FormatUint(f.v, 10), "io max "+io.Device); err != nil {
				return err
			}
		}
	}
	return nil
}

func cpuQuota(cpus float64) int64 {
	if cpus <= 0 {
		return -1
	}
	q := int64(math.Ceil(cpus * cfsPeriod))
	if q < 1000 { // the kernel refuses quotas under 1ms
		q = 1000
	}
	return q
}

// WeightToShares maps a cgroup v2 cpu.weight [1, 10000] onto v1
// cpu.shares [2, 262144] linearly around the defaults, as systemd does
// (CPUWeight=100 is CPUShares=1024), so a profile's default weight keeps
// the default share on either version.
func WeightToShares(w uint64) uint64 {
	return min(max(w*1024/100, 2), 262144)
}

// IOWeightToV1 maps io.weight [1, 10000] onto blkio.weight [10, 1000]
// linearly around the defaults (100 is 500), as systemd does.
func IOWeightToV1(w uint64) uint64 {
	return min(max(w*500/100, 10), 1000)
}

func (m *v1) Version() int { return 1 }

func (m *v1) Path() string {
	if d, ok := m.dirs["memory"]; ok {
		return d
	}
	for _, c := range m.order {
		return m.dirs[c]
	}
	return ""
}

func (m *v1) Skipped() []string { return m.skipped }
func (m *v1) CgroupFD() int     { return -1 }

func (m *v1) Parents() []string {
	ps := make([]string, 0, len(m.order))
	for _, c := range m.order {
		ps = append(ps, path.Dir(m.dirs[c]))
	}
	return ps
}

func (m *v1) Join(pid int) error {
	s := strconv.Itoa(pid)
	for _, c := range m.order {
		if err := writeFile(path.Join(m.dirs[c], "cgroup.procs"), s); err != nil {
			return text.Wrap("join cgroup", err)
		}
	}
	return nil
}

func (m *v1) SelfJoinFiles() []string {
	var fs []string
	for _, c := range m.order {
		fs = append(fs, path.Join(m.dirs[c], "tasks"))
	}
	return fs
}

func (m *v1) SetPids() error {
	if m.c.PidsMax == nil {
		return nil
	}
	v := "max"
	if *m.c.PidsMax >= 0 {
		v = strconv.FormatInt(*m.c.PidsMax, 10)
	}
	return m.set("pids", "pids.max", v, "pids max")
}

func (m *v1) Kill() error {
	if len(m.order) == 0 {
		return nil
	}
	if dir, ok := m.dirs["freezer"]; ok {
		// Frozen tasks cannot fork, so one pass of SIGKILL reaches all;
		// they die as soon as they are thawed.
		if err := writeFile(path.Join(dir, "freezer.state"), "FROZEN"); err == nil {
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				b, err := rawfile.ReadFile(path.Join(dir, "freezer.state"))
				if err != nil || string(b) != "FREEZING\n" {
					break
				}
				time.Sleep(time.Millisecond)
			}
			pids, _ := readPids(dir)
			for _, p := range pids {
				_ = killPid(p)
			}
			_ = writeFile(path.Join(dir, "freezer.state"), "THAWED")
		}
		return killLoop(dir)
	}
	return killLoop(m.dirs[m.order[0]])
}

func (m *v1) NeedsSampling() bool {
	d, ok := m.dirs["pids"]
	if !ok {
		return false
	}
	_, err := os.Stat(path.Join(d, "pids.peak"))
	return err != nil
}

func (m *v1) Sample() {
	if d, ok := m.dirs["pids"]; ok {
		if n, err := readInt(path.Join(d, "pids.current")); err == nil && n > m.peak {
			m.peak = n
		}
	}
}

func (m *v1) Stats() (Stats, error) {
	var s Stats
	var errs []error
	if d, ok := m.dirs["memory"]; ok {
		v, err := readInt(path.Join(d, "memory.max_usage_in_bytes"))
		errs = append(errs, err)
		s.PeakMemory = v
	}
	if d, ok := m.dirs["cpuacct"]; ok {
		v, err := readInt(path.Join(d, "cpuacct.usage"))
		errs = append(errs, err)
		s.CPUTime = time.Duration(v)
	}
	if d, ok := m.dirs["pids"]; ok {
		// pids.peak exists since Linux 6.13 (v1 and v2); sample before.
		if p, err := readInt(path.Join(d, "pids.peak")); err == nil {
			s.PeakPids = p
		} else {
			m.Sample()
			s.PeakPids, s.PidsSampled = m.peak, true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return s, text.Wrap("read cgroup stats", err)
	}
	return s, nil
}

func (m *v1) OOMKills() (int64, error) {
	d, ok := m.dirs["memory"]
	if !ok {
		return 0, nil
	}
	// oom_kill appeared in memory.oom_control in Linux 4.13; before that
	// under_oom is all there is.
	return readKey(path.Join(d, "memory.oom_control"), "oom_kill")
}

func (m *v1) MemoryLimitFile() string { return "memory.limit_in_bytes" }

func (m *v1) Destroy() error {
	var errs []error
	for i := len(m.order) - 1; i >= 0; i-- {
		c := m.order[i]
		if err := rmdirRetry(m.dirs[c]); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(m.dirs, c)
		m.order = append(m.order[:i], m.order[i+1:]...)
	}
	return errors.Join(errs...)
}
