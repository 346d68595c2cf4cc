package review

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/review")

var target = schema.Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}

func resolve(t *testing.T, path string) *schema.Resolved {
	t.Helper()
	chain, err := schema.LoadChain(path, schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	r, err := schema.Resolve(chain, target)
	if err != nil {
		t.Fatalf("resolve %s: %v", path, err)
	}
	return r
}

func resolveBytes(t *testing.T, name, src string) *schema.Resolved {
	t.Helper()
	chain, err := schema.LoadChainBytes(name, []byte(src), schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	r, err := schema.Resolve(chain, target)
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	return r
}

// golden compares got with the file, or rewrites it under -update, and
// checks that the output is stable from one run to the next.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", file, d)
	}
}

// TestDiffGolden diffs each before/after pair in testdata/review and
// checks its report in every format against golden files.
func TestDiffGolden(t *testing.T) {
	// Each case checks the one change it is about, beyond the golden file.
	cases := map[string]func(t *testing.T, cs []Change){
		"dangerous-syscall": func(t *testing.T, cs []Change) {
			wantChange(t, cs, KindSyscallAllowed, "ptrace", RiskHigh, "ptrace: newly allowed")
			wantChange(t, cs, KindSyscallAllowed, "getpid", RiskLow, "getpid: newly allowed")
		},
		"arg-widened": func(t *testing.T, cs []Change) {
			wantChange(t, cs, KindSyscallWidened, "personality", RiskHigh, "personality: now also allowed for arg0 == 8")
			wantChange(t, cs, KindSyscallWidened, "socket", RiskLow, "socket: now also allowed for arg0 <= 0x10")
		},
		"capability-added": func(t *testing.T, cs []Change) {
			wantChange(t, cs, KindCapAdded, "CAP_SYS_ADMIN", RiskHigh, "CAP_SYS_ADMIN added to the effective, permitted, bounding sets")
			wantChange(t, cs, KindNNPDisabled, "noNewPrivileges", RiskHigh, "noNewPrivileges switched off")
			wantChange(t, cs, KindUserChanged, "root", RiskHigh, "runs as uid 0 gid 0, was uid 1000 gid 1000")
		},
		"limit-removed": func(t *testing.T, cs []Change) {
			wantChange(t, cs, KindLimitRemoved, "memory.max", RiskMedium, "memory.max limit removed (was 512Mi)")
			wantChange(t, cs, KindLimitLoosened, "pids.max", RiskLow, "pids.max loosened from 64 to 256")
			wantChange(t, cs, KindLimitTightened, "rlimit.nofile", RiskInfo, "rlimit.nofile tightened from 1024 to 512")
			wantChange(t, cs, KindNSDropped, "net", RiskMedium, "no longer gets its own net namespace")
		},
		"reorder": func(t *testing.T, cs []Change) {
			if len(cs) != 0 {
				t.Errorf("reordering and respelling gave changes: %+v", cs)
			}
		},
	}
	dirs, err := filepath.Glob("../testdata/review/*/old.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(cases) {
		t.Errorf("%d pairs in testdata/review, %d cases here", len(dirs), len(cases))
	}
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			t.Chdir(filepath.Join("../testdata/review", name))
			old, new := resolve(t, "old.yaml"), resolve(t, "new.yaml")
			var outs [2]map[string][]byte
			for run := range outs {
				rep, err := Compare(context.Background(), old, new, "old.yaml", "new.yaml", nil)
				if err != nil {
					t.Fatal(err)
				}
				if run == 0 {
					check(t, rep.Files[0].Changes)
				}
				outs[run] = map[string][]byte{}
				for _, f := range Formats {
					var b bytes.Buffer
					if err := Write(&b, f, rep); err != nil {
						t.Fatalf("write %s: %v", f, err)
					}
					outs[run][f] = b.Bytes()
				}
			}
			for _, f := range Formats {
				if !bytes.Equal(outs[0][f], outs[1][f]) {
					t.Errorf("%s output differs between two runs", f)
				}
				golden(t, "diff."+ext(f), outs[0][f])
			}
		})
	}
}

func ext(format string) string {
	switch format {
	case "markdown":
		return "md"
	case "github":
		return "github.txt"
	case "text":
		return "txt"
	}
	return format
}

func wantChange(t *testing.T, cs []Change, kind, subject, risk, msg string) {
	t.Helper()
	for _, c := range cs {
		if c.Kind == kind && c.Subject == subject {
			if c.Risk != risk {
				t.Errorf("%s %s: risk %s, want %s", kind, subject, c.Risk, risk)
			}
			if !strings.HasPrefix(c.Message, msg) {
				t.Errorf("%s %s: message %q, want it to start %q", kind, subject, c.Message, msg)
			}
			if c.Reason == "" {
				t.Errorf("%s %s: no reason", kind, subject)
			}
			if c.Pos.Line == 0 {
				t.Errorf("%s %s: no position", kind, subject)
			}
			return
		}
	}
	t.Errorf("no %s change of %s in %+v", kind, subject, cs)
}

// TestDiffSelf: every shared test profile compared with itself, and with
// a copy reloaded, is an empty diff.
func TestDiffSelf(t *testing.T) {
	files, err := filepath.Glob("../testdata/profiles/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		chain, err := schema.LoadChain(f, schema.Options{Bases: bases.Get})
		if err != nil {
			continue // the invalid ones
		}
		a, err := schema.Resolve(chain, target)
		if err != nil {
			continue
		}
		d, err := Diff(a, resolve(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(d.Changes) != 0 {
			t.Errorf("%s against itself: %+v", f, d.Changes)
		}
	}
}

// TestDiffArchesMerged: one change on Docker's three x86 ABIs is reported
// once, naming all three; a change only i386 sees (its socketcall
// multiplexer) is reported for x86 alone.
func TestDiffArchesMerged(t *testing.T) {
	old := resolveBytes(t, "old.yaml", "version: 1\nextends: docker-default\n")
	new := resolveBytes(t, "new.yaml", `version: 1
extends: docker-default
seccomp:
  syscalls:
    - names: [kexec_load]
      action: allow
`)
	d, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 {
		t.Fatalf("changes: %+v", d.Changes)
	}
	c := d.Changes[0]
	if c.Kind != KindSyscallAllowed || c.Subject != "kexec_load" || !slices.Equal(c.Arches, []string{"x86_64", "x86", "x32"}) {
		t.Errorf("change %+v, want kexec_load allowed on x86_64, x86, x32", c)
	}
}

func TestDiffSeccompAndDefaults(t *testing.T) {
	base := "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [read], action: allow}\n"
	for _, tc := range []struct {
		name, new string
		kind, msg string
	}{
		{"default allows", "version: 1\nseccomp:\n  defaultAction: allow\n  syscalls:\n    - {names: [read], action: allow}\n    - {names: [ptrace], action: errno}\n",
			KindDefaultAction, "default action SCMP_ACT_ALLOW, was SCMP_ACT_ERRNO(1): every system call not named by a rule is now allowed"},
		{"errno changes", "version: 1\nseccomp:\n  defaultAction: errno\n  defaultErrnoRet: 38\n  syscalls:\n    - {names: [read], action: allow}\n",
			KindDefaultAction, "default action SCMP_ACT_ERRNO(38), was SCMP_ACT_ERRNO(1)"},
		{"default errno only", "version: 1\nseccomp:\n  defaultAction: errno\n  defaultErrnoRet: 38\n  syscalls:\n    - {names: [read], action: allow}\n    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n",
			KindSyscallAllowed, "kill: newly allowed for arg1 == 0"},
		{"seccomp gone", "version: 1\nnoNewPrivileges: true\n", KindSeccompDisabled, "the seccomp filter is gone"},
		{"denied", "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [read], action: kill}\n",
			KindSyscallDenied, "read: no longer allowed (now SCMP_ACT_KILL_THREAD)"},
		{"narrowed", "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [read], action: allow, args: [{index: 0, value: 3, op: lt}]}\n",
			KindSyscallNarrowed, "read: now allowed only for arg0 < 3"},
		{"arch added", "version: 1\nseccomp:\n  defaultAction: errno\n  architectures: [x86]\n  syscalls:\n    - {names: [read], action: allow}\n",
			KindArchAdded, "the filter now covers x86"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Diff(resolveBytes(t, "old.yaml", base), resolveBytes(t, "new.yaml", tc.new))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range d.Changes {
				if c.Kind == tc.kind {
					if !strings.HasPrefix(c.Message, tc.msg) {
						t.Errorf("message %q, want %q", c.Message, tc.msg)
					}
					return
				}
			}
			t.Errorf("no %s in %+v", tc.kind, d.Changes)
		})
	}
}

func TestDiffNil(t *testing.T) {
	if _, err := Diff(nil, nil); err == nil {
		t.Error("Diff(nil, nil) gave no error")
	}
}

// TestDiffDefaultOnce: a new default errno is one change, not one more
// for each syscall whose conditions fall back to it.
func TestDiffDefaultOnce(t *testing.T) {
	src := "version: 1\nseccomp:\n  defaultAction: errno\n%s  syscalls:\n    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n    - {names: [read], action: allow}\n"
	old := resolveBytes(t, "old.yaml", strings.Replace(src, "%s", "", 1))
	new := resolveBytes(t, "new.yaml", strings.Replace(src, "%s", "  defaultErrnoRet: 38\n", 1))
	d, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || d.Changes[0].Kind != KindDefaultAction {
		t.Errorf("changes %+v, want the default action alone", d.Changes)
	}
}

func TestDiffLoggedAndWeights(t *testing.T) {
	old := resolveBytes(t, "old.yaml", "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [read], action: allow}\n")
	new := resolveBytes(t, "new.yaml", "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [read], action: log}\ncgroups:\n  cpu: {weight: 200}\n")
	rep, err := Compare(context.Background(), old, new, "old.yaml", "new.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := rep.Files[0].Changes
	wantChange(t, cs, KindSyscallAction, "read", RiskInfo, "read: allowed with SCMP_ACT_LOG, was SCMP_ACT_ALLOW")
	wantChange(t, cs, KindLimitAdded, "cpu.weight", RiskInfo, "cpu.weight set to 200 (was unset)")
}

// TestDiffWords: how argument changes read.
func TestDiffWords(t *testing.T) {
	const head = "version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n"
	for _, tc := range []struct {
		name, old, new string
		kind, msg      string
	}{
		{"conditional to any", "    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n",
			"    - {names: [kill], action: allow}\n",
			KindSyscallWidened, "kill: now allowed for any arguments, was only for arg1 == 0"},
		{"any to conditional", "    - {names: [kill], action: allow}\n",
			"    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n",
			KindSyscallNarrowed, "kill: now allowed only for arg1 == 0"},
		{"one condition dropped", "    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n    - {names: [kill], action: allow, args: [{index: 1, value: 15, op: eq}]}\n",
			"    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n",
			KindSyscallNarrowed, "kill: no longer allowed for arg1 == 0xf"},
		{"swapped", "    - {names: [kill], action: allow, args: [{index: 1, value: 0, op: eq}]}\n",
			"    - {names: [kill], action: allow, args: [{index: 1, value: 15, op: eq}]}\n",
			KindSyscallWidened, "kill: now also allowed for arg1 == 0xf; no longer for arg1 == 0"},
		// Only a default that allows gives "except": libseccomp lets an
		// unconditional rule replace any conditional one.
		{"allowed except", "    - {names: [kill], action: errno}\n",
			"    - {names: [kill], action: errno, args: [{index: 1, value: 9, op: eq}]}\n",
			KindSyscallAllowed, "kill: newly allowed for any arguments except arg1 == 9"},
		{"masked", "",
			"    - {names: [clone], action: allow, args: [{index: 0, value: 0x7e020000, valueTwo: 0, op: masked_eq}]}\n",
			KindSyscallAllowed, "clone: newly allowed for arg0 & 0x7e020000 == 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := head
			if tc.name == "allowed except" {
				h = strings.Replace(head, "errno", "allow", 1)
			}
			d, err := Diff(resolveBytes(t, "old.yaml", h+tc.old+"    - {names: [read], action: allow}\n"),
				resolveBytes(t, "new.yaml", h+tc.new+"    - {names: [read], action: allow}\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Changes) != 1 || d.Changes[0].Kind != tc.kind || d.Changes[0].Message != tc.msg {
				t.Errorf("changes %+v, want one %s: %q", d.Changes, tc.kind, tc.msg)
			}
		})
	}
}

func TestDiffNamespaceSettings(t *testing.T) {
	old := resolveBytes(t, "old.yaml", "version: 1\nnamespaces:\n  uts: {hostname: a}\n")
	new := resolveBytes(t, "new.yaml", "version: 1\nnamespaces:\n  uts: {hostname: b}\n  user: true\n")
	d, err := Diff(old, new)
	if err != nil {
		t.Fatal(err)
	}
	wantKinds := []string{KindNSAdded, KindNSChanged}
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Kind)
	}
	if !slices.Equal(got, wantKinds) {
		t.Fatalf("kinds %v, want %v: %+v", got, wantKinds, d.Changes)
	}
	if msg := d.Changes[1].Message; msg != `uts namespace hostname "b", was "a"` {
		t.Errorf("message %q", msg)
	}
}
