package bases_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// TestBasesPassBuiltinPolicies: the built-in safety rules must not refuse
// a built-in base, or `profilec exec` without a profile would refuse to
// run. Warnings are allowed (Docker's default grants capabilities without
// a user namespace, for one) and logged.
func TestBasesPassBuiltinPolicies(t *testing.T) {
	tgt, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range bases.Names() {
		t.Run(n, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "p.yaml")
			if err := os.WriteFile(f, []byte("version: 1\nextends: "+n+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := schema.LoadResolved(f, tgt, schema.Options{Bases: bases.Get})
			if err != nil {
				t.Fatal(err)
			}
			findings, denied, err := policies.Check(context.Background(), r, policies.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				t.Logf("%s %s: %s", f.Severity, f.ID, f.Message)
			}
			if denied {
				t.Errorf("the built-in policies refuse %s", n)
			}
		})
	}
}
