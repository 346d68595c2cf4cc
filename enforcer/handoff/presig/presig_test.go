package presig

import (
	"testing"

	"github.com/profilec/profilec/enforcer/handoff"
)

func TestWanted(t *testing.T) {
	for _, c := range []struct {
		argv []string
		env  string
		want bool
	}{
		{[]string{"profilec", "exec", "p.json", "--", "/bin/true"}, "", true},
		{[]string{"profilec", "exec", "--stats", "p.json", "--", "/bin/true"}, "", true},
		{[]string{"profilec", "exec", "p.json", "--", "/bin/true"}, "1", false},
		{[]string{handoff.RecordInitArgv0, "exec", "p.json", "--", "/bin/true"}, "", false},
		{[]string{"profilec", "exec", "--no-policy", "p.yaml", "--", "/bin/true"}, "", false},
		{[]string{"profilec", "compile", "docker-default"}, "", false},
		{[]string{"profilec"}, "", false},
		{nil, "", false},
	} {
		t.Setenv(handoff.EnvOff, c.env)
		if got := Wanted(c.argv); got != c.want {
			t.Errorf("Wanted(%q) with %s=%q = %v, want %v", c.argv, handoff.EnvOff, c.env, got, c.want)
		}
	}
}
