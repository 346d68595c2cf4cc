package handoff

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		ok    bool
		plan  string
		flags []string
		argv  []string
	}{
		{args: []string{"exec", "p.json", "--", "true"}, ok: true, plan: "p.json", argv: []string{"true"}},
		{args: []string{"exec", "--stats", "p.json", "--timeout", "3s", "--", "sh", "-c", "x"}, ok: true, plan: "p.json",
			flags: []string{"--stats", "--timeout=3s"}, argv: []string{"sh", "-c", "x"}},
		{args: []string{"exec", "p.json", "--timeout=1s", "--", "--"}, ok: true, plan: "p.json", flags: []string{"--timeout=1s"}, argv: []string{"--"}},
		{args: []string{"exec", "--", "true"}},                            // no plan: the default profile
		{args: []string{"exec", "app.yaml", "--", "true"}},                // a profile to compile
		{args: []string{"exec", "default", "--", "true"}},                 // a built-in profile
		{args: []string{"exec", "p.json", "--policy", "x", "--", "true"}}, // policy flags
		{args: []string{"exec", "p.json", "--stats=false", "--", "true"}},
		{args: []string{"exec", "p.json", "q.json", "--", "true"}},
		{args: []string{"exec", "p.json", "--"}},
		{args: []string{"exec", "p.json", "--timeout"}},
		{args: []string{"compile", "p.json", "--", "true"}},
		{args: []string{"exec", "-h", "p.json", "--", "true"}},
	} {
		plan, flags, argv, ok := Parse(tc.args)
		if ok != tc.ok || plan != tc.plan || !slices.Equal(flags, tc.flags) || !slices.Equal(argv, tc.argv) {
			t.Errorf("Parse(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", tc.args, plan, flags, argv, ok, tc.plan, tc.flags, tc.argv, tc.ok)
		}
	}
}
