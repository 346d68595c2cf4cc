package review

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/schema"
)

// Kinds of change. They are stable: risk rules match on them.
const (
	KindSeccompDisabled = "seccomp.disabled"     // the profile no longer has a filter
	KindSeccompEnabled  = "seccomp.enabled"      // it has one now
	KindDefaultAction   = "seccomp.default"      // the default action (or its errno) changed
	KindArchAdded       = "seccomp.arch-added"   // the filter covers another architecture
	KindArchRemoved     = "seccomp.arch-removed" // calls of that architecture are now killed
	KindFlags           = "seccomp.flags"        // filter flags changed
	KindSyscallAllowed  = "syscall.allowed"      // allowed now, never before
	KindSyscallDenied   = "syscall.denied"       // never allowed now, allowed before
	KindSyscallWidened  = "syscall.widened"      // allowed for more arguments than before
	KindSyscallNarrowed = "syscall.narrowed"     // allowed for fewer arguments
	KindSyscallAction   = "syscall.action"       // a refusal changed its form (errno, kill, trace)
	KindCapAdded        = "capability.added"
	KindCapRemoved      = "capability.removed"
	KindNSAdded         = "namespace.added"
	KindNSDropped       = "namespace.dropped"
	KindNSChanged       = "namespace.changed" // hostname or id maps
	KindLimitLoosened   = "limit.loosened"
	KindLimitTightened  = "limit.tightened"
	KindLimitRemoved    = "limit.removed"
	KindLimitAdded      = "limit.added"
	KindNNPDisabled     = "nnp.disabled"
	KindNNPEnabled      = "nnp.enabled"
	KindUserChanged     = "user.changed"
	KindProfileAdded    = "profile.added"
	KindProfileDeleted  = "profile.deleted"
)

// Change is one difference in what a profile lets a program do.
type Change struct {
	Kind string `json:"kind"`
	// Subject is what changed: a syscall, capability, namespace or limit
	// name ("root" for a user change to uid 0).
	Subject string `json:"subject,omitempty"`
	// Arches lists the architectures a seccomp change holds for.
	Arches  []string   `json:"arches,omitempty"`
	Old     string     `json:"old,omitempty"`
	New     string     `json:"new,omitempty"`
	Message string     `json:"message"`
	Pos     schema.Pos `json:"pos"`
	// Risk and Reason are filled in by the risk rules.
	Risk   string `json:"risk,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ProfileDiff is the semantic difference between two versions of a
// profile. An empty Changes means they confine a program identically.
type ProfileDiff struct {
	Old     string   `json:"old"`
	New     string   `json:"new"`
	Changes []Change `json:"changes"`
}

// Diff compares old and new as the compiler sees them: reordering,
// comments and equivalent spellings give no change. Positions point into
// new's own file where they can.
func Diff(old, new *schema.Resolved) (*ProfileDiff, error) {
	if old == nil || new == nil {
		return nil, fmt.Errorf("diff profiles: missing profile")
	}
	d := &differ{loc: newLocator(new)}
	if err := d.seccomp(&old.Seccomp, &new.Seccomp, old.Target.Arch, new.Target.Arch); err != nil {
		return nil, err
	}
	d.capabilities(old.Capabilities, new.Capabilities)
	d.namespaces(&old.Namespaces, &new.Namespaces)
	d.limits(old, new)
	if old.NoNewPrivileges && !new.NoNewPrivileges {
		d.add(Change{Kind: KindNNPDisabled, Subject: "noNewPrivileges", Old: "true", New: "false",
			Message: "noNewPrivileges switched off: setuid and file-capability programs can gain privileges again",
			Pos:     d.loc.key("noNewPrivileges")})
	} else if !old.NoNewPrivileges && new.NoNewPrivileges {
		d.add(Change{Kind: KindNNPEnabled, Subject: "noNewPrivileges", Old: "false", New: "true",
			Message: "noNewPrivileges switched on", Pos: d.loc.key("noNewPrivileges")})
	}
	if o, n := userString(old.User), userString(new.User); o != n {
		c := Change{Kind: KindUserChanged, Subject: "user", Old: o, New: n, Pos: d.loc.key("user"),
			Message: fmt.Sprintf("runs as %s, was %s", n, o)}
		if new.User != nil && new.User.UID == 0 && (old.User == nil || old.User.UID != 0) {
			c.Subject = "root"
		}
		d.add(c)
	}
	out := &ProfileDiff{Changes: d.changes}
	if len(old.Sources) > 0 {
		out.Old = old.Sources[len(old.Sources)-1]
	}
	if len(new.Sources) > 0 {
		out.New = new.Sources[len(new.Sources)-1]
	}
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	return out, nil
}

type differ struct {
	loc     *locator
	changes []Change
}

func (d *differ) add(c Change) { d.changes = append(d.changes, c) }

func userString(u *schema.User) string {
	if u == nil {
		return "the invoking user"
	}
	s := fmt.Sprintf("uid %d gid %d", u.UID, u.GID)
	if len(u.Groups) > 0 {
		g := make([]string, len(u.Groups))
		for i, x := range u.Groups {
			g[i] = strconv.FormatUint(uint64(x), 10)
		}
		s += " groups " + strings.Join(g, ",")
	}
	return s
}

// allows reports whether an action lets the call run.
func allows(action uint32) bool {
	a := action & 0xffff0000
	return a == compiler.RetAllow || a == compiler.RetLog
}

func (d *differ) seccomp(old, new *schema.ResolvedSeccomp, oldNative, newNative string) error {
	switch {
	case old.Enabled && !new.Enabled:
		d.add(Change{Kind: KindSeccompDisabled, Subject: "seccomp", Pos: d.loc.key("seccomp"),
			Message: "the seccomp filter is gone: every system call is allowed"})
		return nil
	case !old.Enabled && new.Enabled:
		d.add(Change{Kind: KindSeccompEnabled, Subject: "seccomp", Pos: d.loc.key("seccomp"),
			Message: "a seccomp filter now restricts system calls"})
		return nil
	case !old.Enabled:
		return nil
	}
	oir, err := compiler.BuildIR(old, oldNative)
	if err != nil {
		return fmt.Errorf("diff profiles: old version: %w", err)
	}
	nir, err := compiler.BuildIR(new, newNative)
	if err != nil {
		return fmt.Errorf("diff profiles: new version: %w", err)
	}
	odef, _ := compiler.ActionValue(old.DefaultAction, old.DefaultErrnoRet, nil)
	ndef, _ := compiler.ActionValue(new.DefaultAction, new.DefaultErrnoRet, nil)
	if odef != ndef {
		msg := fmt.Sprintf("default action %s, was %s", compiler.ActionString(ndef), compiler.ActionString(odef))
		if allows(ndef) && !allows(odef) {
			msg += ": every system call not named by a rule is now allowed"
		}
		d.add(Change{Kind: KindDefaultAction, Subject: "defaultAction", Old: compiler.ActionString(odef), New: compiler.ActionString(ndef),
			Message: msg, Pos: d.loc.key("seccomp", "defaultAction")})
	}
	if o, n := strings.Join(sorted(old.Flags), ","), strings.Join(sorted(new.Flags), ","); o != n {
		d.add(Change{Kind: KindFlags, Subject: "flags", Old: o, New: n, Pos: d.loc.key("seccomp", "flags"),
			Message: fmt.Sprintf("filter flags [%s], were [%s]", n, o)})
	}

	var sys []Change
	for _, na := range nir.Arches {
		oa := oir.Lookup(na.Arch.Name)
		if oa == nil {
			d.add(Change{Kind: KindArchAdded, Subject: na.Arch.Short, Arches: []string{na.Arch.Short}, Pos: d.loc.key("seccomp", "architectures"),
				Message: fmt.Sprintf("the filter now covers %s: its calls are decided by the rules instead of killing the process", na.Arch.Short)})
			continue
		}
		sys = append(sys, d.arch(oa, na)...)
	}
	for _, oa := range oir.Arches {
		if nir.Lookup(oa.Arch.Name) == nil {
			d.add(Change{Kind: KindArchRemoved, Subject: oa.Arch.Short, Arches: []string{oa.Arch.Short}, Pos: d.loc.key("seccomp", "architectures"),
				Message: fmt.Sprintf("the filter no longer covers %s: its calls kill the process", oa.Arch.Short)})
		}
	}
	// One change per wording, listing every architecture it holds for, so
	// x86_64, x86 and x32 do not each repeat it.
	var merged []Change
	index := map[string]int{}
	for _, c := range sys {
		k := c.Kind + "\x00" + c.Subject + "\x00" + c.Message
		if i, ok := index[k]; ok {
			merged[i].Arches = append(merged[i].Arches, c.Arches...)
			continue
		}
		index[k] = len(merged)
		merged = append(merged, c)
	}
	slices.SortStableFunc(merged, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Kind, b.Kind))
	})
	d.changes = append(d.changes, merged...)
	return nil
}

// arch compares the syscalls either table names. A syscall neither names
// is decided by the default on both sides, a change reported once.
func (d *differ) arch(oa, na *compiler.ArchIR) []Change {
	nrs := map[uint32]string{}
	for _, s := range oa.Syscalls {
		nrs[s.Nr] = s.Name
	}
	for _, s := range na.Syscalls {
		nrs[s.Nr] = s.Name
	}
	keys := make([]uint32, 0, len(nrs))
	for nr := range nrs {
		keys = append(keys, nr)
	}
	slices.Sort(keys)
	var out []Change
	for _, nr := range keys {
		if c, ok := d.syscall(oa, na, nr, nrs[nr]); ok {
			c.Arches = []string{na.Arch.Short}
			out = append(out, c)
		}
	}
	return out
}

// side is one version's decision for a syscall.
type side struct {
	a *compiler.ArchIR
	s *compiler.SyscallIR
}

// verdict returns the action for args and the index of the rule that
// gives it, -1 for the default.
func (x side) verdict(args [6]uint64) (uint32, int) {
	if x.s == nil {
		return x.a.Default, -1
	}
	for _, r := range x.s.Rules {
		if r.Matches(x.a.Arch.Bits, args) {
			return r.Action, r.Rule
		}
	}
	return x.s.Else.Action, x.s.Else.Rule
}

func (x side) rules() []compiler.ArgRule {
	if x.s == nil {
		return nil
	}
	return x.s.Rules
}

func (x side) elseAction() uint32 {
	if x.s == nil {
		return x.a.Default
	}
	return x.s.Else.Action
}

// maxPoints bounds the argument combinations tried for one syscall.
const maxPoints = 1 << 14

// points returns argument vectors that reach every outcome of both sides:
// each condition's value and its neighbours, for every argument either
// side tests, combined.
func points(bits int, sides ...side) [][6]uint64 {
	var vals [6][]uint64
	top := uint64(math.MaxUint64)
	if bits == 32 {
		top = math.MaxUint32
	}
	for _, x := range sides {
		for _, r := range x.rules() {
			for _, c := range r.Conds {
				v := c.Value
				vs := []uint64{v, v - 1, v + 1}
				if c.Op == "SCMP_CMP_MASKED_EQ" {
					vs = append(vs, v|^c.Mask, v^(c.Mask&-c.Mask), v^c.Mask)
				}
				for _, w := range vs {
					if bits == 32 {
						w &= math.MaxUint32
					}
					vals[c.Arg] = append(vals[c.Arg], w)
				}
			}
		}
	}
	out := [][6]uint64{{}}
	for i := range vals {
		if len(vals[i]) == 0 {
			continue
		}
		vs := append(vals[i], 0, top)
		slices.Sort(vs)
		vs = slices.Compact(vs)
		if len(out)*len(vs) > maxPoints {
			// Too many to combine: vary this argument alone around the
			// first point, which still reaches each of its conditions.
			base := out[0]
			for _, v := range vs {
				p := base
				p[i] = v
				out = append(out, p)
			}
			continue
		}
		next := make([][6]uint64, 0, len(out)*len(vs))
		for _, p := range out {
			for _, v := range vs {
				q := p
				q[i] = v
				next = append(next, q)
			}
		}
		out = next
	}
	return out
}

func (d *differ) syscall(oa, na *compiler.ArchIR, nr uint32, name string) (Change, bool) {
	o, n := side{oa, oa.Syscall(nr)}, side{na, na.Syscall(nr)}
	var (
		widened, narrowed, other bool
		oldAny, newAny           bool
		oldAll, newAll           = true, true
		oldAct, newAct           uint32
		rule                     = -1 // the new rule deciding the first difference
	)
	for _, p := range points(na.Arch.Bits, o, n) {
		ov, or := o.verdict(p)
		nv, nr := n.verdict(p)
		if or < 0 && nr < 0 && ov == oa.Default && nv == na.Default {
			// Both defaults decide: a change of the default is reported
			// once, not for every syscall with conditions.
			ov = nv
		}
		if ov != nv && rule < 0 {
			rule = nr
		}
		oldAny, newAny = oldAny || allows(ov), newAny || allows(nv)
		oldAll, newAll = oldAll && allows(ov), newAll && allows(nv)
		switch {
		case ov == nv:
		case allows(nv) && !allows(ov):
			widened = true
		case allows(ov) && !allows(nv):
			narrowed = true
			if !other {
				oldAct, newAct = ov, nv
			}
		default:
			if !other {
				oldAct, newAct = ov, nv
			}
			other = true
		}
	}
	if !widened && !narrowed && !other {
		return Change{}, false
	}
	c := Change{Subject: name, Pos: d.rulePos(rule, n, name)}
	switch {
	case widened && !oldAny:
		c.Kind = KindSyscallAllowed
		if newAll {
			c.Message = name + ": newly allowed"
		} else {
			c.Message = name + ": newly allowed for " + allowedFor(n, o)
		}
	case widened:
		c.Kind = KindSyscallWidened
		if newAll {
			c.Message = name + ": now allowed for any arguments, was only for " + allowedFor(o, n)
		} else {
			c.Message = name + ": now also allowed for " + allowedFor(n, o)
		}
		if narrowed {
			c.Message += "; no longer for " + allowedFor(o, n)
		}
	case narrowed && !newAny:
		c.Kind = KindSyscallDenied
		c.Message = fmt.Sprintf("%s: no longer allowed (now %s)", name, compiler.ActionString(newAct))
	case narrowed:
		c.Kind = KindSyscallNarrowed
		if oldAll {
			c.Message = name + ": now allowed only for " + allowedFor(n, o)
		} else {
			c.Message = name + ": no longer allowed for " + allowedFor(o, n)
		}
	default:
		c.Kind = KindSyscallAction
		if allows(newAct) {
			c.Message = fmt.Sprintf("%s: allowed with %s, was %s", name, compiler.ActionString(newAct), compiler.ActionString(oldAct))
		} else {
			c.Message = fmt.Sprintf("%s: refused with %s, was %s", name, compiler.ActionString(newAct), compiler.ActionString(oldAct))
		}
		c.Old, c.New = compiler.ActionString(oldAct), compiler.ActionString(newAct)
	}
	return c, true
}

// allowedFor describes the argument conditions under which x allows the
// call and other does not allow it for the same conditions: x's allowing
// rules other lacks, or, when x allows by default, "any arguments except"
// its refusing rules.
func allowedFor(x, other side) string {
	var parts []string
	for _, r := range x.rules() {
		if !allows(r.Action) {
			continue
		}
		if slices.ContainsFunc(other.rules(), func(o compiler.ArgRule) bool {
			return allows(o.Action) && slices.Equal(o.Conds, r.Conds)
		}) {
			continue
		}
		parts = append(parts, condsString(r.Conds))
	}
	if allows(x.elseAction()) {
		var except []string
		for _, r := range x.rules() {
			if !allows(r.Action) {
				except = append(except, condsString(r.Conds))
			}
		}
		s := "any other arguments"
		if len(parts) == 0 {
			s = "any arguments"
		}
		if len(except) > 0 {
			s += " except " + strings.Join(except, " or ")
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		// Same conditions, reached in another order or shadowed differently.
		for _, r := range x.rules() {
			if allows(r.Action) {
				parts = append(parts, condsString(r.Conds))
			}
		}
	}
	return strings.Join(parts, " or ")
}

var opWords = map[string]string{
	"SCMP_CMP_NE": "!=", "SCMP_CMP_LT": "<", "SCMP_CMP_LE": "<=", "SCMP_CMP_EQ": "==",
	"SCMP_CMP_GE": ">=", "SCMP_CMP_GT": ">",
}

func condsString(cs []compiler.Cond) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		if c.Op == "SCMP_CMP_MASKED_EQ" {
			parts[i] = fmt.Sprintf("arg%d & %s == %s", c.Arg, num(c.Mask), num(c.Value))
			continue
		}
		parts[i] = fmt.Sprintf("arg%d %s %s", c.Arg, opWords[c.Op], num(c.Value))
	}
	return strings.Join(parts, " and ")
}

// num prints small numbers in decimal and flags-like ones in hex.
func num(v uint64) string {
	if v < 10 {
		return strconv.FormatUint(v, 10)
	}
	return fmt.Sprintf("%#x", v)
}

// rulePos is where the rule deciding the change is written: rule if the
// profile's own file writes it, else another rule of the new version for
// the syscall, else the syscalls list.
func (d *differ) rulePos(rule int, n side, name string) schema.Pos {
	idx := []int{rule}
	if n.s != nil {
		for _, r := range n.s.Rules {
			idx = append(idx, r.Rule)
		}
		idx = append(idx, n.s.Else.Rule)
	}
	for _, i := range idx {
		if p, ok := d.loc.rule(i, name); ok {
			return p
		}
	}
	if rule >= 0 {
		// The rule comes from a profile this one extends.
		return d.loc.key("extends")
	}
	return d.loc.key("seccomp", "syscalls")
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
