// Package recorder runs a command traced through ptrace and a seccomp filter (or a seccomp user-notification filter where ptrace is refused) and turns the syscalls its process tree makes into a profile that allows exactly those.
package recorder
