package text

import (
	"errors"
	"fmt"
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

// Wrap, Q, D, U and ReplaceOnce answer as the fmt calls they replace.
func TestAgreesWithFmt(t *testing.T) {
	base := errors.New("file exists")
	w := Wrap("create cgroup /sys/fs/cgroup/x", base)
	if want := fmt.Errorf("create cgroup %s: %w", "/sys/fs/cgroup/x", base); w.Error() != want.Error() || !errors.Is(w, base) {
		t.Errorf("Wrap: %q (is base: %v), want %q", w, errors.Is(w, base), want)
	}
	for _, s := range []string{"", "web", `a"b`, "tab\there", "ü", "\x00"} {
		if Q(s) != fmt.Sprintf("%q", s) {
			t.Errorf("Q(%q) = %s", s, Q(s))
		}
	}
	for _, n := range []int64{0, 7, -1, 1 << 40, -1 << 63} {
		if D(n) != fmt.Sprintf("%d", n) || D(int32(n)) != fmt.Sprintf("%d", int32(n)) {
			t.Errorf("D(%d)", n)
		}
	}
	for _, n := range []uint64{0, 9, 1<<64 - 1} {
		if U(n) != fmt.Sprintf("%d", n) || U(uint8(n)) != fmt.Sprintf("%d", uint8(n)) {
			t.Errorf("U(%d)", n)
		}
	}
	for _, f := range []string{"set uid %d", "raise ambient capability %d", "no verb", "%d %d"} {
		if got, want := ReplaceOnce(f, "%d", D(1000)), strings.Replace(f, "%d", "1000", 1); got != want {
			t.Errorf("ReplaceOnce(%q) = %q, want %q", f, got, want)
		}
	}
}
