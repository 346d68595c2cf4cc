package bases

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/profiles/seccomp"
	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

func TestNamesAndGet(t *testing.T) {
	names := Names()
	for _, want := range []string{"default", "docker-default"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, lacks %s", names, want)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	for _, n := range names {
		b, ok := Get(n)
		if !ok || len(b) == 0 {
			t.Errorf("Get(%q) = %d bytes, %v", n, len(b), ok)
		}
	}
	for _, bad := range []string{"", "nosuch", "default.yaml", "../bases/default", "./default", "/default", "DEFAULT"} {
		if _, ok := Get(bad); ok {
			t.Errorf("Get(%q) found something", bad)
		}
	}
}

// TestBasesParse decodes every base with yaml.v3 and checks the fields
// every base must have.
func TestBasesParse(t *testing.T) {
	for _, n := range Names() {
		b, _ := Get(n)
		var doc struct {
			Version int    `yaml:"version"`
			Name    string `yaml:"name"`
			Desc    string `yaml:"description"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if doc.Version != 1 || doc.Name != n || doc.Desc == "" {
			t.Errorf("%s: version %d, name %q, description %q; want 1, %q and a description", n, doc.Version, doc.Name, doc.Desc, n)
		}
	}
}

// dockerDefault reads docker-default.yaml back into moby's own type.
func dockerDefault(t *testing.T) (*seccomp.Seccomp, []string) {
	t.Helper()
	b, ok := Get("docker-default")
	if !ok {
		t.Fatal("no docker-default base")
	}
	var doc struct {
		Seccomp      yaml.Node `yaml:"seccomp"`
		Capabilities struct {
			Add []string `yaml:"add"`
		} `yaml:"capabilities"`
		NoNewPrivileges *bool `yaml:"noNewPrivileges"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.NoNewPrivileges == nil || *doc.NoNewPrivileges {
		t.Errorf("noNewPrivileges = %v, want false as in Docker", doc.NoNewPrivileges)
	}
	// YAML -> generic value -> JSON -> moby's struct, so moby's own JSON
	// decoding (KernelVersion, specs.Arch, ...) judges the content.
	var v any
	if err := doc.Seccomp.Decode(&v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got seccomp.Seccomp
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("docker-default's seccomp is not a Docker profile: %v", err)
	}
	return &got, doc.Capabilities.Add
}

func TestDockerDefaultMatchesMoby(t *testing.T) {
	got, caps := dockerDefault(t)
	want := seccomp.DefaultProfile()
	if len(got.Syscalls) != len(want.Syscalls) {
		t.Errorf("%d syscall rules, moby has %d", len(got.Syscalls), len(want.Syscalls))
	}
	for i := range min(len(got.Syscalls), len(want.Syscalls)) {
		g, w := got.Syscalls[i].Names, want.Syscalls[i].Names
		if !slices.Equal(g, w) {
			t.Errorf("rule %d: names only here %v, only in moby %v", i, without(g, w), without(w, g))
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("docker-default differs from moby's DefaultProfile() (-moby +ours):\n%s", d)
	}
	wantCaps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
	if !slices.Equal(caps, wantCaps) {
		t.Errorf("capabilities.add = %v, want Docker's %v", caps, wantCaps)
	}
}

// TestDockerDefaultNamesKnown checks that systab knows every syscall,
// capability and architecture Docker's profile names, or the loader would
// refuse the base.
func TestDockerDefaultNamesKnown(t *testing.T) {
	p, _ := dockerDefault(t)
	for _, r := range p.Syscalls {
		for _, n := range r.Names {
			if !systab.KnownSyscall(n) {
				t.Errorf("syscall %q unknown to systab", n)
			}
		}
		for _, f := range []*seccomp.Filter{r.Includes, r.Excludes} {
			if f == nil {
				continue
			}
			for _, c := range f.Caps {
				if _, ok := systab.Capability(c); !ok {
					t.Errorf("capability %q unknown to systab", c)
				}
			}
			for _, a := range f.Arches {
				if _, ok := systab.LookupArch(a); !ok {
					t.Errorf("arch %q unknown to systab", a)
				}
			}
		}
	}
	for _, m := range p.ArchMap {
		for _, a := range append([]string{string(m.Arch)}, specsStrings(m.SubArches)...) {
			if _, ok := systab.LookupArch(a); !ok {
				t.Errorf("arch %q unknown to systab", a)
			}
		}
	}
}

// without returns the elements of a not in b.
func without(a, b []string) []string {
	var res []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			res = append(res, x)
		}
	}
	return res
}

func specsStrings[S ~string](s []S) []string {
	var res []string
	for _, x := range s {
		res = append(res, string(x))
	}
	return res
}

// TestDockerDefaultUpToDate fails when docker-default.yaml is not what the
// generator makes now, e.g. after the moby module was upgraded without
// go generate.
func TestDockerDefaultUpToDate(t *testing.T) {
	goTool := testenv.RequireCommand(t, "go")
	out := filepath.Join(t.TempDir(), "docker-default.yaml")
	cmd := exec.Command(goTool, "run", "../../internal/gen/dockerdefault", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run generator: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := Get("docker-default")
	if !bytes.Equal(got, want) {
		t.Errorf("docker-default.yaml is stale: run go generate ./policies/bases")
	}
	first, _, _ := strings.Cut(string(got), "\n")
	if !strings.HasPrefix(first, "# Code generated by internal/gen/dockerdefault from github.com/moby/profiles/seccomp v") || !strings.HasSuffix(first, "; DO NOT EDIT.") {
		t.Errorf("header = %q", first)
	}
}

// TestBasesLoad runs every base through the profile loader the CLI uses:
// strict decoding, extends resolved against the other bases, conditions
// resolved for the native arch.
func TestBasesLoad(t *testing.T) {
	opts := schema.Options{Bases: Get}
	for _, n := range Names() {
		t.Run(n, func(t *testing.T) {
			b, _ := Get(n)
			if _, err := schema.LoadBytes("builtin:"+n, b, opts); err != nil {
				t.Fatalf("load: %v", err)
			}
			// A file extending the base pulls in its whole chain.
			f := filepath.Join(t.TempDir(), "p.yaml")
			if err := os.WriteFile(f, []byte("version: 1\nextends: "+n+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tgt, err := schema.DefaultTarget()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := schema.LoadResolved(f, tgt, opts); err != nil {
				t.Fatalf("resolve: %v", err)
			}
		})
	}
}

// TestDefaultResolved pins what `profilec exec` applies without a profile.
func TestDefaultResolved(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(f, []byte("version: 1\nextends: default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tgt, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	r, err := schema.LoadResolved(f, tgt, schema.Options{Bases: Get})
	if err != nil {
		t.Fatal(err)
	}
	if !r.NoNewPrivileges {
		t.Error("noNewPrivileges off")
	}
	ns := r.Namespaces
	if ns.PID == nil || !ns.PID.Enabled || ns.Mount == nil || !ns.Mount.Enabled || ns.IPC == nil || !ns.IPC.Enabled ||
		ns.Net == nil || !ns.Net.Enabled || ns.UTS == nil || !ns.UTS.Enabled || ns.UTS.Hostname != "profilec" {
		t.Errorf("namespaces = %+v", ns)
	}
	if ns.User != nil && ns.User.Enabled {
		t.Error("user namespace on")
	}
	if c := r.Cgroups; c.Pids == nil || c.Pids.Max == nil || *c.Pids.Max != 1024 ||
		c.Memory == nil || c.Memory.Max == nil || *c.Memory.Max != 1<<30 {
		t.Errorf("cgroups = %+v", c)
	}
	if nf := r.Rlimits["nofile"]; nf.Soft != 1024 || nf.Hard != 4096 {
		t.Errorf("nofile = %+v", nf)
	}
	if len(r.Capabilities.Bounding) != 14 || !slices.Contains(r.Capabilities.Bounding, "CAP_CHOWN") {
		t.Errorf("bounding set = %v, want Docker's 14", r.Capabilities.Bounding)
	}
	if !slices.Equal(r.Seccomp.Architectures, []string{tgt.Arch}) {
		t.Errorf("seccomp architectures = %v, want the native %s alone", r.Seccomp.Architectures, tgt.Arch)
	}
	if !r.Seccomp.Enabled || r.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" || len(r.Seccomp.Syscalls) == 0 {
		t.Errorf("seccomp = enabled %v, default %s, %d rules", r.Seccomp.Enabled, r.Seccomp.DefaultAction, len(r.Seccomp.Syscalls))
	}
}
