//go:build linux && arm64

package sys

// Numbers newer than package syscall's arm64 (asm-generic) table.
const (
	SYS_SECCOMP = 277
	SYS_STATX   = 291
)
