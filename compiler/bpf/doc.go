// Package bpf is a generic classic-BPF toolkit: a builder with typed labels, optimizer passes, jump resolution, an interpreter with seccomp semantics and a disassembler.
package bpf
