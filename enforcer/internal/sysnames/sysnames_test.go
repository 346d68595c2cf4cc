package sysnames

import "testing"

func TestName(t *testing.T) {
	for _, tc := range []struct {
		nr         int64
		compat     bool
		name, arch string
	}{
		{0, false, "read", "x86_64"},
		{59, false, "execve", "x86_64"},
		{0x40000000 | 59, false, "", "x32"}, // x32 execve is 520, not 59
		{0x40000000 | 520, false, "execve", "x32"},
		{11, true, "execve", "x86"},
		{-1, false, "", "x86_64"},
	} {
		name, arch := Name(tc.nr, tc.compat)
		if name != tc.name || arch != tc.arch {
			t.Errorf("Name(%#x, %v) = %q %q, want %q %q", tc.nr, tc.compat, name, arch, tc.name, tc.arch)
		}
	}
}
