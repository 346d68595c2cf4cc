package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema/systab"
)

var update = flag.Bool("update", false, "rewrite golden files")

const profilesDir = "../testdata/profiles"

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites):\n%s", file, d)
	}
}

// validProfiles lists testdata/profiles/**.yaml outside invalid/, except
// the three-mistakes example.
func validProfiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(profilesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "invalid" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") && d.Name() != "three-mistakes.yaml" {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 8 {
		t.Fatalf("found only %d example profiles", len(out))
	}
	return out
}

func goldenName(profile, ext string) string {
	rel, _ := filepath.Rel(profilesDir, profile)
	return filepath.Join("testdata", "resolved", strings.ReplaceAll(strings.TrimSuffix(rel, ".yaml"), "/", "_")+ext)
}

// TestProfilesResolve resolves every example profile for x86_64 on Linux 6.1
// and compares the JSON with a reviewed golden file; resolving twice must
// give the same bytes.
func TestProfilesResolve(t *testing.T) {
	testenv.RequireFile(t, "../policies/bases/docker-default.yaml")
	for _, p := range validProfiles(t) {
		t.Run(strings.TrimPrefix(p, profilesDir+"/"), func(t *testing.T) {
			render := func() []byte {
				r, err := LoadResolved(p, x86, Options{Bases: diskBases})
				if err != nil {
					t.Fatalf("LoadResolved: %v", err)
				}
				for i, s := range r.Sources {
					r.Sources[i] = strings.TrimPrefix(s, profilesDir+"/")
				}
				b, err := json.MarshalIndent(r, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				return append(b, '\n')
			}
			first := render()
			if again := render(); !bytes.Equal(first, again) {
				t.Error("resolving twice gave different output")
			}
			golden(t, goldenName(p, ".json"), first)
		})
	}
}

// TestInvalidProfiles checks the exact errors of every broken example.
func TestInvalidProfiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(profilesDir, "invalid", "*.yaml"))
	if err != nil || len(files) < 8 {
		t.Fatalf("found %d invalid profiles: %v", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadResolved(f, x86, Options{Bases: func(name string) ([]byte, bool) {
				if name == "docker-default" {
					return []byte("version: 1\n"), true
				}
				return nil, false
			}})
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v, want an ErrorList", err)
			}
			var b strings.Builder
			for _, e := range list {
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Code == "" {
					t.Errorf("error without position or code: %#v", e)
				}
				b.WriteString(e.Code + "\t" + e.Error() + "\n")
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".errors", []byte(b.String()))
		})
	}
}

// TestSpellingsCanonical checks that spellings.yaml and every-field.yaml
// load to the same canonical vocabulary.
func TestSpellingsCanonical(t *testing.T) {
	p, err := Load(filepath.Join(profilesDir, "spellings.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Seccomp
	if s.DefaultAction != "SCMP_ACT_ERRNO" || s.DefaultErrnoRet == nil || *s.DefaultErrnoRet != 1 {
		t.Errorf("defaults = %s %v", s.DefaultAction, s.DefaultErrnoRet)
	}
	wantMap := []ArchMapEntry{
		{Architecture: "SCMP_ARCH_X86_64", SubArchitectures: []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
		{Architecture: "SCMP_ARCH_AARCH64", SubArchitectures: []string{"SCMP_ARCH_ARM"}},
	}
	if d := cmp.Diff(wantMap, s.ArchMap); d != "" {
		t.Errorf("archMap: %s", d)
	}
	if d := cmp.Diff([]string{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"}, s.Flags); d != "" {
		t.Errorf("flags: %s", d)
	}
	var actions, ops []string
	var values []uint64
	for _, r := range s.Syscalls {
		actions = append(actions, r.Action)
		for _, a := range r.Args {
			ops = append(ops, a.Op)
			values = append(values, a.Value, a.ValueTwo)
		}
	}
	wantActions := []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE",
		"SCMP_ACT_NOTIFY", "SCMP_ACT_LOG"}
	if d := cmp.Diff(wantActions, actions); d != "" {
		t.Errorf("actions: %s", d)
	}
	wantOps := []string{"SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE"}
	if d := cmp.Diff(wantOps, ops); d != "" {
		t.Errorf("ops: %s", d)
	}
	wantValues := []uint64{9, 0, 0x7E020000, 0, 3, 0, 1<<64 - 1, 0, 5, 0, 1<<64 - 1, 0}
	if d := cmp.Diff(wantValues, values); d != "" {
		t.Errorf("arg values: %s", d)
	}
	if r := s.Syscalls[0]; len(r.Names) != 1 || r.Names[0] != "getpid" {
		t.Errorf("old single name: %v", r.Names)
	}
	if e := s.Syscalls[1].ErrnoRet; e == nil || *e != 13 {
		t.Errorf("errnoRet eacces = %v, want 13", e)
	}
	inc := s.Syscalls[10].Includes
	if d := cmp.Diff(&Filter{Caps: []string{"CAP_SYS_ADMIN"}, Arches: []string{"amd64"}, MinKernel: "5.0"}, inc); d != "" {
		t.Errorf("includes: %s", d)
	}
	exc := s.Syscalls[11].Excludes
	if d := cmp.Diff(&Filter{Caps: []string{"CAP_SYSLOG"}, Arches: []string{"arm64"}}, exc); d != "" {
		t.Errorf("excludes: %s", d)
	}
	c := p.Capabilities
	if d := cmp.Diff([]string{"CAP_CHOWN", "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_SETGID"}, c.Add); d != "" {
		t.Errorf("caps add: %s", d)
	}
	if d := cmp.Diff([]string{"ALL"}, c.Drop); d != "" {
		t.Errorf("caps drop: %s", d)
	}
	mem := p.Cgroups.Memory
	if *mem.Max != 3<<29 || *mem.High != 1e9 || *mem.SwapMax != 512000 {
		t.Errorf("memory = %d %d %d", *mem.Max, *mem.High, *mem.SwapMax)
	}
	if *p.Cgroups.CPU.Max != 1.5 {
		t.Errorf("cpu.max = %v", *p.Cgroups.CPU.Max)
	}
	dev := p.Cgroups.IO.Max[0]
	if dev.RBps != 100e6 || dev.WBps != 50<<20 || dev.RIOps != 1000 {
		t.Errorf("io device = %+v", dev)
	}
	wantRl := map[string]Rlimit{"nofile": {1024, 1024}, "core": {0, 0}, "as": {2 << 30, 2 << 30}, "stack": {8 << 20, Unlimited}}
	if d := cmp.Diff(wantRl, p.Rlimits); d != "" {
		t.Errorf("rlimits: %s", d)
	}
	ns := p.Namespaces
	if !ns.User.Enabled || !ns.PID.Enabled || !ns.UTS.Enabled || ns.UTS.Hostname != "spelled" {
		t.Errorf("namespaces = %+v", ns)
	}
	if d := cmp.Diff([]string{"minimal.yaml"}, p.Extends); d != "" {
		t.Errorf("extends: %s", d)
	}
}

// TestProfilesEveryArch resolves every example for every architecture with
// a syscall table: each resolves, and its filter covers the target.
func TestProfilesEveryArch(t *testing.T) {
	testenv.RequireFile(t, "../policies/bases/docker-default.yaml")
	for _, p := range validProfiles(t) {
		chain, err := LoadChain(p, Options{Bases: diskBases})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, a := range systab.Arches() {
			if systab.MaxSyscall(a.Name) < 0 {
				continue
			}
			r, err := Resolve(chain, Target{Arch: a.Short, Kernel: "5.10"})
			if err != nil {
				t.Errorf("%s for %s: %v", p, a.Name, err)
				continue
			}
			if r.Target.Arch != a.Name {
				t.Errorf("%s for %s: target %s", p, a.Name, r.Target.Arch)
			}
			if r.Seccomp.Enabled && len(r.Seccomp.Architectures) == 0 {
				t.Errorf("%s for %s: no architectures", p, a.Name)
			}
		}
	}
}
