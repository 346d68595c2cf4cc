package policies

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/schema"
)

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	profile := write("p.yaml", `version: 1
extends: docker-default
seccomp:
  defaultAction: SCMP_ACT_ERRNO
cgroups: &c
  memory:
    max: 1Gi
`)
	docker := write("d.json", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": []
}`)
	r := &schema.Resolved{
		Sources: []string{"builtin:docker-default", profile},
		Seccomp: schema.ResolvedSeccomp{Syscalls: []schema.SyscallRule{{
			Names:   []string{"read", "write"},
			Pos:     schema.Pos{File: "builtin:docker-default", Line: 40, Col: 7},
			NamePos: []schema.Pos{{File: "builtin:docker-default", Line: 41, Col: 11}, {File: "builtin:docker-default", Line: 42, Col: 11}},
		}}},
		PolicyExceptions: []schema.PolicyException{{ID: "x", Pos: schema.Pos{File: profile, Line: 9, Col: 5}}},
		Namespaces:       schema.Namespaces{Pos: schema.Pos{File: profile, Line: 12, Col: 3}},
	}
	l := newLocator(r)
	for path, want := range map[string]schema.Pos{
		// Positions the loader recorded.
		"seccomp.syscalls[0]":          {File: "builtin:docker-default", Line: 40, Col: 7},
		"seccomp.syscalls[0].names[1]": {File: "builtin:docker-default", Line: 42, Col: 11},
		"seccomp.syscalls[0].args[0]":  {File: "builtin:docker-default", Line: 40, Col: 7},
		"policyExceptions[0]":          {File: profile, Line: 9, Col: 5},
		"namespaces.pid":               {File: profile, Line: 12, Col: 3},
		// Keys the profile writes: a scalar's value, a section's key.
		"seccomp.defaultAction": {File: profile, Line: 4, Col: 18},
		"cgroups.memory.max":    {File: profile, Line: 7, Col: 10},
		"cgroups.memory":        {File: profile, Line: 6, Col: 3},
		"cgroups.pids.max":      {File: profile, Line: 5, Col: 1},
		// An indexed path is never looked up in a file.
		"seccomp.syscalls[3].names[0]": {File: profile, Line: 3, Col: 1},
		// Not written by the profile: the extends that brings it in.
		"capabilities.add": {File: profile, Line: 2, Col: 10},
	} {
		if got := l.locate(path); got != want {
			t.Errorf("locate(%q) = %+v, want %+v", path, got, want)
		}
	}

	// A bare Docker seccomp file is the seccomp section.
	l = newLocator(&schema.Resolved{Sources: []string{docker}})
	if got, want := l.locate("seccomp.defaultAction"), (schema.Pos{File: docker, Line: 2, Col: 20}); got != want {
		t.Errorf("docker defaultAction at %+v, want %+v", got, want)
	}
	if got, want := l.locate("capabilities.add"), (schema.Pos{File: docker, Line: 1, Col: 1}); got != want {
		t.Errorf("docker capabilities at %+v, want %+v", got, want)
	}

	// Nothing to go on: line 1 of the profile, or of no file at all.
	if got := newLocator(&schema.Resolved{}).locate("seccomp"); got != (schema.Pos{Line: 1, Col: 1}) {
		t.Errorf("empty profile: %+v", got)
	}
	missing := filepath.Join(dir, "gone.yaml")
	if got := newLocator(&schema.Resolved{Sources: []string{missing}}).locate("seccomp"); got != (schema.Pos{File: missing, Line: 1, Col: 1}) {
		t.Errorf("unreadable profile: %+v", got)
	}
}

func TestParent(t *testing.T) {
	for in, want := range map[string]string{
		"a.b[2].c": "a.b[2]",
		"a.b[2]":   "a.b",
		"a.b":      "a",
		"a":        "",
	} {
		if got := parent(in); got != want {
			t.Errorf("parent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocateValue(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.yaml")
	src := `version: 1
capabilities:
  add: [cap_chown, SYS_ADMIN, ALL]
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := newLocator(&schema.Resolved{Sources: []string{"builtin:docker-default", p}})
	for value, want := range map[string]schema.Pos{
		"CAP_SYS_ADMIN": {File: p, Line: 3, Col: 20},
		"CAP_CHOWN":     {File: p, Line: 3, Col: 9},
		"CAP_BPF":       {File: p, Line: 3, Col: 3}, // granted by ALL: the list's key
		"":              {File: p, Line: 3, Col: 3},
	} {
		if got := l.locateValue("capabilities.add", value); got != want {
			t.Errorf("locateValue(capabilities.add, %q) = %+v, want %+v", value, got, want)
		}
	}
}
