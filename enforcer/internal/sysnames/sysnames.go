package sysnames

// x32Bit marks x32 syscall numbers in seccomp_data.nr on x86_64.
const x32Bit = 0x40000000

// Name returns the syscall's name and the architecture's libseccomp short
// name for a syscall number as seen by an x86_64 kernel: nr with the x32
// bit is an x32 call, compat (int 0x80) calls are i386.
func Name(nr int64, compat bool) (name, arch string) {
	switch {
	case compat:
		return at(i386[:], nr), "x86"
	case nr >= 0 && nr&x32Bit != 0:
		return at(x32[:], nr&^x32Bit), "x32"
	default:
		return at(x86_64[:], nr), "x86_64"
	}
}

// at is t[nr], or "" for a number the table does not name.
func at(t []string, nr int64) string {
	if nr < 0 || nr >= int64(len(t)) {
		return ""
	}
	return t[nr]
}
