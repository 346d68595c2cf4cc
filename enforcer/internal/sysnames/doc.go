// Package sysnames names syscall numbers of the x86 architectures for the enforcer's kill reports.
package sysnames

//go:generate go run gen.go -o tables.go
