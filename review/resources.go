package review

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/profilec/profilec/schema"
)

func (d *differ) capabilities(old, new schema.CapSets) {
	sets := []struct {
		name     string
		old, new []string
	}{
		{"effective", old.Effective, new.Effective},
		{"permitted", old.Permitted, new.Permitted},
		{"bounding", old.Bounding, new.Bounding},
		{"inheritable", old.Inheritable, new.Inheritable},
		{"ambient", old.Ambient, new.Ambient},
	}
	var names []string
	for _, s := range sets {
		names = append(names, s.old...)
		names = append(names, s.new...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var added, removed []Change
	for _, c := range names {
		var gained, lost []string
		for _, s := range sets {
			o, n := slices.Contains(s.old, c), slices.Contains(s.new, c)
			switch {
			case n && !o:
				gained = append(gained, s.name)
			case o && !n:
				lost = append(lost, s.name)
			}
		}
		if len(gained) > 0 {
			path := "add"
			if len(gained) == 1 && gained[0] == "ambient" {
				path = "ambient"
			}
			added = append(added, Change{Kind: KindCapAdded, Subject: c, New: strings.Join(gained, ","),
				Message: fmt.Sprintf("%s added to the %s %s", c, strings.Join(gained, ", "), plural(len(gained), "set", "sets")),
				Pos:     d.loc.item(c, "CAP_", "capabilities", path)})
		}
		if len(lost) > 0 {
			removed = append(removed, Change{Kind: KindCapRemoved, Subject: c, Old: strings.Join(lost, ","),
				Message: fmt.Sprintf("%s removed from the %s %s", c, strings.Join(lost, ", "), plural(len(lost), "set", "sets")),
				Pos:     d.loc.item(c, "CAP_", "capabilities", "drop")})
		}
	}
	d.changes = append(d.changes, added...)
	d.changes = append(d.changes, removed...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (d *differ) namespaces(old, new *schema.Namespaces) {
	type ns struct {
		name     string
		old, new bool
		detail   [2]string // what else old and new say (hostname, id maps)
	}
	on := func(p *schema.NS) bool { return p != nil && p.Enabled }
	list := []ns{
		{name: "user", old: old.User != nil && old.User.Enabled, new: new.User != nil && new.User.Enabled},
		{name: "pid", old: on(old.PID), new: on(new.PID)},
		{name: "mount", old: on(old.Mount), new: on(new.Mount)},
		{name: "uts", old: old.UTS != nil && old.UTS.Enabled, new: new.UTS != nil && new.UTS.Enabled},
		{name: "ipc", old: on(old.IPC), new: on(new.IPC)},
		{name: "net", old: on(old.Net), new: on(new.Net)},
		{name: "cgroup", old: on(old.Cgroup), new: on(new.Cgroup)},
		{name: "time", old: on(old.Time), new: on(new.Time)},
	}
	if old.User != nil && new.User != nil {
		list[0].detail = [2]string{fmt.Sprint(old.User.UIDMap, old.User.GIDMap), fmt.Sprint(new.User.UIDMap, new.User.GIDMap)}
	}
	if old.UTS != nil && new.UTS != nil {
		list[3].detail = [2]string{old.UTS.Hostname, new.UTS.Hostname}
	}
	for _, n := range list {
		pos := d.loc.key("namespaces", n.name)
		switch {
		case n.new && !n.old:
			d.add(Change{Kind: KindNSAdded, Subject: n.name, Old: "shared", New: "own", Pos: pos,
				Message: fmt.Sprintf("gets its own %s namespace", n.name)})
		case n.old && !n.new:
			d.add(Change{Kind: KindNSDropped, Subject: n.name, Old: "own", New: "shared", Pos: pos,
				Message: fmt.Sprintf("no longer gets its own %s namespace: it shares the host's", n.name)})
		case n.old && n.detail[0] != n.detail[1]:
			what := "id maps"
			if n.name == "uts" {
				what = "hostname"
			}
			d.add(Change{Kind: KindNSChanged, Subject: n.name, Old: n.detail[0], New: n.detail[1], Pos: pos,
				Message: fmt.Sprintf("%s namespace %s %s, was %s", n.name, what, quote(n.detail[1]), quote(n.detail[0]))})
		}
	}
}

func quote(s string) string {
	if s == "" {
		return "unset"
	}
	return strconv.Quote(s)
}

// limit is one numeric limit: nil is unset (unlimited). Larger is looser
// for every limit here, weights included (a larger share of the CPU).
type limit struct {
	name string
	path []string
	old  *float64
	new  *float64
	unit string // "bytes", "cpus" or ""
}

func i64(p *int64) *float64 {
	if p == nil {
		return nil
	}
	v := float64(*p)
	return &v
}

func u64(p *uint64) *float64 {
	if p == nil {
		return nil
	}
	v := float64(*p)
	return &v
}

func (d *differ) limits(old, new *schema.Resolved) {
	oc, nc := old.Cgroups, new.Cgroups
	var ls []limit
	mem := func(c schema.Cgroups) (mx, hi, sw *int64) {
		if c.Memory != nil {
			return c.Memory.Max, c.Memory.High, c.Memory.SwapMax
		}
		return nil, nil, nil
	}
	omx, ohi, osw := mem(oc)
	nmx, nhi, nsw := mem(nc)
	ls = append(ls,
		limit{"memory.max", []string{"cgroups", "memory", "max"}, i64(omx), i64(nmx), "bytes"},
		limit{"memory.high", []string{"cgroups", "memory", "high"}, i64(ohi), i64(nhi), "bytes"},
		limit{"memory.swapMax", []string{"cgroups", "memory", "swapMax"}, i64(osw), i64(nsw), "bytes"},
	)
	cpu := func(c schema.Cgroups) (mx *float64, w *uint64) {
		if c.CPU != nil {
			return c.CPU.Max, c.CPU.Weight
		}
		return nil, nil
	}
	ocm, ocw := cpu(oc)
	ncm, ncw := cpu(nc)
	ls = append(ls,
		limit{"cpu.max", []string{"cgroups", "cpu", "max"}, ocm, ncm, "cpus"},
		limit{"cpu.weight", []string{"cgroups", "cpu", "weight"}, u64(ocw), u64(ncw), ""},
	)
	pids := func(c schema.Cgroups) *int64 {
		if c.Pids != nil {
			return c.Pids.Max
		}
		return nil
	}
	ls = append(ls, limit{"pids.max", []string{"cgroups", "pids", "max"}, i64(pids(oc)), i64(pids(nc)), ""})
	iow := func(c schema.Cgroups) *uint64 {
		if c.IO != nil {
			return c.IO.Weight
		}
		return nil
	}
	ls = append(ls, limit{"io.weight", []string{"cgroups", "io", "weight"}, u64(iow(oc)), u64(iow(nc)), ""})
	ls = append(ls, ioDevices(oc.IO, nc.IO)...)
	ls = append(ls, rlimits(old.Rlimits, new.Rlimits)...)
	for _, l := range ls {
		d.limit(l)
	}
	if !oc.Optional && nc.Optional {
		d.add(Change{Kind: KindLimitLoosened, Subject: "cgroups.optional", Old: "false", New: "true", Pos: d.loc.key("cgroups", "optional"),
			Message: "cgroup limits became optional: without cgroup delegation they are skipped instead of refusing to start"})
	} else if oc.Optional && !nc.Optional {
		d.add(Change{Kind: KindLimitTightened, Subject: "cgroups.optional", Old: "true", New: "false", Pos: d.loc.key("cgroups", "optional"),
			Message: "cgroup limits are no longer optional"})
	}
}

func ioDevices(o, n *schema.IOLimits) []limit {
	dev := func(l *schema.IOLimits) map[string]schema.IODevice {
		m := map[string]schema.IODevice{}
		if l != nil {
			for _, d := range l.Max {
				m[d.Device] = d
			}
		}
		return m
	}
	om, nm := dev(o), dev(n)
	var names []string
	for k := range om {
		names = append(names, k)
	}
	for k := range nm {
		names = append(names, k)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var out []limit
	// Zero means unlimited for a device throttle.
	val := func(m map[string]schema.IODevice, dev string, f func(schema.IODevice) uint64) *float64 {
		d, ok := m[dev]
		if !ok || f(d) == 0 {
			return nil
		}
		v := float64(f(d))
		return &v
	}
	for _, dv := range names {
		for _, f := range []struct {
			name string
			get  func(schema.IODevice) uint64
			unit string
		}{
			{"rbps", func(d schema.IODevice) uint64 { return d.RBps }, "bytes"},
			{"wbps", func(d schema.IODevice) uint64 { return d.WBps }, "bytes"},
			{"riops", func(d schema.IODevice) uint64 { return d.RIOps }, ""},
			{"wiops", func(d schema.IODevice) uint64 { return d.WIOps }, ""},
		} {
			out = append(out, limit{"io.max[" + dv + "]." + f.name, []string{"cgroups", "io", "max"}, val(om, dv, f.get), val(nm, dv, f.get), f.unit})
		}
	}
	return out
}

func rlimits(o, n map[string]schema.Rlimit) []limit {
	var names []string
	for k := range o {
		names = append(names, k)
	}
	for k := range n {
		names = append(names, k)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	val := func(m map[string]schema.Rlimit, name string, hard bool) *float64 {
		r, ok := m[name]
		if !ok {
			return nil
		}
		v := r.Soft
		if hard {
			v = r.Hard
		}
		if v == schema.Unlimited {
			return nil
		}
		f := float64(v)
		return &f
	}
	var out []limit
	for _, name := range names {
		path := []string{"rlimits", name}
		_, inOld := o[name]
		_, inNew := n[name]
		if !inNew && inOld {
			// Gone altogether: the target inherits whatever its parent has.
			out = append(out, limit{"rlimit." + name, path, val(o, name, true), nil, ""})
			continue
		}
		if o[name].Soft == o[name].Hard && n[name].Soft == n[name].Hard {
			// One value written once (nofile: 1024) is one change.
			out = append(out, limit{"rlimit." + name, path, val(o, name, true), val(n, name, true), ""})
			continue
		}
		out = append(out,
			limit{"rlimit." + name + ".soft", path, val(o, name, false), val(n, name, false), ""},
			limit{"rlimit." + name + ".hard", path, val(o, name, true), val(n, name, true), ""})
	}
	return out
}

func (d *differ) limit(l limit) {
	pos := d.loc.key(l.path...)
	c := Change{Subject: l.name, Old: l.format(l.old), New: l.format(l.new), Pos: pos}
	switch {
	case l.old == nil && l.new == nil:
		return
	case l.old != nil && l.new == nil && strings.HasSuffix(l.name, "weight"):
		c.Kind = KindLimitRemoved
		c.New = "unset"
		c.Message = fmt.Sprintf("%s unset (was %s)", l.name, c.Old)
	case l.old != nil && l.new == nil:
		c.Kind = KindLimitRemoved
		c.Message = fmt.Sprintf("%s limit removed (was %s): now unlimited", l.name, c.Old)
		if strings.HasPrefix(l.name, "rlimit.") {
			c.Message = fmt.Sprintf("%s limit removed (was %s): now unlimited or inherited", l.name, c.Old)
		}
	case l.old == nil && strings.HasSuffix(l.name, "weight"):
		c.Kind = KindLimitAdded
		c.Old = "unset"
		c.Message = fmt.Sprintf("%s set to %s (was unset)", l.name, c.New)
	case l.old == nil:
		c.Kind = KindLimitAdded
		c.Message = fmt.Sprintf("%s limited to %s (was unlimited)", l.name, c.New)
	case *l.new > *l.old:
		c.Kind = KindLimitLoosened
		c.Message = fmt.Sprintf("%s loosened from %s to %s", l.name, c.Old, c.New)
	case *l.new < *l.old:
		c.Kind = KindLimitTightened
		c.Message = fmt.Sprintf("%s tightened from %s to %s", l.name, c.Old, c.New)
	default:
		return
	}
	d.add(c)
}

func (l limit) format(v *float64) string {
	if v == nil {
		return "unlimited"
	}
	switch l.unit {
	case "bytes":
		return bytesString(*v)
	case "cpus":
		return strconv.FormatFloat(*v, 'f', -1, 64) + " CPUs"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// bytesString prints sizes the way profiles write them (256Mi) when they
// are whole units.
func bytesString(v float64) string {
	n := uint64(v)
	for _, u := range []struct {
		suffix string
		size   uint64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}
