# Built-in safety rules every profile is checked against. Each finding is an
# object {id, severity, msg, path}; path is a YAML path into the profile that
# Go maps to FILE:LINE:COL. Ids are stable: profiles waive them by id in
# policyExceptions, so never rename one.
package profilec.builtin

allow_actions := {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"}

arches := input.facts.syscalls

native := input.facts.native

# granted holds the capabilities the target holds or can gain. Without
# no_new_privs a set-user-ID or file-capability binary raises the permitted
# set up to the bounding set, so the bounding set counts too.
granted contains c if some c in input.facts.capabilities

granted contains c if some c in input.capabilities.permitted

granted contains c if some c in input.capabilities.ambient

granted contains c if {
	not input.noNewPrivileges
	some c in input.capabilities.bounding
}

# reachable: a syscall some argument values let through on some arch. A
# membership test per name, not a set of every allowed syscall: the rules
# ask about a few dozen names, the facts list hundreds per arch.
reachable(name) if {
	some a
	name in arches[a].allowed
}

reachable(name) if {
	some a
	name in arches[a].conditional
}

# allow_path is where the profile lets name through: the first rule naming it
# with a permissive action, else the default action.
allow_path(name) := p if {
	paths := [sprintf("seccomp.syscalls[%d].names[%d]", [i, j]) |
		some i, j
		input.seccomp.syscalls[i].names[j] == name
		input.seccomp.syscalls[i].action in allow_actions
	]
	p := paths[0]
} else := "seccomp.defaultAction"

# deny_path is where the profile refuses name.
deny_path(name) := p if {
	paths := [sprintf("seccomp.syscalls[%d].names[%d]", [i, j]) |
		some i, j
		input.seccomp.syscalls[i].names[j] == name
		not input.seccomp.syscalls[i].action in allow_actions
	]
	p := paths[0]
} else := "seccomp.defaultAction"

finding(id, severity, msg, path) := {"id": id, "severity": severity, "msg": msg, "path": path}

# finding_at also names the entry of the list at path the finding concerns
# (a capability in capabilities.add), so Go can point at that line.
finding_at(id, severity, msg, path, value) := object.union(finding(id, severity, msg, path), {"value": value})

# The enforcer's last step is execve under the new filter: a filter that
# refuses it on the native arch means the target never starts.
findings contains finding("seccomp.exec-denied", "deny", msg, deny_path("execve")) if {
	input.seccomp.enabled
	f := arches[native]
	not "execve" in f.allowed
	not "execve" in f.conditional
	msg := sprintf("execve is not allowed on %s: the target cannot start (the enforcer starts it with execve under the filter)", [native])
}

findings contains finding("seccomp.allow-all", "deny", msg, "seccomp.defaultAction") if {
	input.seccomp.enabled
	input.seccomp.defaultAction in allow_actions
	restricting := [r | some r in input.seccomp.syscalls; not r.action in allow_actions]
	count(restricting) == 0
	msg := sprintf("the default action is %s and no rule restricts anything: the filter confines nothing", [input.seccomp.defaultAction])
}

findings contains finding("seccomp.disabled", "warn", "the profile has no seccomp filter: every syscall reaches the kernel", "seccomp") if {
	not input.seccomp.enabled
}

# The tables live in tables.json, data.profilec.tables: data costs far less to
# load than the same literals cost to parse and compile as Rego.
#
# isolation_syscalls follows Docker's default profile: each syscall is allowed
# there only to a container holding one of these capabilities (includes.caps);
# the keyring and obsolete calls, which Docker never allows, need
# CAP_SYS_ADMIN, the old module calls CAP_SYS_MODULE.
isolation_syscalls := data.profilec.tables.isolation_syscalls

# Before Linux 4.8 a tracer could rewrite a traced process's syscalls after
# seccomp had checked them, so Docker allows these calls without
# CAP_SYS_PTRACE only from 4.8 on.
ptrace_syscalls := {"ptrace", "process_vm_readv", "process_vm_writev"}

kernel_before(major, minor) if {
	[ma, mi] := [to_number(x) | some x in split(input.target.kernel, ".")]
	[ma, mi] < [major, minor]
}

required_caps(name) := caps if {
	list := isolation_syscalls[name]
	caps := {c | some c in list}
}

required_caps(name) := {"CAP_SYS_PTRACE"} if {
	name in ptrace_syscalls
	kernel_before(4, 8)
}

# unguarded are the isolation syscalls reachable without a capability Docker
# requires for them.
unguarded contains name if {
	input.seccomp.enabled
	some name in (object.keys(isolation_syscalls) | ptrace_syscalls)
	reachable(name)
	count(required_caps(name) & granted) == 0
}

# One finding per syscall a rule allows, at that rule's name; one for all
# those the default action lets through, which may be dozens.
findings contains finding("seccomp.isolation-syscall", "deny", msg, path) if {
	some name in unguarded
	path := allow_path(name)
	path != "seccomp.defaultAction"
	msg := sprintf("%s is allowed but the target holds none of %s, which Docker requires for it: the call reaches kernel code that namespaces do not isolate", [name, concat(", ", sort(required_caps(name)))])
}

findings contains finding("seccomp.isolation-syscall", "deny", msg, "seccomp.defaultAction") if {
	names := [name | some name in unguarded; allow_path(name) == "seccomp.defaultAction"]
	count(names) > 0
	msg := sprintf("the default action %s lets through %d syscalls Docker allows only with a capability the target lacks: %s", [input.seccomp.defaultAction, count(names), concat(", ", sort(names))])
}

# dangerous_caps are outside Docker's default set and each one alone is a
# known container escape or host-wide control.
dangerous_caps := data.profilec.tables.dangerous_capabilities

findings contains finding_at("capabilities.dangerous", "deny", msg, "capabilities.add", cap) if {
	some cap in granted
	why := dangerous_caps[cap]
	msg := sprintf("%s is granted: %s", [cap, why])
}

findings contains finding("capabilities.no-userns", "warn", msg, "namespaces.user") if {
	count(granted) > 0
	not input.namespaces.user.enabled
	msg := sprintf("%d capabilities are granted without a user namespace, so they act on the host's own resources: %s", [count(granted), concat(", ", sort(granted))])
}

findings contains finding("cgroups.no-memory-limit", "warn", "no memory limit (cgroups.memory.max): the target can exhaust the host's memory", "cgroups.memory") if {
	not input.facts.limits.memoryBytes
}

findings contains finding("cgroups.no-pids-limit", "warn", "no pids limit (cgroups.pids.max): a fork bomb in the target exhausts the host's process table", "cgroups.pids") if {
	not input.facts.limits.pids
}

# compat_arches are the second syscall tables a 64-bit kernel also accepts:
# each is another set of numbers the filter must get right (CVE-2009-0835).
compat_arches := data.profilec.tables.compat_arches

findings contains finding("seccomp.compat-arch", "warn", msg, "seccomp.architectures") if {
	input.seccomp.enabled
	some a in input.seccomp.architectures
	a in compat_arches[native]
	msg := sprintf("the filter lets %s syscalls through besides %s: drop it unless the target runs such binaries, or waive seccomp.compat-arch", [a, native])
}

# io_uring performs reads, writes, opens, connects and more from kernel
# workers that seccomp never sees: a filter's refusal of openat does not
# cover IORING_OP_OPENAT. Its bugs were also the most exploited route out of
# containers in Google's kCTF, and Docker's default profile refuses it since
# moby/moby#46762 (Docker 25). Without io_uring_setup the other calls are
# useless, so only it is checked.
findings contains finding("seccomp.io-uring", "warn", msg, allow_path("io_uring_setup")) if {
	input.seccomp.enabled
	reachable("io_uring_setup")
	msg := "io_uring_setup is allowed: io_uring operations (open, read, write, connect, ...) run without passing the seccomp filter"
}

kill_thread_actions := {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"}

# Killing one thread leaves the rest of the process running in whatever
# state that thread held (locks, half-written data).
findings contains finding("seccomp.kill-thread", "warn", msg, "seccomp.defaultAction") if {
	input.seccomp.enabled
	input.seccomp.defaultAction in kill_thread_actions
	msg := sprintf("the default action %s kills only the calling thread and lets the rest of the process run on; use SCMP_ACT_KILL_PROCESS", [input.seccomp.defaultAction])
}

findings contains finding("seccomp.kill-thread", "warn", msg, sprintf("seccomp.syscalls[%d]", [i])) if {
	input.seccomp.enabled
	some i, rule in input.seccomp.syscalls
	rule.action in kill_thread_actions
	msg := sprintf("%s on %s kills only the calling thread and lets the rest of the process run on; use SCMP_ACT_KILL_PROCESS", [rule.action, concat(", ", rule.names)])
}

findings contains finding("process.no-new-privileges", "warn", msg, "noNewPrivileges") if {
	not input.noNewPrivileges
	msg := "noNewPrivileges is false: a set-user-ID or file-capability program the target runs gains privileges the profile does not grant"
}
