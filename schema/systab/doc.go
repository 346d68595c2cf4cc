// Package systab holds the syscall, capability and errno tables of every seccomp architecture, generated from golang.org/x/sys/unix.
package systab
