// Package recorder runs a command under a seccomp user-notification filter (or ptrace where that is unavailable) and turns the syscalls its process tree makes into a profile that allows exactly those.
package recorder
