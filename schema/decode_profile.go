package schema

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema/systab"
)

// Field names of each object of the language. The JSON Schema and the
// decoder both read these, and a test checks them against the Go types.
var (
	profileFields      = []string{"version", "name", "description", "extends", "seccomp", "capabilities", "namespaces", "cgroups", "rlimits", "noNewPrivileges", "user", "policyExceptions"}
	seccompFields      = []string{"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	archMapFields      = []string{"architecture", "subArchitectures"}
	syscallFields      = []string{"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"}
	argFields          = []string{"index", "value", "valueTwo", "op"}
	filterFields       = []string{"caps", "arches", "minKernel"}
	capabilitiesFields = []string{"add", "drop", "ambient"}
	namespacesFields   = []string{"user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time"}
	nsFields           = []string{"enabled"}
	utsFields          = []string{"enabled", "hostname"}
	userNSFields       = []string{"enabled", "uidMap", "gidMap"}
	idMapFields        = []string{"containerID", "hostID", "size"}
	cgroupsFields      = []string{"memory", "cpu", "pids", "io", "optional"}
	memoryFields       = []string{"max", "high", "swapMax"}
	cpuFields          = []string{"max", "weight"}
	pidsFields         = []string{"max"}
	ioFields           = []string{"weight", "max"}
	ioDeviceFields     = []string{"device", "rbps", "wbps", "riops", "wiops"}
	rlimitFields       = []string{"soft", "hard"}
	userFields         = []string{"uid", "gid", "groups"}
	exceptionFields    = []string{"id", "reason"}
)

// Version is the only language version this loader reads.
const Version = 1

func (d *decoder) profile(doc *yaml.Node) *Profile {
	p := &Profile{File: d.file, Pos: d.pos(doc)}
	top := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			d.add(doc, "", CodeRequired, "", "the profile is empty; it needs at least version: 1")
			return p
		}
		doc = doc.Content[0]
	}
	if isNull(doc) {
		// yaml.v3 places an empty document's null after its last line;
		// the document's start is the place to point at.
		d.add(top, "", CodeRequired, "", "the profile is empty; it needs at least version: 1")
		return p
	}
	haveVersion := false
	ok := d.fields(doc, "", profileFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "version":
			haveVersion = true
			s := d.scalar(v, path, "1")
			if s == nil {
				return
			}
			n, err := strconv.Atoi(s.Value)
			if s.Tag != "!!int" || err != nil {
				d.add(s, path, CodeVersion, "", "version must be the integer 1, not %q", s.Value)
				return
			}
			if n != Version {
				d.add(s, path, CodeVersion, "", "unsupported version %d; this profilec reads version %d", n, Version)
				return
			}
			p.Version = n
		case "name":
			p.Name, _, _ = d.str(v, path, true)
		case "description":
			p.Description, _, _ = d.str(v, path, true)
		case "extends":
			d.extends(p, v, path)
		case "seccomp":
			p.Seccomp = d.seccomp(v, path)
		case "capabilities":
			p.Capabilities = d.capabilities(v, path)
		case "namespaces":
			p.Namespaces = d.namespaces(v, path)
		case "cgroups":
			p.Cgroups = d.cgroups(v, path)
		case "rlimits":
			p.Rlimits = d.rlimits(v, path)
		case "noNewPrivileges":
			if b, ok := d.boolean(v, path); ok {
				p.NoNewPrivileges = &b
			}
		case "user":
			p.User = d.user(v, path)
		case "policyExceptions":
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if e, ok := d.exception(item, path); ok {
					p.PolicyExceptions = append(p.PolicyExceptions, e)
				}
			})
		}
	})
	if ok && !haveVersion {
		d.add(doc, "version", CodeRequired, "", "version is required; write version: 1")
	}
	return p
}

// extends accepts one name or a list of names.
func (d *decoder) extends(p *Profile, v *yaml.Node, path string) {
	one := func(n *yaml.Node, path string) {
		s, sn, ok := d.str(n, path, false)
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			d.add(sn, path, CodeValue, "", "extends entry must not be empty")
			return
		}
		p.Extends = append(p.Extends, s)
		p.ExtendsPos = append(p.ExtendsPos, d.pos(sn))
	}
	v = d.deref(v, path)
	if v == nil {
		return
	}
	if v.Kind == yaml.SequenceNode {
		d.list(v, path, func(_ int, item *yaml.Node, path string) { one(item, path) })
		return
	}
	one(v, path)
}

func (d *decoder) seccomp(v *yaml.Node, path string) *Seccomp {
	s := &Seccomp{}
	var archNode, archMapNode, errnoNode *yaml.Node
	ok := d.fields(v, path, seccompFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "defaultAction":
			s.DefaultAction = d.action(v, path)
		case "defaultErrnoRet":
			errnoNode = k
			s.DefaultErrnoRet = d.mergeErrno(s.DefaultErrnoRet, d.errno(v, path), v, path)
		case "defaultErrno":
			// containers/common (Podman, CRI-O) writes the name beside the
			// number; both must say the same.
			errnoNode = k
			s.DefaultErrnoRet = d.mergeErrno(s.DefaultErrnoRet, d.errno(v, path), v, path)
		case "architectures":
			archNode = k
			s.Architectures = []string{}
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if a := d.arch(item, path); a != "" {
					s.Architectures = append(s.Architectures, a)
				}
			})
		case "archMap":
			archMapNode = k
			s.ArchMap = []ArchMapEntry{}
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				var e ArchMapEntry
				have := false
				d.fields(item, path, archMapFields, func(key string, k, v *yaml.Node, path string) {
					switch key {
					case "architecture":
						have = true
						e.Architecture = d.arch(v, path)
					case "subArchitectures":
						e.SubArchitectures = []string{}
						d.list(v, path, func(i int, item *yaml.Node, path string) {
							if a := d.arch(item, path); a != "" {
								e.SubArchitectures = append(e.SubArchitectures, a)
							}
						})
					}
				})
				if n := d.deref(item, path); n != nil && n.Kind == yaml.MappingNode && !have {
					d.add(n, path+".architecture", CodeRequired, "", "architecture is required")
				}
				if e.Architecture != "" {
					s.ArchMap = append(s.ArchMap, e)
				}
			})
		case "flags":
			s.Flags = []string{}
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				str, sn, ok := d.str(item, path, false)
				if !ok {
					return
				}
				f, ok := canonFlag(str)
				if !ok {
					d.add(sn, path, CodeUnknownName, d.hint("flag", str, func() string { return suggestWord(str, flagNames, "SECCOMP_FILTER_FLAG_") }), "unknown seccomp flag %q", str)
					return
				}
				s.Flags = append(s.Flags, f)
			})
		case "listenerPath":
			s.ListenerPath, _, _ = d.str(v, path, false)
		case "listenerMetadata":
			s.ListenerMetadata, _, _ = d.str(v, path, true)
		case "syscalls":
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if r, ok := d.syscall(item, path); ok {
					s.Syscalls = append(s.Syscalls, r)
				}
			})
		}
	})
	if !ok {
		return nil
	}
	if n := d.deref(v, path); n != nil {
		s.Pos = d.pos(n)
	}
	if s.DefaultErrnoRet != nil && s.DefaultAction != "" && !takesErrno(s.DefaultAction) {
		d.add(errnoNode, joinPath(path, "defaultErrnoRet"), CodeConflict, "", "defaultErrnoRet only applies to the errno and trace actions, not %s", s.DefaultAction)
	}
	// Like moby, only two non-empty lists conflict.
	if len(s.Architectures) > 0 && len(s.ArchMap) > 0 {
		second, key := archMapNode, "archMap"
		if archNode.Line > archMapNode.Line || (archNode.Line == archMapNode.Line && archNode.Column > archMapNode.Column) {
			second, key = archNode, "architectures"
		}
		d.add(second, joinPath(path, key), CodeConflict, "", "both architectures and archMap are given; use one (as Docker requires)")
	}
	return s
}

func (d *decoder) action(v *yaml.Node, path string) string {
	s, sn, ok := d.str(v, path, false)
	if !ok {
		return ""
	}
	a, ok := canonAction(s)
	if !ok {
		d.add(sn, path, CodeUnknownName, d.hint("action", s, func() string { return suggestWord(s, actionNames, "SCMP_ACT_") }), "unknown action %q", s)
		return ""
	}
	return a
}

// suggestWord suggests a Docker constant in the style the user wrote it:
// short if they wrote short, canonical if they wrote the prefix.
func suggestWord(s string, names []string, prefix string) string {
	c := suggest(s, names, wordNorm(prefix))
	if c == "" || strings.HasPrefix(strings.ToUpper(s), prefix) {
		return c
	}
	return shortWord(c, prefix)
}

// errno reads an errno as a number or a name ("EPERM").
func (d *decoder) errno(v *yaml.Node, path string) *uint {
	s := d.scalar(v, path, "an errno name or number")
	if s == nil {
		return nil
	}
	if s.Tag == "!!int" || (s.Value != "" && s.Value[0] >= '0' && s.Value[0] <= '9') {
		n, ok := d.uintOrString(s, path, 4095)
		if !ok {
			return nil
		}
		u := uint(n)
		return &u
	}
	if s.Tag != "!!str" {
		d.add(s, path, CodeType, "", "must be an errno name or number, not %s", kindName(s))
		return nil
	}
	n, ok := systab.Errno(s.Value)
	if !ok {
		d.add(s, path, CodeUnknownName, d.hint("errno", s.Value, func() string { return suggest(s.Value, systab.ErrnoNames(), strings.ToUpper) }), "unknown errno %q", s.Value)
		return nil
	}
	u := uint(n)
	return &u
}

// mergeErrno combines containers/common's errno name with Docker's number
// for the same thing: either alone, or both if they agree.
func (d *decoder) mergeErrno(have, next *uint, v *yaml.Node, path string) *uint {
	switch {
	case next == nil:
		return have
	case have == nil || *have == *next:
		return next
	}
	d.add(d.deref(v, path), path, CodeConflict, "", "errno %d disagrees with %d given beside it", *next, *have)
	return have
}

func (d *decoder) arch(v *yaml.Node, path string) string {
	s, sn, ok := d.str(v, path, false)
	if !ok {
		return ""
	}
	a, ok := canonArch(s)
	if !ok {
		d.add(sn, path, CodeUnknownName, d.hint("arch", s, func() string { return suggest(s, systab.ArchNames(), strings.ToLower) }), "unknown architecture %q", s)
		return ""
	}
	return a.Name
}

func (d *decoder) syscall(v *yaml.Node, path string) (SyscallRule, bool) {
	var r SyscallRule
	var nameNode, namesNode, errnoNode *yaml.Node
	haveAction := false
	ok := d.fields(v, path, syscallFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "names":
			namesNode = k
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				d.syscallName(&r, item, path)
			})
		case "name":
			nameNode = k
			d.syscallName(&r, v, path)
		case "action":
			haveAction = true
			r.Action = d.action(v, path)
		case "errnoRet", "errno":
			errnoNode = k
			r.ErrnoRet = d.mergeErrno(r.ErrnoRet, d.errno(v, path), v, path)
		case "args":
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if a, ok := d.arg(item, path); ok {
					r.Args = append(r.Args, a)
				}
			})
		case "comment":
			r.Comment, _, _ = d.str(v, path, true)
		case "includes":
			r.Includes = d.filter(v, path)
		case "excludes":
			r.Excludes = d.filter(v, path)
		}
	})
	if !ok {
		return r, false
	}
	n := d.deref(v, path)
	r.Pos = d.pos(n)
	switch {
	case nameNode != nil && namesNode != nil && !isEmptySeq(n, "names"):
		// As moby: an empty names beside name is no conflict.
		d.add(nameNode, path+".name", CodeConflict, "", "both name and names are given; use names")
	case nameNode != nil:
	case nameNode == nil && namesNode == nil:
		d.add(n, path+".names", CodeRequired, "", "names is required")
	case namesNode != nil && len(r.Names) == 0 && isEmptySeq(d.deref(v, path), "names"):
		// crun refuses it too; a rule for no syscall is a mistake.
		d.add(namesNode, path+".names", CodeValue, "", "names must not be empty")
	}
	if !haveAction {
		d.add(n, path+".action", CodeRequired, "", "action is required")
	}
	if r.ErrnoRet != nil && r.Action != "" && r.Action != "SCMP_ACT_ERRNO" && r.Action != "SCMP_ACT_TRACE" {
		d.add(errnoNode, path+".errnoRet", CodeConflict, "", "errnoRet only applies to the errno and trace actions, not %s", r.Action)
	}
	if r.Names == nil {
		r.Names = []string{}
	}
	return r, true
}

// isEmptySeq reports whether mapping m's field key is an empty list (as
// opposed to a list whose entries were all refused).
func isEmptySeq(m *yaml.Node, key string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			return v.Kind == yaml.SequenceNode && len(v.Content) == 0
		}
	}
	return false
}

func (d *decoder) syscallName(r *SyscallRule, v *yaml.Node, path string) {
	s, sn, ok := d.str(v, path, false)
	if !ok {
		return
	}
	if !systab.KnownSyscall(s) {
		d.add(sn, path, CodeUnknownName, d.hint("syscall", s, func() string { return suggest(s, systab.AllSyscallNames(), nil) }), "unknown syscall %q (not a syscall on any architecture)", s)
		return
	}
	r.Names = append(r.Names, s)
	r.NamePos = append(r.NamePos, d.pos(sn))
}

func (d *decoder) arg(v *yaml.Node, path string) (Arg, bool) {
	var a Arg
	haveIndex, haveOp := false, false
	ok := d.fields(v, path, argFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "index":
			haveIndex = true
			if n, ok := d.uint(v, path, 5); ok {
				a.Index = uint(n)
			}
		case "value":
			a.Value, _ = d.uintOrString(v, path, math.MaxUint64)
		case "valueTwo":
			a.ValueTwo, _ = d.uintOrString(v, path, math.MaxUint64)
		case "op":
			haveOp = true
			s, sn, ok := d.str(v, path, false)
			if !ok {
				return
			}
			op, ok := canonOp(s)
			if !ok {
				d.add(sn, path, CodeUnknownName, d.hint("op", s, func() string { return suggestWord(s, opNames, "SCMP_CMP_") }), "unknown comparison %q", s)
				return
			}
			a.Op = op
		}
	})
	if !ok {
		return a, false
	}
	n := d.deref(v, path)
	if !haveIndex {
		d.add(n, path+".index", CodeRequired, "", "index is required (0-5)")
	}
	if !haveOp {
		d.add(n, path+".op", CodeRequired, "", "op is required")
	}
	return a, true
}

func (d *decoder) filter(v *yaml.Node, path string) *Filter {
	f := &Filter{}
	ok := d.fields(v, path, filterFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "caps":
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if c := d.capability(item, path, false); c != "" {
					f.Caps = append(f.Caps, c)
				}
			})
		case "arches":
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				s, sn, ok := d.str(item, path, false)
				if !ok {
					return
				}
				// Docker compares these with Go-flavoured names ("amd64");
				// any other spelling of an arch is mapped onto that.
				a, ok := canonArch(s)
				if !ok {
					d.add(sn, path, CodeUnknownName, d.hint("native", s, func() string { return suggest(s, nativeArchNames(), strings.ToLower) }), "unknown architecture %q", s)
					return
				}
				f.Arches = append(f.Arches, a.Native)
			})
		case "minKernel":
			s, sn, ok := d.str(v, path, true)
			if !ok {
				return
			}
			if _, _, err := parseKernel(s); err != nil {
				d.add(sn, path, CodeValue, "", "%v", err)
				return
			}
			f.MinKernel = s
		}
	})
	if !ok {
		return nil
	}
	return f
}

// capability reads one capability name; ALL is allowed only in capability
// add/drop lists.
func (d *decoder) capability(v *yaml.Node, path string, allowAll bool) string {
	s, sn, ok := d.str(v, path, false)
	if !ok {
		return ""
	}
	c, ok := canonCap(s)
	if !ok || (c == "ALL" && !allowAll) {
		if ok {
			d.add(sn, path, CodeValue, "", "ALL is only allowed in capabilities.add and capabilities.drop")
			return ""
		}
		d.add(sn, path, CodeUnknownName, d.hint("cap", s, func() string { return suggestCap(s) }), "unknown capability %q", s)
		return ""
	}
	return c
}

// suggestCap keeps the user's CAP_ prefix choice in the suggestion.
func suggestCap(s string) string {
	c := suggest(s, allCapabilities(), capNorm)
	if c == "" || strings.HasPrefix(strings.ToUpper(s), "CAP_") {
		return c
	}
	return strings.TrimPrefix(c, "CAP_")
}

func (d *decoder) capabilities(v *yaml.Node, path string) *Capabilities {
	c := &Capabilities{}
	ok := d.fields(v, path, capabilitiesFields, func(key string, k, v *yaml.Node, path string) {
		d.list(v, path, func(i int, item *yaml.Node, path string) {
			name := d.capability(item, path, key != "ambient")
			if name == "" {
				return
			}
			switch key {
			case "add":
				c.Add = append(c.Add, name)
			case "drop":
				c.Drop = append(c.Drop, name)
			case "ambient":
				c.Ambient = append(c.Ambient, name)
				c.AmbientPos = append(c.AmbientPos, d.pos(d.deref(item, path)))
			}
		})
	})
	if !ok {
		return nil
	}
	c.Pos = d.pos(d.deref(v, path))
	return c
}

// nsValue decodes true/false or an object; object fields are handled by f.
// An object without enabled means enabled.
func (d *decoder) nsValue(v *yaml.Node, path string, known []string, f func(key string, v *yaml.Node, path string)) (enabled, ok bool) {
	n := d.deref(v, path)
	if n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode {
		return d.boolean(n, path)
	}
	enabled = true
	ok = d.fields(n, path, known, func(key string, k, v *yaml.Node, path string) {
		if key == "enabled" {
			enabled, _ = d.boolean(v, path)
			return
		}
		f(key, v, path)
	})
	return enabled, ok
}

func (d *decoder) namespaces(v *yaml.Node, path string) *Namespaces {
	ns := &Namespaces{}
	ok := d.fields(v, path, namespacesFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "user":
			u := &UserNS{}
			en, ok := d.nsValue(v, path, userNSFields, func(key string, v *yaml.Node, path string) {
				maps := d.idMaps(v, path)
				if key == "uidMap" {
					u.UIDMap = maps
				} else {
					u.GIDMap = maps
				}
			})
			if ok {
				u.Enabled = en
				if !en && (u.UIDMap != nil || u.GIDMap != nil) {
					d.add(d.deref(v, path), path, CodeConflict, "", "id maps given for a disabled user namespace")
				}
				ns.User = u
			}
		case "uts":
			u := &UTSNS{}
			var hostNode *yaml.Node
			en, ok := d.nsValue(v, path, utsFields, func(key string, v *yaml.Node, path string) {
				h, hn, ok := d.str(v, path, true)
				hostNode = hn
				if !ok {
					return
				}
				if len(h) == 0 || len(h) > 64 || strings.ContainsAny(h, "/ \t\n\x00") {
					d.add(hostNode, path, CodeValue, "", "hostname must be 1-64 characters without spaces or slashes")
					return
				}
				u.Hostname = h
			})
			if ok {
				u.Enabled = en
				if !en && u.Hostname != "" {
					d.add(hostNode, path+".hostname", CodeConflict, "", "hostname given for a disabled uts namespace")
				}
				ns.UTS = u
			}
		default:
			en, ok := d.nsValue(v, path, nsFields, nil)
			if !ok {
				return
			}
			x := &NS{Enabled: en}
			switch key {
			case "pid":
				ns.PID = x
			case "mount":
				ns.Mount = x
			case "ipc":
				ns.IPC = x
			case "net":
				ns.Net = x
			case "cgroup":
				ns.Cgroup = x
			case "time":
				ns.Time = x
			}
		}
	})
	if !ok {
		return nil
	}
	ns.Pos = d.pos(d.deref(v, path))
	return ns
}

func (d *decoder) idMaps(v *yaml.Node, path string) []IDMap {
	out := []IDMap{}
	d.list(v, path, func(i int, item *yaml.Node, path string) {
		var m IDMap
		have := map[string]bool{}
		ok := d.fields(item, path, idMapFields, func(key string, k, v *yaml.Node, path string) {
			n, ok := d.uint(v, path, math.MaxUint32)
			if !ok {
				have[key] = true
				return
			}
			have[key] = true
			switch key {
			case "containerID":
				m.ContainerID = uint32(n)
			case "hostID":
				m.HostID = uint32(n)
			case "size":
				if n == 0 {
					d.add(d.deref(v, path), path, CodeValue, "", "size must be at least 1")
				}
				m.Size = uint32(n)
			}
		})
		if !ok {
			return
		}
		for _, f := range idMapFields {
			if !have[f] {
				d.add(d.deref(item, path), path+"."+f, CodeRequired, "", "%s is required", f)
			}
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 || uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			d.add(d.deref(item, path), path, CodeValue, "", "id range runs past 4294967295")
		}
		out = append(out, m)
	})
	return out
}

func (d *decoder) size(v *yaml.Node, path string) *int64 {
	s := d.scalar(v, path, "a size")
	if s == nil {
		return nil
	}
	if s.Tag != "!!int" && s.Tag != "!!str" {
		d.add(s, path, CodeType, "", "must be a size in bytes or a quantity like 256Mi, not %s", kindName(s))
		return nil
	}
	n, sug, err := parseSize(s.Value)
	if err != nil {
		d.add(s, path, CodeValue, sug, "%v", err)
		return nil
	}
	return &n
}

func (d *decoder) cgroups(v *yaml.Node, path string) *Cgroups {
	c := &Cgroups{}
	ok := d.fields(v, path, cgroupsFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "memory":
			m := &MemoryLimits{}
			if d.fields(v, path, memoryFields, func(key string, k, v *yaml.Node, path string) {
				switch key {
				case "max":
					m.Max = d.size(v, path)
				case "high":
					m.High = d.size(v, path)
				case "swapMax":
					m.SwapMax = d.size(v, path)
				}
			}) {
				c.Memory = m
			}
		case "cpu":
			cpu := &CPULimits{}
			if d.fields(v, path, cpuFields, func(key string, k, v *yaml.Node, path string) {
				switch key {
				case "max":
					s := d.scalar(v, path, "a number of CPUs")
					if s == nil {
						return
					}
					if s.Tag != "!!int" && s.Tag != "!!float" && s.Tag != "!!str" {
						d.add(s, path, CodeType, "", "must be a number of CPUs like 1.5 or 1500m, not %s", kindName(s))
						return
					}
					f, err := parseCPUs(s.Value)
					if err != nil {
						d.add(s, path, CodeValue, "", "%v", err)
						return
					}
					cpu.Max = &f
				case "weight":
					cpu.Weight = d.weight(v, path)
				}
			}) {
				c.CPU = cpu
			}
		case "pids":
			p := &PidsLimits{}
			if d.fields(v, path, pidsFields, func(key string, k, v *yaml.Node, path string) {
				if n, ok := d.uint(v, path, math.MaxInt64); ok {
					if n == 0 {
						d.add(d.deref(v, path), path, CodeValue, "", "pids.max must be at least 1")
						return
					}
					x := int64(n)
					p.Max = &x
				}
			}) {
				c.Pids = p
			}
		case "io":
			io := &IOLimits{}
			if d.fields(v, path, ioFields, func(key string, k, v *yaml.Node, path string) {
				switch key {
				case "weight":
					io.Weight = d.weight(v, path)
				case "max":
					io.Max = []IODevice{}
					seen := map[string]bool{}
					d.list(v, path, func(i int, item *yaml.Node, path string) {
						dev, ok := d.ioDevice(item, path)
						if !ok {
							return
						}
						// io.max keeps one line per device; a second
						// would silently replace the first.
						if dev.Device != "" && seen[dev.Device] {
							d.add(d.deref(item, path), path+".device", CodeDuplicate, "", "device %s is given twice", dev.Device)
							return
						}
						seen[dev.Device] = true
						io.Max = append(io.Max, dev)
					})
				}
			}) {
				c.IO = io
			}
		case "optional":
			if b, ok := d.boolean(v, path); ok {
				c.Optional = b
				c.OptionalPos = d.pos(d.deref(v, path))
			}
		}
	})
	if !ok {
		return nil
	}
	c.Pos = d.pos(d.deref(v, path))
	return c
}

func (d *decoder) weight(v *yaml.Node, path string) *uint64 {
	n, ok := d.uint(v, path, 10000)
	if !ok {
		return nil
	}
	if n < 1 {
		d.add(d.deref(v, path), path, CodeValue, "", "weight must be 1-10000")
		return nil
	}
	return &n
}

func (d *decoder) ioDevice(v *yaml.Node, path string) (IODevice, bool) {
	var dev IODevice
	haveDevice := false
	ok := d.fields(v, path, ioDeviceFields, func(key string, k, v *yaml.Node, path string) {
		switch key {
		case "device":
			haveDevice = true
			s, sn, ok := d.str(v, path, true)
			if !ok {
				return
			}
			maj, min, found := strings.Cut(s, ":")
			_, e1 := strconv.ParseUint(maj, 10, 32)
			_, e2 := strconv.ParseUint(min, 10, 32)
			if !found || e1 != nil || e2 != nil {
				d.add(sn, path, CodeValue, "", "device must be MAJOR:MINOR, like 8:0, not %q", s)
				return
			}
			dev.Device = s
		case "rbps", "wbps":
			n := d.size(v, path)
			if n == nil {
				return
			}
			if key == "rbps" {
				dev.RBps = uint64(*n)
			} else {
				dev.WBps = uint64(*n)
			}
		case "riops", "wiops":
			n, ok := d.uint(v, path, math.MaxUint64)
			if !ok {
				return
			}
			if key == "riops" {
				dev.RIOps = n
			} else {
				dev.WIOps = n
			}
		}
	})
	if !ok {
		return dev, false
	}
	if !haveDevice {
		d.add(d.deref(v, path), path+".device", CodeRequired, "", "device is required")
	}
	return dev, true
}

// rlimitNorm maps "NOFILE", "RLIMIT_NOFILE" and "nofile" to "nofile".
func rlimitNorm(s string) string {
	return strings.TrimPrefix(strings.ToLower(s), "rlimit_")
}

func (d *decoder) rlimits(v *yaml.Node, path string) map[string]Rlimit {
	out := map[string]Rlimit{}
	n := d.deref(v, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, CodeType, "", "must be a mapping of rlimit names to limits, not %s", kindName(n))
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.deref(n.Content[i], path), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, path, CodeType, "", "rlimit name must be a string")
			continue
		}
		name := rlimitNorm(k.Value)
		kp := joinPath(path, k.Value)
		if !contains(rlimitNames, name) {
			d.add(k, kp, CodeUnknownName, d.hint("rlimit", name, func() string { return suggest(name, rlimitNames, nil) }), "unknown rlimit %q", k.Value)
			continue
		}
		if seen[name] {
			d.add(k, kp, CodeDuplicate, "", "rlimit %s is given twice", name)
			continue
		}
		seen[name] = true
		if vn := d.deref(val, kp); vn == nil || isNull(vn) {
			continue
		}
		if r, ok := d.rlimit(val, kp); ok {
			out[name] = r
		}
	}
	return out
}

// Unlimited is RLIM_INFINITY.
const Unlimited = math.MaxUint64

func (d *decoder) rlimitValue(v *yaml.Node, path string) (uint64, bool) {
	s := d.scalar(v, path, `a number or "unlimited"`)
	if s == nil {
		return 0, false
	}
	if s.Tag == "!!str" && (strings.EqualFold(s.Value, "unlimited") || strings.EqualFold(s.Value, "infinity")) {
		return Unlimited, true
	}
	if s.Tag == "!!str" {
		// Sizes such as "1Gi" are handy for as, data, stack, memlock.
		n, sug, err := parseSize(s.Value)
		if err != nil {
			d.add(s, path, CodeValue, sug, `must be a number, a size like 64Mi, or "unlimited"`)
			return 0, false
		}
		return uint64(n), true
	}
	return d.uint(s, path, math.MaxUint64)
}

func (d *decoder) rlimit(v *yaml.Node, path string) (Rlimit, bool) {
	n := d.deref(v, path)
	if n == nil {
		return Rlimit{}, false
	}
	if n.Kind != yaml.MappingNode {
		x, ok := d.rlimitValue(n, path)
		return Rlimit{Soft: x, Hard: x}, ok
	}
	var r Rlimit
	have := map[string]bool{}
	good := true
	d.fields(n, path, rlimitFields, func(key string, k, v *yaml.Node, path string) {
		have[key] = true
		x, ok := d.rlimitValue(v, path)
		good = good && ok
		if key == "soft" {
			r.Soft = x
		} else {
			r.Hard = x
		}
	})
	for _, f := range rlimitFields {
		if !have[f] {
			d.add(n, path+"."+f, CodeRequired, "", "%s is required", f)
			good = false
		}
	}
	if good && r.Soft > r.Hard {
		d.add(n, path, CodeValue, "", "soft limit %d is above hard limit %d", r.Soft, r.Hard)
		good = false
	}
	return r, good
}

func (d *decoder) user(v *yaml.Node, path string) *User {
	u := &User{}
	have := map[string]bool{}
	ok := d.fields(v, path, userFields, func(key string, k, v *yaml.Node, path string) {
		have[key] = true
		switch key {
		case "uid", "gid":
			n, ok := d.uint(v, path, math.MaxUint32-1)
			if !ok {
				return
			}
			if key == "uid" {
				u.UID = uint32(n)
			} else {
				u.GID = uint32(n)
			}
		case "groups":
			u.Groups = []uint32{}
			d.list(v, path, func(i int, item *yaml.Node, path string) {
				if n, ok := d.uint(item, path, math.MaxUint32-1); ok {
					u.Groups = append(u.Groups, uint32(n))
				}
			})
		}
	})
	if !ok {
		return nil
	}
	for _, f := range []string{"uid", "gid"} {
		if !have[f] {
			d.add(d.deref(v, path), path+"."+f, CodeRequired, "", "%s is required", f)
		}
	}
	return u
}

func (d *decoder) exception(v *yaml.Node, path string) (PolicyException, bool) {
	var e PolicyException
	present := map[string]bool{}
	ok := d.fields(v, path, exceptionFields, func(key string, k, v *yaml.Node, path string) {
		present[key] = true
		s, sn, ok := d.str(v, path, key == "reason")
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			d.add(sn, path, CodeValue, "", "%s must not be empty", key)
			return
		}
		if key == "id" {
			e.ID = s
		} else {
			e.Reason = strings.TrimSpace(s)
		}
	})
	if !ok {
		return e, false
	}
	n := d.deref(v, path)
	e.Pos = d.pos(n)
	if !present["id"] {
		d.add(n, path+".id", CodeRequired, "", "id is required: the policy rule this waives")
	}
	if !present["reason"] {
		d.add(n, path+".reason", CodeRequired, "", "reason is required: say why the exception is safe")
	}
	return e, e.ID != "" && e.Reason != ""
}
