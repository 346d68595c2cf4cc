// Package compiler lowers a resolved profile into a launch plan, compiling its seccomp rules through a per-architecture decision IR into verified classic BPF with libseccomp's semantics.
package compiler
