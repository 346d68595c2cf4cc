package convert

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// TestFromDockerForms checks what each input form becomes.
func TestFromDockerForms(t *testing.T) {
	t.Run("old name form", func(t *testing.T) {
		p := loadDocker(t, "old-name.json")
		s := p.Seccomp
		if !slices.Equal(s.Syscalls[0].Names, []string{"read"}) || s.Syscalls[1].Comment != "old single-name form" {
			t.Errorf("rules %+v", s.Syscalls[:2])
		}
		if in := s.Syscalls[8].Includes; in == nil || !slices.Equal(in.Caps, []string{"CAP_KILL"}) || in.MinKernel != "4.8" {
			t.Errorf("includes not kept: %+v", in)
		}
		if ex := s.Syscalls[10].Excludes; ex == nil || !slices.Equal(ex.Caps, []string{"CAP_SYS_ADMIN"}) {
			t.Errorf("excludes not kept: %+v", ex)
		}
		if p.NoNewPrivileges == nil || *p.NoNewPrivileges {
			t.Error("noNewPrivileges must be written, false as in Docker")
		}
		if !slices.Equal(p.Capabilities.Add, DockerDefaultCapabilities()) {
			t.Errorf("capabilities %v", p.Capabilities.Add)
		}
	})
	t.Run("archMap", func(t *testing.T) {
		p := loadDocker(t, "archmap.json")
		if len(p.Seccomp.ArchMap) != 2 || p.Seccomp.ArchMap[1].Architecture != "SCMP_ARCH_AARCH64" || p.Seccomp.Architectures != nil {
			t.Errorf("archMap %+v, architectures %v", p.Seccomp.ArchMap, p.Seccomp.Architectures)
		}
		if d := p.Seccomp.DefaultErrnoRet; d == nil || *d != 38 {
			t.Errorf("defaultErrnoRet %v", d)
		}
	})
	t.Run("containers/common", func(t *testing.T) {
		p := loadDocker(t, "containers-common.json")
		s := p.Seccomp
		if d := s.DefaultErrnoRet; d == nil || *d != 38 {
			t.Errorf("defaultErrno ENOSYS became %v", d)
		}
		if e := s.Syscalls[1].ErrnoRet; e == nil || *e != 1 {
			t.Errorf("errno EPERM became %v", e)
		}
		if e := s.Syscalls[2].ErrnoRet; e == nil || *e != 30 {
			t.Errorf("errnoRet 30 with errno EROFS became %v", e)
		}
		for i, r := range s.Syscalls {
			if i != 3 && (r.Includes != nil || r.Excludes != nil) {
				t.Errorf("rule %d: an empty includes/excludes must be no condition: %+v %+v", i, r.Includes, r.Excludes)
			}
		}
		if s.Syscalls[3].Includes == nil {
			t.Error("a real condition was lost")
		}
	})
	t.Run("spellings", func(t *testing.T) {
		p, err := FromDocker([]byte(`{"defaultAction": "errno", "architectures": ["x86_64", "amd64", "SCMP_ARCH_X86"], "flags": ["log"], "syscalls": [{"names": ["ptrace"], "action": "kill-process", "includes": {"caps": ["sys_ptrace"]}, "args": [{"index": 0, "value": 1, "op": "masked-eq"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		s := p.Seccomp
		if s.DefaultAction != "SCMP_ACT_ERRNO" || !slices.Equal(s.Architectures, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}) ||
			!slices.Equal(s.Flags, []string{"SECCOMP_FILTER_FLAG_LOG"}) || s.Syscalls[0].Action != "SCMP_ACT_KILL_PROCESS" ||
			s.Syscalls[0].Args[0].Op != "SCMP_CMP_MASKED_EQ" || s.Syscalls[0].Includes.Caps[0] != "CAP_SYS_PTRACE" {
			t.Errorf("not canonical: %+v", s)
		}
	})
}

func TestFromDockerRefuses(t *testing.T) {
	for _, c := range []struct{ what, in, want string }{
		{"unknown field", `{"defaultAction": "SCMP_ACT_ALLOW", "sycalls": []}`, `unknown field "sycalls"`},
		{"name and names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}`, "both name and names"},
		{"no names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}`, "syscalls[0].names"},
		{"no default", `{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`, "defaultAction: is required"},
		{"unknown action", `{"defaultAction": "SCMP_ACT_ALOW"}`, `unknown action "SCMP_ACT_ALOW"`},
		{"unknown op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQUAL"}]}]}`, "unknown operator"},
		{"index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "not an argument index"},
		{"no index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "index: is required"},
		{"both arch lists", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]}`, "both architectures and archMap"},
		{"unknown arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}`, "unknown architecture"},
		{"unknown errno", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "EWHAT"}`, "unknown errno"},
		{"errnos disagree", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EACCES"}]}`, "disagrees"},
		{"unknown cap", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMN"]}}]}`, "unknown capability"},
		{"bad minKernel", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "five"}}]}`, "not a kernel version"},
		{"negative value", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}`, "read docker profile"},
		{"trailing data", `{"defaultAction": "SCMP_ACT_ALLOW"} {}`, "after the JSON"},
		{"null rule", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [null]}`, "is null"},
	} {
		_, err := FromDocker([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.what, err, c.want)
		}
	}
}

// posFree leaves out what a load adds and a conversion cannot know:
// positions and the file name.
var posFree = cmp.Options{
	cmpopts.IgnoreTypes(schema.Pos{}, []schema.Pos{}),
	cmpopts.IgnoreFields(schema.Profile{}, "File"),
	cmpopts.EquateEmpty(),
}

// TestYAMLLoadsBackEqual: the YAML FromDocker's profiles are written as
// loads back with the strict loader to the same profile, and writing it
// again gives the same bytes.
func TestYAMLLoadsBackEqual(t *testing.T) {
	for name, data := range dockerInputs(t) {
		p, err := FromDocker(data)
		if err != nil {
			t.Fatal(err)
		}
		p.Name = "x-" + strings.TrimSuffix(name, ".json")
		y1, err := ToYAML(p, "a header")
		if err != nil {
			t.Fatal(err)
		}
		q, err := schema.LoadBytes(name, y1, schema.Options{Bases: bases.Get})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(p, q, posFree); d != "" {
			t.Errorf("%s: the profile changed through YAML (-written +loaded):\n%s", name, d)
		}
		y2, err := ToYAML(q, "a header")
		if err != nil {
			t.Fatal(err)
		}
		if string(y1) != string(y2) {
			t.Errorf("%s: writing the loaded profile again gives other bytes", name)
		}
		if !strings.HasPrefix(string(y1), "# a header\n") {
			t.Errorf("%s: no header comment", name)
		}
	}
}

// TestToDockerKeepsEverything: a Docker profile read and written again is
// the same profile, conditions, comments, archMap and order included.
func TestToDockerKeepsEverything(t *testing.T) {
	for name, data := range dockerInputs(t) {
		p, err := FromDocker(data)
		if err != nil {
			t.Fatal(err)
		}
		out, notes, err := ToDocker(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := FromDocker(out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if d := cmp.Diff(p.Seccomp, q.Seccomp, posFree); d != "" {
			t.Errorf("%s: changed (-in +out):\n%s", name, d)
		}
		if !hasNote(notes, "capabilities") {
			t.Errorf("%s: no note tells how to grant the capabilities: %v", name, notes)
		}
	}
}

func TestToDockerNotes(t *testing.T) {
	p, err := schema.LoadBytes("confined.yaml", readTestdata(t, "confined.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, notes, err := ToDocker(p)
	if err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, n := range notes {
		all += n.String() + "\n"
	}
	for _, want := range []string{"--cap-add CHOWN", "--security-opt no-new-privileges", "--hostname pc-confined", "--memory 67108864", "--pids-limit 64", "--ulimit nofile=512:1024"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
	if _, _, err := ToDocker(&schema.Profile{Version: 1}); err == nil {
		t.Error("a profile without seccomp was exported")
	}
	if _, _, err := ToDocker(&schema.Profile{Version: 1, Extends: []string{"docker-default"}, Seccomp: &schema.Seccomp{}}); err == nil {
		t.Error("a profile with extends was exported as if it had none")
	}
}

func TestFromDockerYAML(t *testing.T) {
	p, err := FromDocker([]byte("defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n  - names: [personality]\n    action: SCMP_ACT_ALLOW\n    args: [{index: 0, value: 18446744073709551615, op: SCMP_CMP_EQ}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Seccomp.Syscalls[0].Args[0]; a.Value != 1<<64-1 {
		t.Errorf("value %#x", a.Value)
	}
	if _, err := FromDocker([]byte("- a\n- b\n")); err == nil {
		t.Error("a YAML list was read as a profile")
	}
}

func TestResolvedToDockerAllCaps(t *testing.T) {
	p, err := schema.LoadBytes("all.yaml", []byte("version: 1\ncapabilities: {add: [ALL]}\nseccomp: {defaultAction: allow}\n"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, notes, err := ResolvedToDocker(resolve(t, p, "SCMP_ARCH_X86_64", "6.1"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range notes {
		found = found || (n.Path == "capabilities" && strings.Contains(n.Msg, "--cap-drop ALL --cap-add ALL "))
	}
	if !found {
		t.Errorf("every capability must read --cap-add ALL: %v", notes)
	}
	if _, _, err := ToDocker(&schema.Profile{Version: 1, Seccomp: &schema.Seccomp{}}); err == nil {
		t.Error("a profile without defaultAction was exported")
	}
}

func TestFromDockerErrorPositions(t *testing.T) {
	_, err := FromDocker([]byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "names") {
		t.Errorf("a type error should say where: %v", err)
	}
	_, err = FromDocker([]byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [,]\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a syntax error should say where: %v", err)
	}
}

func TestResolvedToDockerHints(t *testing.T) {
	p, err := schema.LoadBytes("rich.yaml", readTestdata(t, "rich.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, notes, err := ResolvedToDocker(resolve(t, p, "SCMP_ARCH_X86_64", "6.1"))
	if err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, n := range notes {
		all += n.String() + "\n"
	}
	for _, want := range []string{"--ulimit core=0:-1", "--ulimit nofile=1024:4096", "--cpus 0.25", "--cpu-shares ", "--memory 268435456 --memory-swap 335544320",
		"--pids-limit 128", "--user 1000:1000", "--hostname rich-host", "ambient", "--userns-remap", "--network none", "--cap-drop ALL --cap-add NET_BIND_SERVICE"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
}

// TestYAMLRewritesProfiles: every profile in the repository's testdata and
// every built-in base, written by ToYAML, loads back equal. This catches a
// field added to schema.Profile that the writer would spell wrong.
func TestYAMLRewritesProfiles(t *testing.T) {
	inputs := map[string][]byte{}
	for _, dir := range []string{filepath.Join("..", "testdata", "convert"), filepath.Join("..", "testdata", "profiles")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if k, err := Detect(data); err == nil && k == KindProfile {
				inputs[f] = data
			}
		}
	}
	for _, name := range bases.Names() {
		data, _ := bases.Get(name)
		inputs["builtin:"+name] = data
	}
	if len(inputs) < 5 {
		t.Fatalf("only %d profiles found", len(inputs))
	}
	opts := schema.Options{Bases: bases.Get}
	loaded := 0
	for name, data := range inputs {
		p, err := schema.LoadBytes(name, data, opts)
		if err != nil {
			continue // testdata holds deliberately broken profiles too
		}
		loaded++
		y, err := ToYAML(p, "")
		if err != nil {
			t.Fatal(err)
		}
		q, err := schema.LoadBytes(name+" (rewritten)", y, opts)
		if err != nil {
			t.Errorf("%s: the rewritten profile does not load: %v\n%s", name, err, y)
			continue
		}
		if d := cmp.Diff(p, q, posFree); d != "" {
			t.Errorf("%s: changed by rewriting (-in +out):\n%s", name, d)
		}
	}
	if loaded < 5 {
		t.Errorf("only %d of %d profiles loaded; the comparison is nearly vacuous", loaded, len(inputs))
	}
}

func TestYAMLStyle(t *testing.T) {
	p, err := schema.LoadBytes("rich.yaml", readTestdata(t, "rich.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	y, err := ToYAML(p, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n    max: 256Mi\n", "\n    swapMax: 64Mi\n", "hard: unlimited", "\n  pid: true\n", "names: [read, write, exit_group, close, openat]"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("the YAML lacks %q:\n%s", want, y)
		}
	}
	if strings.Index(string(y), "seccomp:") < strings.Index(string(y), "rlimits:") {
		t.Error("the seccomp section should come last")
	}
}
