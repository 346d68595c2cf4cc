package text

import (
	"slices"
	"strings"
	"testing"
)

// Each function answers as package strings does, on ASCII input.
func TestAgreesWithStrings(t *testing.T) {
	inputs := []string{"", " ", "a", "a b", "  lead", "trail  ", "a:b:c", "::", "key=value", `"q"`, "RLIMIT_nofile",
		"x\ty\nz", "1.50", "0.00", "PATH=/bin:/usr/bin", "/usr/bin/true", "SigCgt:\t0000000000004a02", "a--b--c", "lo"}
	seps := []string{":", "=", "--", "/", "RLIMIT_", "\n", "b"}
	for _, s := range inputs {
		for _, sep := range seps {
			if got, want := Split(s, sep), strings.Split(s, sep); !slices.Equal(got, want) {
				t.Errorf("Split(%q, %q) = %q, want %q", s, sep, got, want)
			}
			b1, a1, f1 := Cut(s, sep)
			b2, a2, f2 := strings.Cut(s, sep)
			if b1 != b2 || a1 != a2 || f1 != f2 {
				t.Errorf("Cut(%q, %q)", s, sep)
			}
			if Index(s, sep) != strings.Index(s, sep) || Contains(s, sep) != strings.Contains(s, sep) ||
				HasPrefix(s, sep) != strings.HasPrefix(s, sep) || TrimPrefix(s, sep) != strings.TrimPrefix(s, sep) ||
				TrimSuffix(s, sep) != strings.TrimSuffix(s, sep) {
				t.Errorf("Index/Contains/HasPrefix/Trim*fix(%q, %q)", s, sep)
			}
			r1, ok1 := CutPrefix(s, sep)
			r2, ok2 := strings.CutPrefix(s, sep)
			if r1 != r2 || ok1 != ok2 {
				t.Errorf("CutPrefix(%q, %q)", s, sep)
			}
			if Trim(s, sep) != strings.Trim(s, sep) || TrimRight(s, sep) != strings.TrimRight(s, sep) {
				t.Errorf("Trim/TrimRight(%q, %q)", s, sep)
			}
		}
		if IndexByte(s, ':') != strings.IndexByte(s, ':') || TrimSpace(s) != strings.TrimSpace(s) ||
			!slices.Equal(Fields(s), strings.Fields(s)) || ToUpper(s) != strings.ToUpper(s) || ToLower(s) != strings.ToLower(s) {
			t.Errorf("IndexByte/TrimSpace/Fields/ToUpper/ToLower(%q)", s)
		}
	}
	for _, elems := range [][]string{nil, {"a"}, {"a", "b", ""}} {
		if Join(elems, ", ") != strings.Join(elems, ", ") {
			t.Errorf("Join(%q)", elems)
		}
	}
}
