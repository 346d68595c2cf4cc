# Risk rules of profilec review: each change of a profile diff gets a
# level (high, medium, low, info) and a reason.
#
# input.changes is the list of changes (kind, subject, arches, old, new,
# message). A rule adds {"index": I, "level": L, "reason": R} to risk for
# change I; the highest level wins. Organisation rules in this same package
# add to risk, and may add to override, which replaces the built-in levels
# for a change (the highest override wins).
package profilec.review

# Syscalls that reach kernel attack surface or cross the container
# boundary: escapes, module loading, tracing, namespace and mount
# manipulation (moby's default profile refuses them without a capability).
dangerous_syscalls := {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone", "clone3",
	"delete_module", "fanotify_init", "finit_module", "fsconfig", "fsmount", "fsopen",
	"init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
	"lookup_dcookie", "mount", "mount_setattr", "move_mount", "name_to_handle_at",
	"open_by_handle_at", "open_tree", "perf_event_open", "personality", "pivot_root",
	"process_vm_readv", "process_vm_writev", "ptrace", "quotactl", "reboot", "request_key",
	"setns", "settimeofday", "swapoff", "swapon", "syslog", "umount", "umount2", "unshare",
	"userfaultfd", "vm86", "vm86old",
}

# Capabilities that are root in all but name, or open a path to it.
dangerous_capabilities := {
	"CAP_BPF", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
	"CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_SYS_ADMIN",
	"CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_TIME",
	"CAP_SYSLOG", "CAP_LINUX_IMMUTABLE", "CAP_AUDIT_CONTROL",
}

# Namespaces whose loss exposes the host's processes, mounts or network.
isolating_namespaces := {"user", "pid", "mount", "net"}

# Limits whose removal lets one program exhaust the host.
exhaustible_limits := {"memory.max", "pids.max", "rlimit.nproc"}

widening := {"syscall.allowed", "syscall.widened"}

risk contains {"index": i, "level": "high", "reason": sprintf("%s is a known container-escape or kernel attack vector", [c.subject])} if {
	some i, c in input.changes
	c.kind in widening
	c.subject in dangerous_syscalls
}

risk contains {"index": i, "level": "low", "reason": "the program may make a system call it could not make before"} if {
	some i, c in input.changes
	c.kind in widening
	not c.subject in dangerous_syscalls
}

risk contains {"index": i, "level": "info", "reason": "tightens the profile"} if {
	some i, c in input.changes
	c.kind in {
		"syscall.denied", "syscall.narrowed", "capability.removed", "namespace.added",
		"limit.tightened", "limit.added", "nnp.enabled", "seccomp.enabled", "seccomp.arch-removed",
	}
	not user_namespace_added(c)
}

risk contains {"index": i, "level": "low", "reason": "a user namespace gives the program capabilities over new namespaces, and more kernel attack surface"} if {
	some i, c in input.changes
	user_namespace_added(c)
}

user_namespace_added(c) if {
	c.kind == "namespace.added"
	c.subject == "user"
}

risk contains {"index": i, "level": "info", "reason": "a refused call fails another way; nothing more is allowed"} if {
	some i, c in input.changes
	c.kind == "syscall.action"
	not supervised(c.new)
	not permissive(c.new)
}

risk contains {"index": i, "level": "info", "reason": "still allowed; only whether it is logged changes"} if {
	some i, c in input.changes
	c.kind == "syscall.action"
	permissive(c.new)
}

risk contains {"index": i, "level": "low", "reason": "a tracer or notification supervisor now decides this call"} if {
	some i, c in input.changes
	c.kind == "syscall.action"
	supervised(c.new)
}

supervised(action) if startswith(action, "SCMP_ACT_TRACE")

supervised(action) if action == "SCMP_ACT_NOTIFY"

risk contains {"index": i, "level": "high", "reason": "every system call no rule names is allowed"} if {
	some i, c in input.changes
	c.kind == "seccomp.default"
	permissive(c.new)
}

risk contains {"index": i, "level": "low", "reason": "unnamed system calls fail another way"} if {
	some i, c in input.changes
	c.kind == "seccomp.default"
	not permissive(c.new)
}

permissive(action) if action in {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"}

risk contains {"index": i, "level": "high", "reason": "no seccomp filter: the whole kernel interface is open"} if {
	some i, c in input.changes
	c.kind == "seccomp.disabled"
}

risk contains {"index": i, "level": "medium", "reason": "another ABI (such as i386 via int 0x80) reaches the kernel instead of being killed"} if {
	some i, c in input.changes
	c.kind == "seccomp.arch-added"
}

risk contains {"index": i, "level": "low", "reason": "filter flags change logging or speculation mitigations"} if {
	some i, c in input.changes
	c.kind == "seccomp.flags"
}

risk contains {"index": i, "level": "high", "reason": sprintf("%s is close to full root", [c.subject])} if {
	some i, c in input.changes
	c.kind == "capability.added"
	c.subject in dangerous_capabilities
}

risk contains {"index": i, "level": "medium", "reason": "a new privilege"} if {
	some i, c in input.changes
	c.kind == "capability.added"
	not c.subject in dangerous_capabilities
}

risk contains {"index": i, "level": "medium", "reason": sprintf("the program sees and can reach the host's %s namespace", [c.subject])} if {
	some i, c in input.changes
	c.kind == "namespace.dropped"
	c.subject in isolating_namespaces
}

risk contains {"index": i, "level": "low", "reason": "less isolation from the host"} if {
	some i, c in input.changes
	c.kind == "namespace.dropped"
	not c.subject in isolating_namespaces
}

risk contains {"index": i, "level": "info", "reason": "namespace settings only"} if {
	some i, c in input.changes
	c.kind == "namespace.changed"
}

risk contains {"index": i, "level": "medium", "reason": "one program can exhaust the host's memory or tasks"} if {
	some i, c in input.changes
	c.kind == "limit.removed"
	c.subject in exhaustible_limits
}

risk contains {"index": i, "level": "low", "reason": "a resource limit is gone"} if {
	some i, c in input.changes
	c.kind == "limit.removed"
	not c.subject in exhaustible_limits
}

risk contains {"index": i, "level": "low", "reason": "the program may use more resources"} if {
	some i, c in input.changes
	c.kind == "limit.loosened"
}

risk contains {"index": i, "level": "high", "reason": "setuid programs and file capabilities can raise privileges"} if {
	some i, c in input.changes
	c.kind == "nnp.disabled"
}

risk contains {"index": i, "level": "high", "reason": "the program runs as root"} if {
	some i, c in input.changes
	c.kind == "user.changed"
	c.subject == "root"
}

risk contains {"index": i, "level": "low", "reason": "another identity, other files reachable"} if {
	some i, c in input.changes
	c.kind == "user.changed"
	c.subject != "root"
}

risk contains {"index": i, "level": "low", "reason": "whatever used this profile runs with another one, or none"} if {
	some i, c in input.changes
	c.kind == "profile.deleted"
}

risk contains {"index": i, "level": "info", "reason": "a new profile; its validation findings follow"} if {
	some i, c in input.changes
	c.kind == "profile.added"
}
