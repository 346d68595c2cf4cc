package schema

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

var x86 = Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}

func TestThreeMistakes(t *testing.T) {
	const file = "../testdata/profiles/three-mistakes.yaml"
	_, err := LoadChain(file, Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("LoadChain(%s) = %v, want an ErrorList", file, err)
	}
	want := []string{
		file + `:6:3: seccomp.syscals: unknown field "syscals" (did you mean syscalls?)`,
		file + `:8:28: seccomp.syscalls[0].names[2]: unknown syscall "opne" (not a syscall on any architecture) (did you mean open?)`,
		file + `:11:9: capabilities.add[0]: unknown capability "NET_BIND_SERVCE" (did you mean NET_BIND_SERVICE?)`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestMinimal(t *testing.T) {
	r, err := LoadResolved("../testdata/profiles/minimal.yaml", x86, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Seccomp.Enabled || r.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" || len(r.Seccomp.Syscalls) != 1 {
		t.Errorf("seccomp = %+v", r.Seccomp)
	}
	if !r.NoNewPrivileges {
		t.Error("noNewPrivileges should default to true")
	}
}

// TestMisplacedFields: a Docker profile pasted without its seccomp: wrapper
// is told where its fields belong.
func TestMisplacedFields(t *testing.T) {
	_, err := LoadBytes("p.yaml", []byte("version: 1\ndefaultAction: SCMP_ACT_ERRNO\nsyscalls: []\nnofile: 10\nadd: [CHOWN]\n"), Options{})
	want := []string{
		`p.yaml:2:1: defaultAction: unknown field "defaultAction" (did you mean seccomp.defaultAction?)`,
		`p.yaml:3:1: syscalls: unknown field "syscalls" (did you mean seccomp.syscalls?)`,
		`p.yaml:4:1: nofile: unknown field "nofile" (did you mean rlimits.nofile?)`,
		`p.yaml:5:1: add: unknown field "add" (did you mean capabilities.add?)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// TestOneErrorPerMistake: a wrong value is reported once, not also as every
// check that follows from it.
func TestOneErrorPerMistake(t *testing.T) {
	for doc, code := range map[string]string{
		"version: 1\nnamespaces: {uts: {hostname: [a]}}\n":                                         CodeType,
		"version: 1\nnamespaces: {uts: {hostname: ''}}\n":                                          CodeValue,
		"version: 1\ncgroups: {io: {max: [{device: [8, 0]}]}}\n":                                   CodeType,
		"version: 1\nrlimits: {nofile: {soft: x, hard: 1}}\n":                                      CodeValue,
		"version: 1\nuser: {uid: x, gid: 1}\n":                                                     CodeType,
		"version: 1\nseccomp: {syscalls: [{names: [read], action: nope}]}\n":                       CodeUnknownName,
		"version: 1\nseccomp: {syscalls: [{names: read, action: allow}]}\n":                        CodeType,
		"version: 1\nnamespaces: {user: {uidMap: [{containerID: x, hostID: 1, size: 1}]}}\n":       CodeType,
		"version: 1\npolicyExceptions: [{id: [x], reason: r}]\n":                                   CodeType,
		"version: 1\npolicyExceptions: [{id: x, reason: ' '}]\n":                                   CodeValue,
		"version: 1\npolicyExceptions: [{id: x}]\n":                                                CodeRequired,
		"version: 1\ncgroups: {io: {max: [{device: '8:0', rbps: 1}, {device: '8:0', wbps: 1}]}}\n": CodeDuplicate,
	} {
		_, err := LoadBytes("p.yaml", []byte(doc), Options{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || list[0].Code != code {
			t.Errorf("%q: %v, want one %s error", doc, err, code)
		}
	}
}

// TestSyntaxErrorPositions: where yaml.v3 gives no line, the loader finds
// the offending bytes itself.
func TestSyntaxErrorPositions(t *testing.T) {
	for doc, want := range map[string]string{
		"version: 1\nname: ok\ndescription: a\x01b\n": "p.yaml:3:15",
		"version: 1\nname: \xff\n":                    "p.yaml:2:7",
		"version: 1\nname: é\xfe\n":                   "p.yaml:2:8",
		"version: 1\nuser: *nobody\n":                 "p.yaml:2:7",
	} {
		_, err := LoadBytes("p.yaml", []byte(doc), Options{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || list[0].Code != CodeSyntax {
			t.Errorf("%q: %v, want one syntax error", doc, err)
			continue
		}
		if got := list[0].Pos.String(); got != want {
			t.Errorf("%q: error at %s, want %s (%v)", doc, got, want, err)
		}
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\r\ncd\re\nfé\u2028g")
	for i, want := range map[int][2]int{0: {1, 1}, 2: {1, 3}, 4: {2, 1}, 7: {3, 1}, 9: {4, 1}, 10: {4, 2}, 12: {4, 3}, 15: {5, 1}} {
		if l, c := lineCol(data, i); l != want[0] || c != want[1] {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", i, l, c, want[0], want[1])
		}
	}
}

func TestLoadIOErrors(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing.yaml"), dir} {
		_, err := Load(path, Options{})
		list := wantCodes(t, err, CodeIO)
		if len(list) == 1 && (list[0].Pos.File != path || list[0].Pos.Line != 1) {
			t.Errorf("%s: error at %v", path, list[0].Pos)
		}
		if _, err := LoadChain(path, Options{}); err == nil {
			t.Errorf("LoadChain(%s) succeeded", path)
		}
		if _, err := LoadResolved(path, x86, Options{}); err == nil {
			t.Errorf("LoadResolved(%s) succeeded", path)
		}
	}
}

// TestDecodeErrors pins the code and path of one mistake in each corner of
// the language.
func TestDecodeErrors(t *testing.T) {
	for doc, want := range map[string]string{
		"version: 1\nextends: ''\n":                                                                                   "value extends",
		"version: 1\nextends: [a.yaml, 5]\n":                                                                          "type extends[1]",
		"version: 1\nextends: {a: b}\n":                                                                               "type extends",
		"version: 1\nseccomp: {listenerPath: 5}\n":                                                                    "type seccomp.listenerPath",
		"version: 1\nseccomp: {defaultAction: true}\n":                                                                "type seccomp.defaultAction",
		"version: 1\nseccomp: {defaultAction: errno, defaultErrnoRet: true}\n":                                        "type seccomp.defaultErrnoRet",
		"version: 1\nseccomp: {defaultAction: errno, defaultErrnoRet: 4096}\n":                                        "value seccomp.defaultErrnoRet",
		"version: 1\nseccomp: {architectures: x86_64}\n":                                                              "type seccomp.architectures",
		"version: 1\nseccomp: {archMap: [{subArchitectures: [x86]}]}\n":                                               "required seccomp.archMap[0].architecture",
		"version: 1\nseccomp: {flags: [5]}\n":                                                                         "type seccomp.flags[0]",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, includes: {minKernel: '5'}}]}\n":             "value seccomp.syscalls[0].includes.minKernel",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, excludes: {arches: [vax]}}]}\n":              "unknown-name seccomp.syscalls[0].excludes.arches[0]",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, excludes: {caps: [ALL]}}]}\n":                "value seccomp.syscalls[0].excludes.caps[0]",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, args: [{index: 0, op: eq, x: 1}]}]}\n":       "unknown-field seccomp.syscalls[0].args[0].x",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, args: [{index: 0, value: 1.5, op: eq}]}]}\n": "type seccomp.syscalls[0].args[0].value",
		"version: 1\nseccomp: {syscalls: [{names: [read], action: allow, args: [{index: 0, op: 5}]}]}\n":              "type seccomp.syscalls[0].args[0].op",
		"version: 1\nseccomp: {syscalls: [read]}\n":                                                                   "type seccomp.syscalls[0]",
		"version: 1\nrlimits: [nofile]\n":                                                                             "type rlimits",
		"version: 1\nrlimits: {[a]: 1}\n":                                                                             "type rlimits",
		"version: 1\nrlimits: {nofile: 1, NOFILE: 2}\n":                                                               "duplicate rlimits.NOFILE",
		"version: 1\nrlimits: {nofile: {soft: 1, hard: 2, max: 3}}\n":                                                 "unknown-field rlimits.nofile.max",
		"version: 1\nrlimits: {nofile: -1}\n":                                                                         "value rlimits.nofile",
		"version: 1\ncgroups: {memory: {max: [1]}}\n":                                                                 "type cgroups.memory.max",
		"version: 1\ncgroups: {memory: {max: true}}\n":                                                                "type cgroups.memory.max",
		"version: 1\ncgroups: {cpu: {max: [1]}}\n":                                                                    "type cgroups.cpu.max",
		"version: 1\ncgroups: {cpu: {max: true}}\n":                                                                   "type cgroups.cpu.max",
		"version: 1\ncgroups: {cpu: {max: 2000000}}\n":                                                                "value cgroups.cpu.max",
		"version: 1\ncgroups: {io: {max: [{device: '8:0', riops: -1}]}}\n":                                            "value cgroups.io.max[0].riops",
		"version: 1\nnamespaces: {pid: 1}\n":                                                                          "type namespaces.pid",
		"version: 1\nnamespaces: {net: {enabled: 1}}\n":                                                               "type namespaces.net.enabled",
		"version: 1\nnamespaces: {user: {uidMap: [{containerID: 0, hostID: 0, size: 0}]}}\n":                          "value namespaces.user.uidMap[0].size",
		"version: 1\nnamespaces: {user: {uidMap: [{containerID: 4294967295, hostID: 0, size: 2}]}}\n":                 "value namespaces.user.uidMap[0]",
		"version: 1\nnamespaces: {user: {enabled: false, gidMap: [{containerID: 0, hostID: 0, size: 1}]}}\n":          "conflict namespaces.user",
		"version: 1\nnamespaces: {uts: {hostname: 'a b'}}\n":                                                          "value namespaces.uts.hostname",
		"version: 1\nuser: {uid: 4294967295, gid: 0}\n":                                                               "value user.uid",
		"version: 1\nuser: {uid: 0, gid: 0, groups: [x]}\n":                                                           "type user.groups[0]",
		"version: 1\nnoNewPrivileges: yes\n":                                                                          "type noNewPrivileges",
		"version: 1\nversion: 1\n":                                                                                    "duplicate version",
		"version: 1.0\n":                                                                                              "version version",
		"[1, 2]\n":                                                                                                    "type ",
		"version: 1\n? [a]\n: b\n":                                                                                    "type ",
		"version: 1\n<<: {name: x}\n":                                                                                 "unknown-field ",
	} {
		_, err := LoadBytes("p.yaml", []byte(doc), Options{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 {
			t.Errorf("%q: %v, want one error %q", doc, err, want)
			continue
		}
		if got := list[0].Code + " " + list[0].Path; got != want {
			t.Errorf("%q: got %q, want %q (%v)", doc, got, want, list[0])
		}
	}
}
