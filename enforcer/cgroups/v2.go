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

type v2 struct {
	c       plan.Cgroup
	dir     string
	fd      int
	create  int // O_CREATE on a fake tree, see writeFileFlags
	skipped []string
	peak    int64
}

// NewV2 creates MOUNT/profilec/NAME, enables the controllers its limits
// need in MOUNT/profilec (the "no internal processes" rule lets a cgroup
// hand controllers only to children, and profilec holds no process), and
// applies the limits.
func NewV2(c *plan.Cgroup, o Options) (Manager, error) {
	if o.Mount == "" {
		o.Mount = DefaultMount
	}
	m := &v2{fd: -1}
	if !isCgroupfs(o.Mount) {
		m.create = os.O_CREATE
	}
	if c != nil {
		m.c = *c
	}
	var want []string
	if m.c.CPUMax != nil || m.c.CPUWeight != nil {
		want = append(want, "cpu")
	}
	if m.c.IOWeight != nil || len(m.c.IOMax) > 0 {
		want = append(want, "io")
	}
	if m.c.MemoryMax != nil || m.c.MemoryHigh != nil || m.c.MemorySwapMax != nil || o.Stats {
		want = append(want, "memory")
	}
	if m.c.PidsMax != nil || o.Stats {
		want = append(want, "pids")
	}
	parent := path.Join(o.Mount, Parent)
	if err := sys.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return m.noCgroup(text.Wrap("create cgroup "+parent, err))
	}
	enabled, err := m.enable(o.Mount, parent, want)
	if err != nil {
		return nil, err
	}
	dir := path.Join(parent, o.Name)
	if err := sys.Mkdir(dir, 0o755); err != nil {
		return m.noCgroup(text.Wrap("create cgroup "+dir, err))
	}
	m.dir = dir
	if err := m.apply(enabled); err != nil {
		_ = m.Destroy()
		return nil, err
	}
	fd, err := sys.Open(m.dir, sys.O_PATH|sys.O_DIRECTORY|sys.O_CLOEXEC, 0)
	if err != nil {
		_ = m.Destroy()
		return nil, text.Wrap("open cgroup "+m.dir, err)
	}
	m.fd = fd
	return m, nil
}

// noCgroup fails with err, or, when the plan marked the cgroup optional
// and err is a missing delegation, carries on without a cgroup and says so.
func (m *v2) noCgroup(err error) (Manager, error) {
	if m.c.Optional && skippable(err) {
		m.skipped = append(m.skipped, err.Error())
		return m, nil
	}
	return nil, err
}

// enable turns on each wanted controller in the root's and parent's
// cgroup.subtree_control. A controller the parent does not list in
// cgroup.controllers was not delegated to us.
func (m *v2) enable(mount, parent string, want []string) (map[string]bool, error) {
	enabled := map[string]bool{}
	if len(want) == 0 {
		return enabled, nil
	}
	b, err := rawfile.ReadFile(path.Join(parent, "cgroup.controllers"))
	if err != nil {
		return nil, text.Wrap("read cgroup controllers", err)
	}
	have := map[string]bool{}
	for _, c := range text.Fields(string(b)) {
		have[c] = true
	}
	sub, _ := rawfile.ReadFile(path.Join(parent, "cgroup.subtree_control"))
	on := map[string]bool{}
	for _, c := range text.Fields(string(sub)) {
		on[c] = true
	}
	var add []string
	for _, c := range want {
		if !have[c] {
			err := text.Wrap("enable cgroup controller "+c+" in "+parent, errNoController)
			if m.c.Optional {
				m.skipped = append(m.skipped, err.Error())
				continue
			}
			return nil, err
		}
		enabled[c] = true
		if !on[c] {
			add = append(add, "+"+c)
		}
	}
	if len(add) > 0 {
		// One write enables them all; the kernel parses a space-separated
		// list.
		if err := writeFileFlags(path.Join(parent, "cgroup.subtree_control"), text.Join(add, " "), m.create); err != nil {
			if !(m.c.Optional && skippable(err)) {
				return nil, text.Wrap("enable cgroup controllers", err)
			}
			m.skipped = append(m.skipped, err.Error())
			for _, c := range add {
				delete(enabled, c[1:])
			}
		}
	}
	return enabled, nil
}

func (m *v2) set(ctrl string, enabled map[string]bool, file, val, what string) error {
	if !enabled[ctrl] {
		return nil // skipped as optional; already reported
	}
	err := writeFileFlags(path.Join(m.dir, file), val, m.create)
	if err != nil && m.c.Optional && skippable(err) {
		m.skipped = append(m.skipped, what+": "+err.Error())
		return nil
	}
	if err != nil {
		return text.Wrap("set "+what, err)
	}
	return nil
}

func maxOr(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func (m *v2) apply(en map[string]bool) error {
	c := m.c
	type w struct {
		ctrl, file, val, what string
	}
	var ws []w
	if c.MemoryMax != nil {
		ws = append(ws, w{"memory", "memory.max", maxOr(*c.MemoryMax), "memory max"})
	}
	if c.MemoryHigh != nil {
		ws = append(ws, w{"memory", "memory.high", maxOr(*c.MemoryHigh), "memory high"})
	}
	if c.MemorySwapMax != nil {
		ws = append(ws, w{"memory", "memory.swap.max", maxOr(*c.MemorySwapMax), "memory swap max"})
	}
	if c.CPUMax != nil {
		q := "max"
		if v := cpuQuota(*c.CPUMax); v > 0 {
			q = strconv.FormatInt(v, 10)
		}
		ws = append(ws, w{"cpu", "cpu.max", q + " " + strconv.Itoa(cfsPeriod), "cpu max"})
	}
	if c.CPUWeight != nil {
		ws = append(ws, w{"cpu", "cpu.weight", strconv.FormatUint(min(max(*c.CPUWeight, 1), 10000), 10), "cpu weight"})
	}
	if c.IOWeight != nil {
		ws = append(ws, w{"io", "io.weight", "default " + strconv.FormatUint(min(max(*c.IOWeight, 1), 10000), 10), "io weight"})
	}
	for _, io := range c.IOMax {
		var parts []string
		for _, kv := range []struct {
			k string
			v uint64
		}{{"rbps", io.RBps}, {"wbps", io.WBps}, {"riops", io.RIOps}, {"wiops", io.WIOps}} {
			if kv.v != 0 {
				parts = append(parts, kv.k+"="+strconv.FormatUint(kv.v, 10))
			}
		}
		if len(parts) > 0 {
			ws = append(ws, w{"io", "io.max", io.Device + " " + text.Join(parts, " "), "io max " + io.Device})
		}
	}
	for _, x := range ws {
		if err := m.set(x.ctrl, en, x.file, x.val, x.what); err != nil {
			return err
		}
	}
	return nil
}

func (m *v2) Version() int      { return 2 }
func (m *v2) Path() string      { return m.dir }
func (m *v2) Skipped() []string { return m.skipped }
func (m *v2) CgroupFD() int     { return m.fd }

func (m *v2) Parents() []string {
	if m.dir == "" {
		return nil
	}
	return []string{path.Dir(m.dir)}
}

func (m *v2) Join(pid int) error {
	if m.dir == "" {
		return nil
	}
	if err := writeFile(path.Join(m.dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		return text.Wrap("join cgroup", err)
	}
	return nil
}

func (m *v2) SelfJoinFiles() []string { return nil }

func (m *v2) SetPids() error {
	if m.dir == "" {
		return nil
	}
	if m.c.PidsMax == nil {
		return nil
	}
	err := writeFileFlags(path.Join(m.dir, "pids.max"), maxOr(*m.c.PidsMax), m.create)
	if err != nil && m.c.Optional && skippable(err) {
		m.skipped = append(m.skipped, "pids max: "+err.Error())
		return nil
	}
	if err != nil {
		return text.Wrap("set pids max", err)
	}
	return nil
}

func (m *v2) Kill() error {
	if m.dir == "" {
		return nil
	}
	// cgroup.kill (Linux 5.14) kills the whole cgroup atomically, forks in
	// flight included; older kernels get freeze, kill, thaw.
	if err := writeFile(path.Join(m.dir, "cgroup.kill"), "1"); err == nil {
		return waitEmpty(m.dir)
	}
	if err := writeFile(path.Join(m.dir, "cgroup.freeze"), "1"); err == nil {
		pids, _ := readPids(m.dir)
		for _, p := range pids {
			_ = killPid(p)
		}
		_ = writeFile(path.Join(m.dir, "cgroup.freeze"), "0")
	}
	return killLoop(m.dir)
}

// waitEmpty waits until the kernel has moved every killed task out, which
// cgroup.events "populated 0" announces.
func waitEmpty(dir string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, err := readKey(path.Join(dir, "cgroup.events"), "populated"); err != nil || n == 0 {
			return nil
		}
		if pids, err := readPids(dir); err == nil && len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("kill cgroup " + dir + ": processes remain")
		}
		time.Sleep(time.Millisecond)
	}
}

func (m *v2) NeedsSampling() bool {
	if m.dir == "" {
		return false
	}
	_, err := os.Stat(path.Join(m.dir, "pids.peak"))
	return err != nil
}

func (m *v2) Sample() {
	if m.dir == "" {
		return
	}
	if n, err := readInt(path.Join(m.dir, "pids.current")); err == nil && n > m.peak {
		m.peak = n
	}
}

func (m *v2) Stats() (Stats, error) {
	var s Stats
	if m.dir == "" {
		return s, nil
	}
	var errs []error
	v, err := readInt(path.Join(m.dir, "memory.peak"))
	errs = append(errs, err)
	s.PeakMemory = v
	u, err := readKey(path.Join(m.dir, "cpu.stat"), "usage_usec")
	errs = append(errs, err)
	s.CPUTime = time.Duration(u) * time.Microsecond
	// pids.peak appeared in Linux 6.13; sample pids.current before it.
	if p, err := readInt(path.Join(m.dir, "pids.peak")); err == nil {
		s.PeakPids = p
	} else {
		m.Sample()
		s.PeakPids, s.PidsSampled = m.peak, true
	}
	if err := errors.Join(errs...); err != nil {
		return s, text.Wrap("read cgroup stats", err)
	}
	return s, nil
}

func (m *v2) OOMKills() (int64, error) {
	if m.dir == "" {
		return 0, nil
	}
	return readKey(path.Join(m.dir, "memory.events"), "oom_kill")
}

func (m *v2) MemoryLimitFile() string { return "memory.max" }

func (m *v2) Destroy() error {
	if m.fd >= 0 {
		_ = sys.Close(m.fd)
		m.fd = -1
	}
	if m.dir == "" {
		return nil
	}
	if err := rmdirRetry(m.dir); err != nil {
		return err
	}
	m.dir = ""
	return nil
}
