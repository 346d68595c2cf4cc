// Package enforcer applies a launch plan to a process tree: it creates the cgroup, clones a child into the new namespaces that makes a prepared list of raw system calls (credentials, capabilities, no_new_privs, the seccomp filter last) and execs the target, then supervises, reports on and cleans up after it.
package enforcer
