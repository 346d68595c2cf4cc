package systab

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

var (
	versionRE = regexp.MustCompile(`^[0-9]{1,9}\.[0-9]{1,9}$`)
	releaseRE = regexp.MustCompile(`^([0-9]{1,9})\.([0-9]{1,9})`)
)

// FuzzParseKernelVersion: any release string gives "major.minor" taken from
// its start, or an error; never a panic.
func FuzzParseKernelVersion(f *testing.F) {
	for _, s := range []string{"6.1.0-18-amd64", "5.15.0-91-generic", "6.8", "4.19.112+", "", ".", "1.", "99999999999.1", "6.1\x00", "٣.٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseKernelVersion(s)
		if err != nil {
			return
		}
		if !versionRE.MatchString(v) {
			t.Fatalf("parseKernelVersion(%q) = %q", s, v)
		}
		// The answer is the release's leading "A.B" as numbers (so "0.010"
		// is 0.10).
		m := releaseRE.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("parseKernelVersion(%q) = %q, but the release does not start with A.B", s, v)
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if want := fmt.Sprintf("%d.%d", a, b); v != want {
			t.Fatalf("parseKernelVersion(%q) = %q, want %q", s, v, want)
		}
	})
}

// FuzzLookups: the lookups take any string without panicking, and a hit
// reads back consistently.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{"amd64", "SCMP_ARCH_X32", "cap_chown", "EPERM", "read", "", "\xff", "CAP_", "x86_64 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, ok := LookupArch(s); ok {
			if b, ok := LookupArch(a.Name); !ok || b != a {
				t.Fatalf("LookupArch(%q) = %s, which does not read back", s, a.Name)
			}
		}
		if c, ok := Capability(s); ok {
			if d, ok := Capability(CapabilityName(c)); !ok || d != c {
				t.Fatalf("Capability(%q) = %d, which does not read back", s, c)
			}
		}
		if e, ok := Errno(s); ok {
			if d, ok := Errno(ErrnoName(e)); !ok || d != e {
				t.Fatalf("Errno(%q) = %d, which does not read back", s, e)
			}
		}
		for _, a := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "arm"} {
			if nr, ok := SyscallNumber(a, s); ok {
				if n, ok := SyscallName(a, nr); !ok || n != s {
					t.Fatalf("SyscallNumber(%s, %q) = %d, named %q", a, s, nr, n)
				}
			}
		}
	})
}
