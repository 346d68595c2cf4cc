package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema/systab"
)

// writeProfiles writes name -> content into a fresh directory and returns
// the directory.
func writeProfiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func resolveFiles(t *testing.T, files map[string]string, main string, tgt Target) (*Resolved, error) {
	t.Helper()
	dir := writeProfiles(t, files)
	return LoadResolved(filepath.Join(dir, main), tgt, Options{})
}

func mustLoadChain(t *testing.T, files map[string]string, main string) []*Profile {
	t.Helper()
	chain, err := LoadChain(filepath.Join(writeProfiles(t, files), main), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

func mustResolve(t *testing.T, files map[string]string, main string) *Resolved {
	t.Helper()
	r, err := resolveFiles(t, files, main, x86)
	if err != nil {
		t.Fatalf("LoadResolved: %v", err)
	}
	return r
}

// ruleNames summarises resolved rules as "action:name,name" strings.
func ruleNames(r *Resolved) []string {
	var out []string
	for _, s := range r.Seccomp.Syscalls {
		out = append(out, strings.TrimPrefix(s.Action, "SCMP_ACT_")+":"+strings.Join(s.Names, ","))
	}
	return out
}

// TestResolveMatchesMoby resolves Docker's default profile pasted under
// seccomp: and checks the result against moby's own setupSeccomp for the
// running machine, for several capability sets.
func TestResolveMatchesMoby(t *testing.T) {
	body, err := json.Marshal(mobyseccomp.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	fixtures := map[string][]byte{"default": body}
	// Docker-format fixtures exercise the old single name and every kind
	// of condition.
	for _, f := range []string{"conditions.json", "old-format.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "docker", f))
		if err != nil {
			t.Fatal(err)
		}
		fixtures[f] = b
	}
	tgt, err := DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	capSets := [][]string{
		nil,
		{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"},
		{"CAP_SYS_ADMIN"},
		{"CAP_SYS_PTRACE", "CAP_BPF", "CAP_PERFMON", "CAP_SYS_NICE", "CAP_SYSLOG"},
		allCapabilities(),
	}
	for name, body := range fixtures {
		for _, caps := range capSets {
			spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
			want, err := mobyseccomp.LoadProfile(string(body), spec)
			if err != nil {
				t.Fatalf("%s: moby: %v", name, err)
			}
			capList, _ := json.Marshal(caps)
			if caps == nil {
				capList = []byte("[]")
			}
			// JSON is YAML: Docker's profile goes in unchanged.
			profile := "version: 1\ncapabilities:\n  add: " + string(capList) + "\nseccomp: " + string(body) + "\n"
			dir := writeProfiles(t, map[string]string{"p.yaml": profile})
			got, err := LoadResolved(filepath.Join(dir, "p.yaml"), tgt, Options{})
			if err != nil {
				t.Fatalf("%s with %d caps: %v", name, len(caps), err)
			}
			if d := cmp.Diff(mobyView(want), ociView(got)); d != "" {
				t.Errorf("%s with caps %v: resolved seccomp differs from moby (-moby +ours):\n%s", name, caps, d)
			}
		}
	}
}

type ociSeccomp struct {
	DefaultAction   string
	DefaultErrnoRet *uint
	Architectures   []string
	Syscalls        []ociRule
}

type ociRule struct {
	Names    []string
	Action   string
	ErrnoRet *uint
	Args     []Arg
}

func mobyView(s *specs.LinuxSeccomp) ociSeccomp {
	out := ociSeccomp{DefaultAction: string(s.DefaultAction), DefaultErrnoRet: s.DefaultErrnoRet}
	for _, a := range s.Architectures {
		out.Architectures = append(out.Architectures, string(a))
	}
	for _, r := range s.Syscalls {
		rule := ociRule{Names: r.Names, Action: string(r.Action), ErrnoRet: r.ErrnoRet}
		for _, a := range r.Args {
			rule.Args = append(rule.Args, Arg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: string(a.Op)})
		}
		out.Syscalls = append(out.Syscalls, rule)
	}
	return out
}

func ociView(r *Resolved) ociSeccomp {
	s := r.Seccomp
	out := ociSeccomp{DefaultAction: s.DefaultAction, DefaultErrnoRet: s.DefaultErrnoRet, Architectures: s.Architectures}
	for _, r := range s.Syscalls {
		out.Syscalls = append(out.Syscalls, ociRule{Names: r.Names, Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args})
	}
	return out
}

func TestResolveIncludesExcludes(t *testing.T) {
	const profile = `version: 1
capabilities: {add: [SYS_ADMIN]}
seccomp:
  defaultAction: errno
  syscalls:
    - {names: [read], action: allow}
    - {names: [mount], action: allow, includes: {caps: [CAP_SYS_ADMIN]}}
    - {names: [ptrace], action: allow, includes: {caps: [SYS_ADMIN, SYS_PTRACE]}}
    - {names: [bpf], action: allow, excludes: {caps: [sys_admin]}}
    - {names: [arch_prctl], action: allow, includes: {arches: [amd64, x32]}}
    - {names: [personality], action: allow, includes: {arches: [x86_64]}}
    - {names: [sync_file_range2], action: allow, includes: {arches: [arm64]}}
    - {names: [chmod], action: allow, excludes: {arches: [amd64]}}
    - {names: [clone3], action: allow, includes: {minKernel: "5.3"}}
    - {names: [open_tree], action: allow, includes: {minKernel: "6.2"}}
    - {names: [fchmod], action: allow, excludes: {minKernel: "6.1"}}
    - {names: [fchown], action: allow, excludes: {minKernel: "6.2"}}
`
	cases := []struct {
		tgt  Target
		want []string
	}{
		{Target{Arch: "x86_64", Kernel: "6.1"}, []string{"ALLOW:read", "ALLOW:mount", "ALLOW:arch_prctl", "ALLOW:personality", "ALLOW:clone3", "ALLOW:fchown"}},
		{Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.2.0-rc1"}, []string{"ALLOW:read", "ALLOW:mount", "ALLOW:arch_prctl", "ALLOW:personality", "ALLOW:clone3", "ALLOW:open_tree"}},
		{Target{Arch: "aarch64", Kernel: "5.2"}, []string{"ALLOW:read", "ALLOW:mount", "ALLOW:sync_file_range2", "ALLOW:chmod", "ALLOW:fchmod", "ALLOW:fchown"}},
		{Target{Arch: "arm64", Kernel: "10.0"}, []string{"ALLOW:read", "ALLOW:mount", "ALLOW:sync_file_range2", "ALLOW:chmod", "ALLOW:clone3", "ALLOW:open_tree"}},
	}
	for _, c := range cases {
		r, err := resolveFiles(t, map[string]string{"p.yaml": profile}, "p.yaml", c.tgt)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c.want, ruleNames(r)); d != "" {
			t.Errorf("target %+v (-want +got):\n%s", c.tgt, d)
		}
		for _, s := range r.Seccomp.Syscalls {
			if s.Includes != nil || s.Excludes != nil {
				t.Errorf("resolved rule %v keeps its conditions", s.Names)
			}
		}
	}
}

func TestResolveArchitectures(t *testing.T) {
	archMap := `version: 1
seccomp:
  defaultAction: allow
  archMap:
    - {architecture: x86_64, subArchitectures: [x86, SCMP_ARCH_X32]}
    - {architecture: aarch64, subArchitectures: [arm]}
`
	cases := []struct {
		name, profile string
		tgt           Target
		want          []string
	}{
		{"archMap native", archMap, x86, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
		{"archMap other", archMap, Target{Arch: "arm64", Kernel: "6.1"}, []string{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}},
		{"archMap missing", archMap, Target{Arch: "riscv64", Kernel: "6.1"}, []string{"SCMP_ARCH_RISCV64"}},
		{"explicit", "version: 1\nseccomp: {defaultAction: allow, architectures: [amd64, i386, x86]}\n", x86, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
		{"none", "version: 1\nseccomp: {defaultAction: allow}\n", x86, []string{"SCMP_ARCH_X86_64"}},
	}
	for _, c := range cases {
		r, err := resolveFiles(t, map[string]string{"p.yaml": c.profile}, "p.yaml", c.tgt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d := cmp.Diff(c.want, r.Seccomp.Architectures); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
}

func TestResolveSeccompDisabled(t *testing.T) {
	for _, p := range []string{"version: 1\n", "version: 1\nseccomp: {}\n"} {
		r := mustResolve(t, map[string]string{"p.yaml": p}, "p.yaml")
		if r.Seccomp.Enabled {
			t.Errorf("%q: seccomp enabled without a seccomp section", p)
		}
	}
	_, err := resolveFiles(t, map[string]string{"p.yaml": "version: 1\nseccomp:\n  syscalls: [{names: [read], action: allow}]\n"}, "p.yaml", x86)
	wantCodes(t, err, CodeRequired)
}

func TestResolveCapabilities(t *testing.T) {
	files := map[string]string{
		"base.yaml":  "version: 1\ncapabilities: {add: [chown, kill, NET_RAW, cap_setuid], ambient: [kill]}\n",
		"drop.yaml":  "version: 1\nextends: base.yaml\ncapabilities: {drop: [net_raw]}\n",
		"all.yaml":   "version: 1\nextends: base.yaml\ncapabilities: {drop: [ALL], add: [NET_BIND_SERVICE], ambient: [NET_BIND_SERVICE]}\n",
		"every.yaml": "version: 1\ncapabilities: {add: [all]}\n",
		"most.yaml":  "version: 1\nextends: base.yaml\ncapabilities: {add: [ALL], drop: [SYS_ADMIN, chown]}\n",
	}
	r := mustResolve(t, files, "drop.yaml")
	want := CapSets{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"},
		Effective:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"},
		Inheritable: []string{"CAP_KILL"},
		Ambient:     []string{"CAP_KILL"},
	}
	if d := cmp.Diff(want, r.Capabilities); d != "" {
		t.Errorf("drop (-want +got):\n%s", d)
	}
	r = mustResolve(t, files, "all.yaml")
	one := []string{"CAP_NET_BIND_SERVICE"}
	if d := cmp.Diff(CapSets{one, one, one, one, one}, r.Capabilities); d != "" {
		t.Errorf("drop ALL (-want +got):\n%s", d)
	}
	r = mustResolve(t, files, "every.yaml")
	if d := cmp.Diff(allCapabilities(), r.Capabilities.Bounding); d != "" {
		t.Errorf("add ALL (-want +got):\n%s", d)
	}

	// As Docker: add ALL beside drops grants all but the drops.
	r = mustResolve(t, files, "most.yaml")
	most := slices.DeleteFunc(allCapabilities(), func(c string) bool { return c == "CAP_SYS_ADMIN" || c == "CAP_CHOWN" })
	if d := cmp.Diff(most, r.Capabilities.Bounding); d != "" {
		t.Errorf("add ALL with drops (-want +got):\n%s", d)
	}

	_, err := resolveFiles(t, map[string]string{"p.yaml": "version: 1\ncapabilities:\n  add: [chown]\n  ambient: [chown, kill]\n"}, "p.yaml", x86)
	list := wantCodes(t, err, CodeValue)
	if len(list) == 1 && (list[0].Pos.Line != 4 || list[0].Pos.Col != 20) {
		t.Errorf("ambient error at %v, want line 4 col 20", list[0].Pos)
	}
}

func TestResolveMergeSeccomp(t *testing.T) {
	files := map[string]string{
		"base.yaml": `version: 1
seccomp:
  defaultAction: errno
  defaultErrnoRet: EPERM
  architectures: [x86_64]
  flags: [log]
  syscalls:
    - {names: [read, write, openat], action: allow}
    - {names: [ptrace], action: errno, errnoRet: EACCES}
    - {names: [openat], action: allow, args: [{index: 2, value: 0, op: eq}]}
`,
		"mid.yaml": `version: 1
extends: base.yaml
seccomp:
  syscalls:
    - {names: [openat, mkdir], action: log}
    - {names: [ptrace], action: notify}
`,
		"top.yaml": `version: 1
extends: [mid.yaml]
seccomp:
  defaultAction: kill-process
  archMap: [{architecture: x86_64, subArchitectures: [x86]}]
  syscalls:
    - {name: write, action: trap}
`,
	}
	r := mustResolve(t, files, "mid.yaml")
	if d := cmp.Diff([]string{"ALLOW:read,write", "LOG:openat,mkdir", "NOTIFY:ptrace"}, ruleNames(r)); d != "" {
		t.Errorf("mid (-want +got):\n%s", d)
	}
	if r.Seccomp.DefaultErrnoRet == nil || *r.Seccomp.DefaultErrnoRet != 1 || r.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Errorf("mid defaults = %s %v, want inherited errno 1", r.Seccomp.DefaultAction, r.Seccomp.DefaultErrnoRet)
	}
	if d := cmp.Diff([]string{"SECCOMP_FILTER_FLAG_LOG"}, r.Seccomp.Flags); d != "" {
		t.Errorf("mid flags: %s", d)
	}
	r = mustResolve(t, files, "top.yaml")
	if d := cmp.Diff([]string{"ALLOW:read", "LOG:openat,mkdir", "NOTIFY:ptrace", "TRAP:write"}, ruleNames(r)); d != "" {
		t.Errorf("top (-want +got):\n%s", d)
	}
	if r.Seccomp.DefaultAction != "SCMP_ACT_KILL_PROCESS" || r.Seccomp.DefaultErrnoRet != nil {
		t.Errorf("top defaults = %s %v, want kill-process without errno", r.Seccomp.DefaultAction, r.Seccomp.DefaultErrnoRet)
	}
	if d := cmp.Diff([]string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}, r.Seccomp.Architectures); d != "" {
		t.Errorf("top architectures: %s", d)
	}
	if d := cmp.Diff([]string{filepath.Base("base.yaml"), "mid.yaml", "top.yaml"}, baseNames(r.Sources)); d != "" {
		t.Errorf("sources: %s", d)
	}
	// NamePos follows the names that survive a merge.
	for _, s := range r.Seccomp.Syscalls {
		if len(s.NamePos) != len(s.Names) {
			t.Errorf("rule %v has %d name positions", s.Names, len(s.NamePos))
		}
	}
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func TestResolveMergeFieldByField(t *testing.T) {
	files := map[string]string{
		"base.yaml": `version: 1
namespaces: {pid: true, net: true, uts: {hostname: base}, user: {uidMap: [{containerID: 0, hostID: 1000, size: 1}]}}
cgroups: {memory: {max: 1Gi, high: 512Mi}, cpu: {weight: 100}, pids: {max: 64}, optional: true}
rlimits: {nofile: 1024, core: 0}
noNewPrivileges: false
user: {uid: 1000, gid: 1000, groups: [10]}
policyExceptions: [{id: a, reason: base}, {id: b, reason: base}]
`,
		"child.yaml": `version: 1
extends: base.yaml
name: child
namespaces: {net: false, ipc: true}
cgroups: {memory: {max: 2Gi}, cpu: {max: 1.5}}
rlimits: {nofile: {soft: 10, hard: 20}}
policyExceptions: [{id: b, reason: child}]
`,
	}
	r := mustResolve(t, files, "child.yaml")
	if r.Name != "child" {
		t.Errorf("name = %q", r.Name)
	}
	ns := r.Namespaces
	if ns.PID == nil || !ns.PID.Enabled || ns.Net == nil || ns.Net.Enabled || ns.IPC == nil || !ns.IPC.Enabled ||
		ns.UTS == nil || ns.UTS.Hostname != "base" || ns.User == nil || len(ns.User.UIDMap) != 1 || ns.Mount != nil {
		t.Errorf("namespaces = %+v", ns)
	}
	gi := int64(1 << 30)
	cg := r.Cgroups
	if *cg.Memory.Max != 2*gi || *cg.Memory.High != gi/2 || *cg.CPU.Max != 1.5 || *cg.CPU.Weight != 100 || *cg.Pids.Max != 64 || !cg.Optional {
		t.Errorf("cgroups = mem %d/%d cpu %v/%d pids %d optional %v", *cg.Memory.Max, *cg.Memory.High, *cg.CPU.Max, *cg.CPU.Weight, *cg.Pids.Max, cg.Optional)
	}
	if d := cmp.Diff(map[string]Rlimit{"nofile": {10, 20}, "core": {0, 0}}, r.Rlimits); d != "" {
		t.Errorf("rlimits: %s", d)
	}
	if r.NoNewPrivileges {
		t.Error("noNewPrivileges: false should be inherited")
	}
	if r.User == nil || r.User.UID != 1000 || !slices.Equal(r.User.Groups, []uint32{10}) {
		t.Errorf("user = %+v", r.User)
	}
	got := []string{}
	for _, e := range r.PolicyExceptions {
		got = append(got, e.ID+"="+e.Reason)
	}
	if d := cmp.Diff([]string{"a=base", "b=child"}, got); d != "" {
		t.Errorf("exceptions: %s", d)
	}
}

func TestLoadChainOrderAndCycles(t *testing.T) {
	files := map[string]string{
		"d.yaml":     "version: 1\nname: d\n",
		"b.yaml":     "version: 1\nname: b\nextends: d.yaml\n",
		"sub/c.yaml": "version: 1\nname: c\nextends: ../d.yaml\n",
		"a.yaml":     "version: 1\nname: a\nextends: [b.yaml, sub/c.yaml, builtin-x]\n",
		"x.yaml":     "version: 1\nextends: y.yaml\n",
		"y.yaml":     "version: 1\nextends: [z.yaml]\n",
		"z.yaml":     "version: 1\nextends: x.yaml\n",
		"self.yaml":  "version: 1\nextends: ./self.yaml\n",
		"miss.yaml":  "version: 1\nextends: [nowhere.yaml]\n",
	}
	dir := writeProfiles(t, files)
	bases := func(name string) ([]byte, bool) {
		if name == "builtin-x" {
			return []byte("version: 1\nname: bx\n"), true
		}
		return nil, false
	}
	chain, err := LoadChain(filepath.Join(dir, "a.yaml"), Options{Bases: bases})
	if err != nil {
		t.Fatal(err)
	}
	var names, files2 []string
	for _, p := range chain {
		names = append(names, p.Name)
		files2 = append(files2, strings.TrimPrefix(p.File, dir+"/"))
	}
	if d := cmp.Diff([]string{"d", "b", "c", "bx", "a"}, names); d != "" {
		t.Errorf("chain order (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"d.yaml", "b.yaml", "sub/c.yaml", "builtin:builtin-x", "a.yaml"}, files2); d != "" {
		t.Errorf("chain files (-want +got):\n%s", d)
	}

	_, err = LoadChain(filepath.Join(dir, "x.yaml"), Options{})
	list := wantCodes(t, err, CodeCycle)
	x, y, z := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "y.yaml"), filepath.Join(dir, "z.yaml")
	if len(list) == 1 && !strings.Contains(list[0].Msg, x+" -> "+y+" -> "+z+" -> "+x) {
		t.Errorf("cycle message %q does not name the cycle", list[0].Msg)
	}
	if len(list) == 1 && (list[0].Pos.File != z || list[0].Pos.Line != 2 || list[0].Pos.Col != 10) {
		t.Errorf("cycle reported at %v, want z.yaml:2:10", list[0].Pos)
	}
	_, err = LoadChain(filepath.Join(dir, "self.yaml"), Options{})
	wantCodes(t, err, CodeCycle)
	_, err = LoadChain(filepath.Join(dir, "miss.yaml"), Options{})
	list = wantCodes(t, err, CodeExtends)
	if len(list) == 1 && (list[0].Pos.Line != 2 || list[0].Pos.Col != 11) {
		t.Errorf("missing base reported at %v, want 2:11", list[0].Pos)
	}
}

// TestBuiltinBases loads every built-in base from policies/bases as the CLI
// would and checks that docker-default resolves to Docker's own output.
func TestBuiltinBases(t *testing.T) {
	dir := filepath.Join("..", "policies", "bases")
	testenv.RequireFile(t, filepath.Join(dir, "docker-default.yaml"))
	testenv.RequireFile(t, filepath.Join(dir, "default.yaml"))
	ents, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ents {
		if _, err := LoadResolved(f, x86, Options{Bases: diskBases}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	tgt, err := DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	dir2 := writeProfiles(t, map[string]string{"p.yaml": "version: 1\nextends: docker-default\n"})
	got, err := LoadResolved(filepath.Join(dir2, "p.yaml"), tgt, Options{Bases: diskBases})
	if err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: got.Capabilities.Bounding}}}
	want, err := mobyseccomp.GetDefaultProfile(spec)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(mobyView(want), ociView(got), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("extends docker-default differs from moby's default profile (-moby +ours):\n%s", d)
	}
	if len(got.Capabilities.Bounding) != 14 {
		t.Errorf("docker-default grants %d capabilities, want Docker's 14", len(got.Capabilities.Bounding))
	}
}

// diskBases reads built-in bases from ../policies/bases, as policies/bases.Get
// serves them from its embedded copy.
func diskBases(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join("..", "policies", "bases", name+".yaml"))
	return b, err == nil
}

// wantCodes asserts err is an ErrorList whose codes are exactly codes.
func wantCodes(t *testing.T, err error, codes ...string) ErrorList {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T), want an ErrorList with codes %v", err, err, codes)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Code)
	}
	if !slices.Equal(got, codes) {
		t.Errorf("codes %v, want %v; errors:\n%v", got, codes, err)
	}
	return list
}

func TestDefaultTarget(t *testing.T) {
	tgt, err := DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := systab.LookupArch(tgt.Arch); !ok || a.Name != tgt.Arch {
		t.Errorf("DefaultTarget arch %q is not canonical", tgt.Arch)
	}
	if _, _, err := parseKernel(tgt.Kernel); err != nil {
		t.Errorf("DefaultTarget kernel: %v", err)
	}
}

func TestResolveBadTarget(t *testing.T) {
	chain := []*Profile{{Version: 1}}
	for _, tgt := range []Target{{Arch: "vax", Kernel: "6.1"}, {Arch: "x86_64", Kernel: "six"}, {}} {
		if _, err := Resolve(chain, tgt); err == nil {
			t.Errorf("Resolve with target %+v succeeded", tgt)
		}
	}
	if _, err := Resolve(nil, x86); err == nil {
		t.Error("Resolve(nil) succeeded")
	}
	if _, err := Resolve([]*Profile{{Version: 1}, nil}, x86); err == nil {
		t.Error("Resolve with a nil profile succeeded")
	}
}

// TestDockerNulls: JSON written by Go tools carries nulls and empty lists
// that Docker treats as absent; so must we.
func TestDockerNulls(t *testing.T) {
	doc := `version: 1
seccomp: {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": null, "flags": null,
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": null, "errnoRet": 5, "comment": ""}]}
`
	_, err := resolveFiles(t, map[string]string{"p.yaml": doc}, "p.yaml", x86)
	// errnoRet with allow is refused, as runc refuses it; nothing else.
	wantCodes(t, err, CodeConflict)
	doc = strings.Replace(doc, `, "errnoRet": 5`, "", 1)
	r, err := resolveFiles(t, map[string]string{"p.yaml": doc}, "p.yaml", x86)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"SCMP_ARCH_X86_64"}, r.Seccomp.Architectures); d != "" {
		t.Error(d)
	}
	r = mustResolve(t, map[string]string{"p.yaml": "version: 1\nseccomp: {defaultAction: allow, architectures: [], archMap: [{architecture: x86_64, subArchitectures: [x86]}]}\n"}, "p.yaml")
	if d := cmp.Diff([]string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}, r.Seccomp.Architectures); d != "" {
		t.Errorf("empty architectures with archMap: %s", d)
	}
}

func TestNullMeansAbsent(t *testing.T) {
	for doc, codes := range map[string][]string{
		"version: ~\n": {CodeRequired},
		"version: 1\nseccomp: ~\ncapabilities:\nnamespaces: {pid: ~}\nrlimits: {nofile: ~}\nuser: ~\n": nil,
		"version: 1\nseccomp: {defaultAction: allow, syscalls: [{names: ~, action: ~}]}\n":             {CodeRequired, CodeRequired},
		"version: 1\nuser: {uid: ~, gid: 1}\n":                                                         {CodeRequired},
		"version: 1\nseccomp: {defaultAction: allow, syscalls: [{names: [read, ~], action: allow}]}\n": {CodeType},
	} {
		_, err := LoadBytes("null.yaml", []byte(doc), Options{})
		if codes == nil {
			if err != nil {
				t.Errorf("%q: %v", doc, err)
			}
			continue
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%q: error %v, want codes %v", doc, err, codes)
			continue
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Code)
		}
		if !slices.Equal(got, codes) {
			t.Errorf("%q: codes %v, want %v (%v)", doc, got, codes, err)
		}
	}
}

func TestLoadChainBytes(t *testing.T) {
	dir := writeProfiles(t, map[string]string{"base.yaml": "version: 1\nname: base\ncapabilities: {add: [kill]}\n"})
	chain, err := LoadChainBytes(filepath.Join(dir, "docker.json"), []byte("version: 1\nname: top\nextends: base.yaml\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || chain[0].Name != "base" || chain[1].Name != "top" || chain[1].File != filepath.Join(dir, "docker.json") {
		t.Errorf("chain = %v", chain)
	}
	bases := func(name string) ([]byte, bool) {
		if name == "b" {
			return []byte("version: 1\nname: b\n"), true
		}
		return nil, false
	}
	chain, err = LoadChainBytes("builtin:a", []byte("version: 1\nextends: b\n"), Options{Bases: bases})
	if err != nil || len(chain) != 2 || chain[0].File != "builtin:b" {
		t.Errorf("builtin chain = %v, %v", chain, err)
	}
	// A built-in base cannot reach into the file system.
	_, err = LoadChainBytes("builtin:a", []byte("version: 1\nextends: ../etc/x.yaml\n"), Options{Bases: bases})
	wantCodes(t, err, CodeExtends)
	// Nil data is an empty profile, never a read of name from disk.
	_, err = LoadChainBytes(filepath.Join(dir, "base.yaml"), nil, Options{})
	wantCodes(t, err, CodeRequired)
}

func TestBaseNameSuggestion(t *testing.T) {
	dir := writeProfiles(t, map[string]string{"p.yaml": "version: 1\nextends: [docker-defualt]\n"})
	opts := Options{
		Bases:     func(string) ([]byte, bool) { return nil, false },
		BaseNames: func() []string { return []string{"default", "docker-default"} },
	}
	_, err := LoadChain(filepath.Join(dir, "p.yaml"), opts)
	list := wantCodes(t, err, CodeExtends)
	if len(list) == 1 && list[0].Suggestion != "docker-default" {
		t.Errorf("suggestion %q, want docker-default", list[0].Suggestion)
	}
}

func TestExtendsLimits(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < maxExtendsDepth+5; i++ {
		files[fmt.Sprintf("p%d.yaml", i)] = fmt.Sprintf("version: 1\nextends: p%d.yaml\n", i+1)
	}
	files[fmt.Sprintf("p%d.yaml", maxExtendsDepth+5)] = "version: 1\n"
	dir := writeProfiles(t, files)
	_, err := LoadChain(filepath.Join(dir, "p0.yaml"), Options{})
	wantCodes(t, err, CodeExtends)

	// Wide rather than deep: many files, each extended once.
	wide := map[string]string{}
	var names []string
	for i := 0; i < maxChainFiles+5; i++ {
		n := fmt.Sprintf("w%d.yaml", i)
		wide[n] = "version: 1\n"
		names = append(names, n)
	}
	wide["top.yaml"] = "version: 1\nextends: [" + strings.Join(names, ", ") + "]\n"
	dir = writeProfiles(t, wide)
	_, err = LoadChain(filepath.Join(dir, "top.yaml"), Options{})
	wantCodes(t, err, slices.Repeat([]string{CodeExtends}, 6)...)

	// Well within the limits, the same base reached twice is applied once.
	diamond := map[string]string{
		"d.yaml":   "version: 1\nseccomp: {defaultAction: allow, syscalls: [{names: [read], action: log}]}\n",
		"l.yaml":   "version: 1\nextends: d.yaml\nseccomp: {syscalls: [{names: [read], action: allow}]}\n",
		"r.yaml":   "version: 1\nextends: d.yaml\n",
		"top.yaml": "version: 1\nextends: [l.yaml, r.yaml]\n",
	}
	r := mustResolve(t, diamond, "top.yaml")
	if d := cmp.Diff([]string{"ALLOW:read"}, ruleNames(r)); d != "" {
		t.Errorf("diamond: d.yaml applied again after l.yaml (-want +got):\n%s", d)
	}
	if len(r.Sources) != 4 {
		t.Errorf("diamond sources %v", r.Sources)
	}
}

// TestContainersCommon: Podman's and CRI-O's profiles write errno names
// beside (or instead of) Docker's numbers.
func TestContainersCommon(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "docker", "containers-common.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := mustResolve(t, map[string]string{"p.yaml": "version: 1\nseccomp: " + string(body)}, "p.yaml")
	if e := r.Seccomp.DefaultErrnoRet; e == nil || *e != 38 {
		t.Errorf("defaultErrnoRet = %v, want 38", e)
	}
	var got []string
	for _, s := range r.Seccomp.Syscalls {
		e := "-"
		if s.ErrnoRet != nil {
			e = fmt.Sprint(*s.ErrnoRet)
		}
		got = append(got, strings.Join(s.Names, ",")+":"+e)
	}
	if d := cmp.Diff([]string{"read,write,exit_group:-", "bdflush,kexec_load:1", "ptrace:13"}, got); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	for doc, codes := range map[string][]string{
		"version: 1\nseccomp: {defaultAction: errno, defaultErrnoRet: 38, defaultErrno: EPERM}\n":         {CodeConflict},
		"version: 1\nseccomp: {syscalls: [{names: [read], action: errno, errnoRet: 1, errno: EACCES}]}\n": {CodeConflict},
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, errno: EACCES}]}\n":              {CodeConflict},
	} {
		_, err := LoadBytes("p.yaml", []byte(doc), Options{})
		wantCodes(t, err, codes...)
	}
}

// TestForeignSyscalls: a syscall of another architecture is no mistake; it
// stays in the resolved rules and the compiler skips it where it is absent.
func TestForeignSyscalls(t *testing.T) {
	doc := "version: 1\nseccomp: {defaultAction: errno, syscalls: [{names: [arch_prctl, sync_file_range2, s390_runtime_instr, read], action: allow}]}\n"
	for _, arch := range []string{"x86_64", "aarch64", "s390x"} {
		r, err := resolveFiles(t, map[string]string{"p.yaml": doc}, "p.yaml", Target{Arch: arch, Kernel: "6.1"})
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if d := cmp.Diff([]string{"ALLOW:arch_prctl,sync_file_range2,s390_runtime_instr,read"}, ruleNames(r)); d != "" {
			t.Errorf("%s: %s", arch, d)
		}
	}
	for _, name := range []string{"arch_prctl", "sync_file_range2", "s390_runtime_instr"} {
		if !systab.KnownSyscall(name) {
			t.Errorf("systab does not know %s", name)
		}
	}
}

// TestResolveLeavesChainAlone: resolving neither changes the profiles nor
// shares memory with them, so one loaded chain serves many targets.
func TestResolveLeavesChainAlone(t *testing.T) {
	chain := mustLoadChain(t, map[string]string{
		"base.yaml": "version: 1\nseccomp: {defaultAction: errno, flags: [log], syscalls: [{names: [read, write], action: allow, args: [{index: 0, value: 1, op: eq}]}]}\ncgroups: {memory: {max: 1Gi}, io: {max: [{device: '8:0', rbps: 1}]}}\nuser: {uid: 1, gid: 1, groups: [2]}\n",
		"top.yaml":  "version: 1\nextends: base.yaml\nseccomp: {syscalls: [{names: [write], action: log, includes: {arches: [amd64]}}]}\nnamespaces: {user: {uidMap: [{containerID: 0, hostID: 1, size: 1}]}}\n",
	}, "top.yaml")
	before, _ := json.Marshal(chain)
	a, err := Resolve(chain, x86)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over everything the first result holds.
	a.Seccomp.Syscalls[0].Names[0] = "x"
	a.Seccomp.Syscalls[0].Args[0].Value = 99
	a.Seccomp.Flags[0] = "x"
	*a.Cgroups.Memory.Max = 1
	a.Cgroups.IO.Max[0].RBps = 99
	a.User.Groups[0] = 99
	a.Namespaces.User.UIDMap[0].HostID = 99
	after, _ := json.Marshal(chain)
	if string(before) != string(after) {
		t.Errorf("changing a resolved profile changed the chain:\n%s\n%s", before, after)
	}
	b, err := Resolve(chain, Target{Arch: "aarch64", Kernel: "6.1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ALLOW:read"}, ruleNames(b)); d != "" {
		t.Errorf("second target: %s", d)
	}
	if b.Seccomp.Syscalls[0].Args[0].Value != 1 || *b.Cgroups.Memory.Max != 1<<30 || b.User.Groups[0] != 2 {
		t.Error("second resolution sees the first one's changes")
	}
}

// TestMergeSeccompKeepsConditions: MergeSeccomp is Resolve's merge without
// the resolution, so conditions survive, a name a later profile takes over
// is struck with its position, and the chain itself is left alone.
func TestMergeSeccompKeepsConditions(t *testing.T) {
	chain := mustLoadChain(t, map[string]string{
		"base.yaml": "version: 1\nseccomp: {defaultAction: errno, defaultErrnoRet: 38, syscalls: [{names: [read, write, ptrace], action: allow, excludes: {caps: [CAP_SYS_ADMIN]}}]}\n",
		"top.yaml":  "version: 1\nextends: base.yaml\nseccomp:\n  defaultAction: kill-process\n  syscalls: [{names: [write], action: log, includes: {arches: [amd64]}}]\n",
	}, "top.yaml")
	before, _ := json.Marshal(chain)
	s := MergeSeccomp(chain)
	if s == nil {
		t.Fatal("MergeSeccomp = nil")
	}
	if s.DefaultAction != "SCMP_ACT_KILL_PROCESS" || s.DefaultErrnoRet != nil || s.Pos != chain[1].Seccomp.Pos {
		t.Errorf("scalars: %s %v at %v", s.DefaultAction, s.DefaultErrnoRet, s.Pos)
	}
	if len(s.Syscalls) != 2 || s.Syscalls[0].Excludes == nil || s.Syscalls[1].Includes == nil {
		t.Fatalf("conditions lost: %+v", s.Syscalls)
	}
	if d := cmp.Diff([]string{"read", "ptrace"}, s.Syscalls[0].Names); d != "" {
		t.Errorf("inherited names: %s", d)
	}
	base := chain[0].Seccomp.Syscalls[0].NamePos
	if d := cmp.Diff([]Pos{base[0], base[2]}, s.Syscalls[0].NamePos); d != "" {
		t.Errorf("inherited name positions: %s", d)
	}
	s.Syscalls[0].Names[0] = "x"
	s.Syscalls[1].Names[0] = "x"
	if after, _ := json.Marshal(chain); string(before) != string(after) {
		t.Errorf("MergeSeccomp shares memory with the chain:\n%s\n%s", before, after)
	}
	if MergeSeccomp(chain[:0]) != nil || MergeSeccomp([]*Profile{{Version: 1}}) != nil {
		t.Error("a chain without seccomp merges to a non-nil section")
	}
}
