package sysnames

// x32Bit marks x32 syscall numbers in seccomp_data.nr on x86_64.
const x32Bit = 0x40000000

// Name returns the syscall's name and the architecture's libseccomp short
// name for a syscall number as seen by an x86_64 kernel: nr with the x32
// bit is an x32 call, compat (int 0x80) calls are i386.
func Name(nr int64, compat bool) (name, arch string) {
	switch {
	case compat:
		return i386[int(nr)], "x86"
	case nr >= 0 && nr&x32Bit != 0:
		return x32[int(nr&^x32Bit)], "x32"
	default:
		return x86_64[int(nr)], "x86_64"
	}
}
