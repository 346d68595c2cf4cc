package sys

//go:generate go run ../../../internal/gen/sysalias
