//go:build cgo

package libseccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/compiler/compilertest"
	"github.com/profilec/profilec/schema"
)

// diffProfile is one profile the differential tests run.
type diffProfile struct {
	name   string
	s      *schema.ResolvedSeccomp
	native string
}

// host is the architecture the tests run on and compile for when a profile
// lists none. The interpreter lays seccomp_data out little-endian, so every
// target here is a little-endian arch.
const host = "SCMP_ARCH_X86_64"

// nativeOf is the architecture a profile is compiled for: the first it
// lists, else the host's. runc, and so the oracle, always keeps the native
// arch in the filter, so "architectures: [x86]" means an x86 target.
func nativeOf(s *schema.ResolvedSeccomp) string {
	if len(s.Architectures) > 0 {
		return s.Architectures[0]
	}
	return host
}

// diffProfiles returns Docker's default profile, resolved by Docker's own
// code for its 14 default capabilities and again with CAP_SYS_ADMIN and
// CAP_SYS_PTRACE, both for x86_64 with x86 and x32 (its archMap) and for
// x86_64 alone; Docker's default for an i386 and an arm64 host; then every
// testdata/compiler/diff/*.json.
func diffProfiles(t testing.TB) []diffProfile {
	t.Helper()
	var out []diffProfile
	for _, v := range []struct {
		name string
		caps []string
	}{
		{"docker-default", dockerCaps},
		{"docker-default+SYS_ADMIN+SYS_PTRACE", append(append([]string{}, dockerCaps...), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")},
	} {
		s, err := mobyDefault(v.caps)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, diffProfile{v.name, s, host})
		alone := *s
		alone.Architectures = []string{host}
		out = append(out, diffProfile{v.name + "/x86_64-only", &alone, host})
	}
	// Docker on an i386 host: moby resolves only for the arch it runs on,
	// so this one comes from the compiler's own resolution, which
	// TestDockerDefaultMatchesMoby holds to moby's on amd64.
	x86 := compilertest.DockerDefault("SCMP_ARCH_X86", dockerCaps, "6.1")
	out = append(out, diffProfile{"docker-default/x86-host", x86, "SCMP_ARCH_X86"})
	// And for an arm64 host (aarch64 with arm, its archMap), compiled here
	// for another machine as --arch does.
	arm64 := compilertest.DockerDefault("SCMP_ARCH_AARCH64", dockerCaps, "6.1")
	out = append(out, diffProfile{"docker-default/arm64-host", arm64, "SCMP_ARCH_AARCH64"})
	files, err := filepath.Glob("../../testdata/compiler/diff/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no profiles under testdata/compiler/diff")
	}
	for _, f := range files {
		s, err := loadResolved(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, diffProfile{filepath.Base(f), s, nativeOf(s)})
	}
	return out
}

// loadResolved reads a ResolvedSeccomp JSON file, refusing unknown fields so
// that a misspelt key cannot silently drop a rule.
func loadResolved(path string) (*schema.ResolvedSeccomp, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s schema.ResolvedSeccomp
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode profile %s: %w", path, err)
	}
	return &s, nil
}

// TestProfilesLibseccompSelf checks that libseccomp accepts every profile and
// that its two layouts agree on each, so that the profiles are sound inputs
// and the oracle is stable before anything else is compared with it.
func TestProfilesLibseccompSelf(t *testing.T) {
	for _, p := range diffProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			prio, err := oracleProgram(p.s, p.native, optimizePriority)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := oracleProgram(p.s, p.native, optimizeBinaryTree)
			if err != nil {
				t.Fatal(err)
			}
			differential(t, p.s, p.native, prio, candidate{name: "libseccomp binary tree", prog: tree}, nil)
		})
	}
}
