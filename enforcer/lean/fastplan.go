package lean

import (
	"math"
	"strconv"

	"github.com/profilec/profilec/compiler/plan"
)

// FastDecode decodes the plans the compiler writes without reflection:
// encoding/json builds its field caches (and, for every field, an
// encoder) on the first decode of each type, which was most of what
// reading a plan cost a launch. It accepts only the plain form: known
// keys spelled exactly, each at most once, no null, no escaped strings,
// integers as integers, no float or io fields. For anything else ok is
// false and planjson.Decode asks encoding/json, whose answer (value or error)
// then stands; TestFastDecodeAgrees and FuzzFastDecode hold the two to
// the same results.
func FastDecode(b []byte) (p *plan.Plan, ok bool) {
	d := &fastDec{s: jsonScan{b: b}}
	p = new(plan.Plan)
	ok = d.object(func(key string) bool {
		switch key {
		case "version":
			v, ok := d.int(math.MinInt, math.MaxInt)
			p.Version = int(v)
			return ok
		case "profileDigest":
			return d.str(&p.ProfileDigest)
		case "name":
			return d.str(&p.Name)
		case "arch":
			return d.str(&p.Arch)
		case "seccomp":
			if d.null() {
				return true
			}
			p.Seccomp = new(plan.Seccomp)
			return d.seccomp(p.Seccomp)
		case "capabilities":
			c := &p.Capabilities
			return d.object(func(key string) bool {
				switch key {
				case "bounding":
					return d.strs(&c.Bounding)
				case "effective":
					return d.strs(&c.Effective)
				case "permitted":
					return d.strs(&c.Permitted)
				case "inheritable":
					return d.strs(&c.Inheritable)
				case "ambient":
					return d.strs(&c.Ambient)
				}
				return false
			})
		case "namespaces":
			return d.namespaces(&p.Namespaces)
		case "cgroup":
			if d.null() {
				return true
			}
			p.Cgroup = new(plan.Cgroup)
			return d.cgroup(p.Cgroup)
		case "rlimits":
			return d.array(func() bool {
				var r plan.Rlimit
				ok := d.object(func(key string) bool {
					switch key {
					case "name":
						return d.str(&r.Name)
					case "soft":
						return d.uint(&r.Soft, math.MaxUint64)
					case "hard":
						return d.uint(&r.Hard, math.MaxUint64)
					}
					return false
				})
				p.Rlimits = append(p.Rlimits, r)
				return ok
			}, func() { p.Rlimits = []plan.Rlimit{} })
		case "noNewPrivileges":
			return d.bool(&p.NoNewPrivileges)
		case "user":
			if d.null() {
				return true
			}
			p.User = new(plan.User)
			u := p.User
			return d.object(func(key string) bool {
				switch key {
				case "uid":
					return d.u32(&u.UID)
				case "gid":
					return d.u32(&u.GID)
				case "groups":
					return d.array(func() bool {
						var g uint32
						ok := d.u32(&g)
						u.Groups = append(u.Groups, g)
						return ok
					}, func() { u.Groups = []uint32{} })
				}
				return false
			})
		}
		return false
	})
	if d.s.ws(); !ok || d.s.i != len(b) {
		return nil, false
	}
	return p, true
}

type fastDec struct{ s jsonScan }

// object decodes an object whose keys are plain and distinct.
func (d *fastDec) object(member func(key string) bool) bool {
	var seen []string
	return d.s.object(func(raw []byte) bool {
		key := string(raw)
		for _, k := range seen {
			if k == key {
				return false
			}
		}
		seen = append(seen, key)
		d.s.ws()
		return member(key)
	})
}

// null consumes a null, which leaves a slice or pointer nil.
func (d *fastDec) null() bool {
	if d.s.ws(); d.s.i+4 <= len(d.s.b) && string(d.s.b[d.s.i:d.s.i+4]) == "null" {
		d.s.i += 4
		return d.delim()
	}
	return false
}

// array decodes an array, or null (the slice stays nil); empty is called
// for [].
func (d *fastDec) array(elem func() bool, empty func()) bool {
	if d.null() {
		return true
	}
	if d.s.ws(); d.s.peek() != '[' {
		return false
	}
	d.s.i++
	if d.s.ws(); d.s.peek() == ']' {
		d.s.i++
		empty()
		return true
	}
	for {
		if d.s.ws(); !elem() {
			return false
		}
		d.s.ws()
		switch d.s.peek() {
		case ',':
			d.s.i++
		case ']':
			d.s.i++
			return true
		default:
			return false
		}
	}
}

func (d *fastDec) str(dst *string) bool {
	raw, plain, ok := d.s.str()
	if !ok || !plain {
		return false
	}
	for _, c := range raw {
		if c < 0x20 || c >= 0x80 {
			return false // control characters and non-ASCII: encoding/json's to judge
		}
	}
	*dst = string(raw)
	return true
}

func (d *fastDec) strs(dst *[]string) bool {
	*dst = nil
	return d.array(func() bool {
		var s string
		ok := d.str(&s)
		*dst = append(*dst, s)
		return ok
	}, func() { *dst = []string{} })
}

func (d *fastDec) bool(dst *bool) bool {
	for _, lit := range []string{"true", "false"} {
		if d.s.i+len(lit) <= len(d.s.b) && string(d.s.b[d.s.i:d.s.i+len(lit)]) == lit {
			d.s.i += len(lit)
			*dst = lit == "true"
			return d.delim()
		}
	}
	return false
}

// delim reports whether a literal ends where a JSON value may end.
func (d *fastDec) delim() bool {
	if d.s.i == len(d.s.b) {
		return true
	}
	switch d.s.b[d.s.i] {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// digits returns the integer literal at the scanner: an optional minus,
// then digits without a leading zero; no fraction or exponent.
func (d *fastDec) digits() (string, bool) {
	start := d.s.i
	if d.s.peek() == '-' {
		d.s.i++
	}
	first := d.s.i
	for d.s.i < len(d.s.b) && d.s.b[d.s.i] >= '0' && d.s.b[d.s.i] <= '9' {
		d.s.i++
	}
	n := d.s.i - first
	if n == 0 || (n > 1 && d.s.b[first] == '0') || !d.delim() {
		return "", false
	}
	return string(d.s.b[start:d.s.i]), true
}

func (d *fastDec) int(min, max int64) (int64, bool) {
	lit, ok := d.digits()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	return v, err == nil && v >= min && v <= max
}

func (d *fastDec) uint(dst *uint64, max uint64) bool {
	lit, ok := d.digits()
	if !ok || lit[0] == '-' {
		return false
	}
	v, err := strconv.ParseUint(lit, 10, 64)
	*dst = v
	return err == nil && v <= max
}

func (d *fastDec) u32(dst *uint32) bool {
	var v uint64
	ok := d.uint(&v, math.MaxUint32)
	*dst = uint32(v)
	return ok
}

func (d *fastDec) i64p(dst **int64) bool {
	if d.null() {
		return true
	}
	v, ok := d.int(math.MinInt64, math.MaxInt64)
	*dst = &v
	return ok
}

func (d *fastDec) u64p(dst **uint64) bool {
	if d.null() {
		return true
	}
	var v uint64
	ok := d.uint(&v, math.MaxUint64)
	*dst = &v
	return ok
}

func (d *fastDec) seccomp(sc *plan.Seccomp) bool {
	return d.object(func(key string) bool {
		switch key {
		case "program":
			prog, n, ok := parseProgram(d.s.b[d.s.i:])
			d.s.i += n
			sc.Program = prog
			return ok
		case "flags":
			return d.strs(&sc.Flags)
		case "listenerPath":
			return d.str(&sc.ListenerPath)
		case "listenerMetadata":
			return d.str(&sc.ListenerMetadata)
		case "architectures":
			return d.strs(&sc.Architectures)
		case "defaultAction":
			return d.str(&sc.DefaultAction)
		}
		return false
	})
}

func (d *fastDec) namespaces(ns *plan.Namespaces) bool {
	return d.object(func(key string) bool {
		switch key {
		case "user":
			return d.bool(&ns.User)
		case "pid":
			return d.bool(&ns.PID)
		case "mount":
			return d.bool(&ns.Mount)
		case "uts":
			return d.bool(&ns.UTS)
		case "ipc":
			return d.bool(&ns.IPC)
		case "net":
			return d.bool(&ns.Net)
		case "cgroup":
			return d.bool(&ns.Cgroup)
		case "time":
			return d.bool(&ns.Time)
		case "hostname":
			return d.str(&ns.Hostname)
		case "uidMap":
			return d.idMaps(&ns.UIDMap)
		case "gidMap":
			return d.idMaps(&ns.GIDMap)
		}
		return false
	})
}

func (d *fastDec) idMaps(dst *[]plan.IDMap) bool {
	return d.array(func() bool {
		var m plan.IDMap
		ok := d.object(func(key string) bool {
			switch key {
			case "containerID":
				return d.u32(&m.ContainerID)
			case "hostID":
				return d.u32(&m.HostID)
			case "size":
				return d.u32(&m.Size)
			}
			return false
		})
		*dst = append(*dst, m)
		return ok
	}, func() { *dst = []plan.IDMap{} })
}

func (d *fastDec) cgroup(c *plan.Cgroup) bool {
	return d.object(func(key string) bool {
		switch key {
		case "memoryMax":
			return d.i64p(&c.MemoryMax)
		case "memoryHigh":
			return d.i64p(&c.MemoryHigh)
		case "memorySwapMax":
			return d.i64p(&c.MemorySwapMax)
		case "pidsMax":
			return d.i64p(&c.PidsMax)
		case "cpuWeight":
			return d.u64p(&c.CPUWeight)
		case "ioWeight":
			return d.u64p(&c.IOWeight)
		case "optional":
			return d.bool(&c.Optional)
		}
		return false // cpuMax (a float), ioMax: encoding/json's
	})
}
