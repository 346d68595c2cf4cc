// Command profilec compiles YAML security profiles into seccomp filters and launch plans, and applies them to a process tree.
package main
