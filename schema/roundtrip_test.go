package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/internal/testenv"
)

// TestRoundTrip marshals every loaded example with its yaml tags and loads
// the result again: the Go types' YAML form must be valid profile text that
// means the same (converters write profiles this way).
func TestRoundTrip(t *testing.T) {
	ignorePos := cmpopts.IgnoreTypes(Pos{}, []Pos(nil))
	for _, f := range validProfiles(t) {
		p, err := Load(f, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("%s: marshal: %v", f, err)
		}
		q, err := LoadBytes(f+".out", out, Options{})
		if err != nil {
			t.Errorf("%s: marshalled profile does not load: %v\n%s", f, err, out)
			continue
		}
		q.File = p.File
		if d := cmp.Diff(p, q, ignorePos, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: round trip changed the profile (-before +after):\n%s", f, d)
		}
	}
	// The largest real profile, Docker's, survives too.
	testenv.RequireFile(t, "../policies/bases/docker-default.yaml")
	p, err := Load("../policies/bases/docker-default.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := LoadBytes("again.yaml", out, Options{})
	if err != nil {
		t.Fatalf("docker-default round trip: %v", err)
	}
	q.File = p.File
	if d := cmp.Diff(p, q, ignorePos, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("docker-default round trip changed it:\n%s", d)
	}
}
