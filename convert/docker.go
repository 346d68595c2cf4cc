package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// dockerDefaultCaps is the capability set Docker gives a container started
// without --cap-add or --cap-drop (moby's oci/caps.DefaultCapabilities). A
// test pins it to the capabilities of the built-in docker-default base, so
// the two cannot drift apart.
var dockerDefaultCaps = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE",
	"CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

// DockerDefaultCapabilities returns the 14 capabilities Docker grants a
// container by default, canonical names sorted.
func DockerDefaultCapabilities() []string { return append([]string(nil), dockerDefaultCaps...) }

// dockerIn is a Docker seccomp profile as the engines in the wild write it:
// moby's current form, the old single `name`, archMap, and containers/common's
// errno names (`defaultErrno`, `errno`). Every field any of them knows is
// here, so that decoding can refuse unknown fields: a misspelt key silently
// ignored would change verdicts.
type dockerIn struct {
	DefaultAction    string         `json:"defaultAction"`
	DefaultErrnoRet  *uint          `json:"defaultErrnoRet"`
	DefaultErrno     string         `json:"defaultErrno"`
	Architectures    []string       `json:"architectures"`
	ArchMap          []dockerArchIn `json:"archMap"`
	Flags            []string       `json:"flags"`
	ListenerPath     string         `json:"listenerPath"`
	ListenerMetadata string         `json:"listenerMetadata"`
	Syscalls         []*dockerRule  `json:"syscalls"`
}

type dockerArchIn struct {
	Architecture     string   `json:"architecture"`
	SubArchitectures []string `json:"subArchitectures"`
}

type dockerRule struct {
	Name     string        `json:"name"`
	Names    []string      `json:"names"`
	Action   string        `json:"action"`
	ErrnoRet *uint         `json:"errnoRet"`
	Errno    string        `json:"errno"`
	Args     []*dockerArg  `json:"args"`
	Comment  string        `json:"comment"`
	Includes *dockerFilter `json:"includes"`
	Excludes *dockerFilter `json:"excludes"`
}

type dockerArg struct {
	Index    *uint  `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo"`
	Op       string `json:"op"`
}

type dockerFilter struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

// errs collects a reader's problems so that one run reports them all.
type errs struct {
	what string
	list []string
}

func (e *errs) add(path, format string, args ...any) {
	if len(e.list) >= 50 {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	e.list = append(e.list, msg)
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return fmt.Errorf("read %s: %s", e.what, strings.Join(e.list, "; "))
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("%s: %w", lineCol(data, syn.Offset), err)
		case errors.As(err, &typ):
			return fmt.Errorf("%s: %s: %w", lineCol(data, typ.Offset), typ.Field, err)
		}
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// FromDocker reads a Docker seccomp profile (or an OCI linux.seccomp
// object) into a profilec profile. Rule order, comments and includes/
// excludes conditions are kept as written, so the result compiles to the
// filter Docker would build; the capability set Docker would give (its 14
// defaults) and Docker's no-new-privileges default (off) are written out,
// so conditions on capabilities resolve as they would under `docker run`.
func FromDocker(data []byte) (*schema.Profile, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("read docker profile: %d bytes is more than the %d a profile may have", len(data), maxInput)
	}
	data, err := asJSON(data)
	if err != nil {
		return nil, fmt.Errorf("read docker profile: %w", err)
	}
	var in dockerIn
	if err := decodeStrict(data, &in); err != nil {
		return nil, fmt.Errorf("read docker profile: %w", err)
	}
	s, err := seccompFromDocker(&in, "docker profile", "")
	if err != nil {
		return nil, err
	}
	nnp := false
	return &schema.Profile{
		Version:         1,
		Description:     "Converted from a Docker seccomp profile, with Docker's default capabilities.",
		Seccomp:         s,
		Capabilities:    &schema.Capabilities{Add: DockerDefaultCapabilities()},
		NoNewPrivileges: &nnp,
	}, nil
}

// seccompFromDocker canonicalises a decoded Docker profile; prefix is the
// path of the object in the input ("linux.seccomp" in an OCI config).
func seccompFromDocker(in *dockerIn, what, prefix string) (*schema.Seccomp, error) {
	e := &errs{what: what}
	p := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + "." + s
	}
	s := &schema.Seccomp{
		ListenerPath:     in.ListenerPath,
		ListenerMetadata: in.ListenerMetadata,
	}
	if in.DefaultAction == "" {
		// Docker treats a profile with neither a default action nor rules
		// as "no seccomp"; a profile that has rules needs a default.
		e.add(p("defaultAction"), "is required")
	} else if a, ok := canonAction(in.DefaultAction); ok {
		s.DefaultAction = a
	} else {
		e.add(p("defaultAction"), "unknown action %q", in.DefaultAction)
	}
	s.DefaultErrnoRet = errnoOf(e, p("defaultErrnoRet"), p("defaultErrno"), in.DefaultErrnoRet, in.DefaultErrno)
	if len(in.Architectures) > 0 && len(in.ArchMap) > 0 {
		// Docker refuses this too: which of the two lists would win is
		// not written down anywhere.
		e.add(p("archMap"), "both architectures and archMap are given; use one")
	}
	for i, a := range in.Architectures {
		s.Architectures = append(s.Architectures, archName(e, fmt.Sprintf("%s[%d]", p("architectures"), i), a))
	}
	for i, m := range in.ArchMap {
		path := fmt.Sprintf("%s[%d]", p("archMap"), i)
		entry := schema.ArchMapEntry{Architecture: archName(e, path+".architecture", m.Architecture), SubArchitectures: []string{}}
		for j, sub := range m.SubArchitectures {
			entry.SubArchitectures = append(entry.SubArchitectures, archName(e, fmt.Sprintf("%s.subArchitectures[%d]", path, j), sub))
		}
		s.ArchMap = append(s.ArchMap, entry)
	}
	for i, f := range in.Flags {
		c, ok := canonFlag(f)
		if !ok {
			e.add(fmt.Sprintf("%s[%d]", p("flags"), i), "unknown seccomp flag %q", f)
			continue
		}
		s.Flags = append(s.Flags, c)
	}
	for i, r := range in.Syscalls {
		path := fmt.Sprintf("%s[%d]", p("syscalls"), i)
		if r == nil {
			e.add(path, "is null")
			continue
		}
		s.Syscalls = append(s.Syscalls, ruleFromDocker(e, path, r))
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func ruleFromDocker(e *errs, path string, r *dockerRule) schema.SyscallRule {
	var out schema.SyscallRule
	switch {
	case r.Name != "" && len(r.Names) > 0:
		e.add(path, "both name and names are given; use names")
	case r.Name != "":
		out.Names = []string{r.Name}
	case len(r.Names) > 0:
		out.Names = append([]string(nil), r.Names...)
	default:
		e.add(path+".names", "is required and must not be empty")
	}
	for i, n := range out.Names {
		if strings.TrimSpace(n) == "" {
			e.add(fmt.Sprintf("%s.names[%d]", path, i), "is empty")
		}
	}
	if a, ok := canonAction(r.Action); ok {
		out.Action = a
	} else if r.Action == "" {
		e.add(path+".action", "is required")
	} else {
		e.add(path+".action", "unknown action %q", r.Action)
	}
	out.ErrnoRet = errnoOf(e, path+".errnoRet", path+".errno", r.ErrnoRet, r.Errno)
	for i, a := range r.Args {
		ap := fmt.Sprintf("%s.args[%d]", path, i)
		if a == nil {
			e.add(ap, "is null")
			continue
		}
		arg := schema.Arg{Value: a.Value, ValueTwo: a.ValueTwo}
		if a.Index == nil {
			e.add(ap+".index", "is required")
		} else if *a.Index > 5 {
			e.add(ap+".index", "%d is not an argument index (0-5)", *a.Index)
		} else {
			arg.Index = *a.Index
		}
		if op, ok := canonOp(a.Op); ok {
			arg.Op = op
		} else {
			e.add(ap+".op", "unknown operator %q", a.Op)
		}
		out.Args = append(out.Args, arg)
	}
	out.Comment = r.Comment
	out.Includes = filterFromDocker(e, path+".includes", r.Includes)
	out.Excludes = filterFromDocker(e, path+".excludes", r.Excludes)
	return out
}

// filterFromDocker keeps a condition as written; an empty one (as
// containers/common writes on every rule) is no condition at all.
func filterFromDocker(e *errs, path string, f *dockerFilter) *schema.Filter {
	if f == nil || (len(f.Caps) == 0 && len(f.Arches) == 0 && f.MinKernel == "") {
		return nil
	}
	out := &schema.Filter{Arches: append([]string(nil), f.Arches...), MinKernel: f.MinKernel}
	for i, c := range f.Caps {
		n, ok := systab.Capability(c)
		if !ok {
			e.add(fmt.Sprintf("%s.caps[%d]", path, i), "unknown capability %q", c)
			continue
		}
		out.Caps = append(out.Caps, systab.CapabilityName(n))
	}
	if f.MinKernel != "" {
		var maj, min int
		var rest string
		if n, _ := fmt.Sscanf(f.MinKernel, "%d.%d%s", &maj, &min, &rest); n != 2 || maj < 0 || min < 0 || (maj == 0 && min == 0) {
			e.add(path+".minKernel", "%q is not a kernel version MAJOR.MINOR", f.MinKernel)
		}
	}
	return out
}

// errnoOf merges Docker's numeric errnoRet with containers/common's errno
// name. Both may be given if they agree.
func errnoOf(e *errs, numPath, namePath string, num *uint, name string) *uint {
	if name == "" {
		if num == nil {
			return nil
		}
		v := *num
		return &v
	}
	n, ok := systab.Errno(name)
	if !ok {
		e.add(namePath, "unknown errno %q", name)
		return num
	}
	v := uint(n)
	if num != nil && *num != v {
		e.add(namePath, "%s (%d) disagrees with %s %d", name, n, numPath, *num)
	}
	return &v
}

func archName(e *errs, path, s string) string {
	if strings.EqualFold(s, "SCMP_ARCH_NATIVE") {
		return "SCMP_ARCH_NATIVE"
	}
	a, ok := systab.LookupArch(s)
	if !ok {
		e.add(path, "unknown architecture %q", s)
		return s
	}
	return a.Name
}

// The canonical vocabulary is the schema's, so a profile and a Docker file
// accept the same words.
var (
	actionNames = schema.Actions()
	opNames     = schema.Ops()
	flagNames   = schema.FilterFlags()
)

// canonWord accepts the spellings the profile language accepts ("allow",
// "ALLOW", "SCMP_ACT_ALLOW") and returns Docker's.
func canonWord(s, prefix string, names []string) (string, bool) {
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	u = strings.TrimPrefix(u, prefix)
	if u == "" {
		return "", false
	}
	for _, n := range names {
		if n == prefix+u {
			return n, true
		}
	}
	return "", false
}

func canonAction(s string) (string, bool) { return canonWord(s, "SCMP_ACT_", actionNames) }
func canonOp(s string) (string, bool)     { return canonWord(s, "SCMP_CMP_", opNames) }
func canonFlag(s string) (string, bool)   { return canonWord(s, "SECCOMP_FILTER_FLAG_", flagNames) }

// asJSON lets a Docker profile written as YAML (as some tools keep them) be
// read by the JSON decoder, which is what gives Docker's own semantics.
func asJSON(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return trimmed, nil
	}
	var v any
	if err := yaml.Unmarshal(trimmed, &v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("not a JSON or YAML object")
	}
	return json.Marshal(v)
}

// lineCol turns a byte offset into the LINE:COL people look for in an
// editor.
func lineCol(data []byte, off int64) string {
	if off < 0 || off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d col %d", line, col)
}
