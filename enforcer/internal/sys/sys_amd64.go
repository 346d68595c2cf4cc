//go:build linux && amd64

package sys

// Numbers newer than package syscall's amd64 table.
const (
	SYS_SECCOMP = 317
	SYS_STATX   = 332
)
