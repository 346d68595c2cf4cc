// Package enforcer applies a launch plan to a process tree: it creates the cgroup, starts a re-executed init stage in new namespaces that drops privileges and installs the seccomp filter last, then supervises, reports on and cleans up after the target.
package enforcer
