// Package systab holds the syscall, capability and errno tables of every seccomp architecture, generated from golang.org/x/sys/unix.
package systab

// Arch is one seccomp architecture.
type Arch struct {
	Name   string // libseccomp/OCI name: "SCMP_ARCH_X86_64"
	Short  string // short spelling accepted in profiles: "x86_64"
	Native string // the name Docker's includes/excludes.arches use: "amd64"
	Audit  uint32 // AUDIT_ARCH_* value seen in seccomp_data.arch
	Bits   int    // 64 or 32: how many bits of an argument the filter compares
	// NrBits is set on x32: bit 0x40000000 of every x32 syscall number.
	NrBits uint32
}
