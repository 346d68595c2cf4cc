// Package compilertest provides inputs for tests of the compiler and its differential tests: Docker's default seccomp profile resolved as moby resolves it.
package compilertest
