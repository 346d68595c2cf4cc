package profilec.builtin_test

import data.profilec.builtin

# clean is a profile no built-in rule objects to: a default-deny filter that
# allows execve, no capabilities, a user namespace and both limits.
clean := {
	"target": {"arch": "SCMP_ARCH_X86_64", "kernel": "6.1"},
	"seccomp": {
		"enabled": true,
		"defaultAction": "SCMP_ACT_ERRNO",
		"architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["read", "write", "execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}],
	},
	"capabilities": {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []},
	"namespaces": {"user": {"enabled": true}},
	"noNewPrivileges": true,
	"facts": {
		"native": "SCMP_ARCH_X86_64",
		"syscalls": {"SCMP_ARCH_X86_64": {
			"allowed": ["execve", "exit_group", "read", "write"],
			"denied": ["mount", "ptrace", "unshare"],
			"conditional": [],
		}},
		"capabilities": [],
		"limits": {"memoryBytes": 268435456, "pids": 64},
	},
}

ids(fs) := {f.id | some f in fs}

fired(id, doc) if {
	fs := builtin.findings with input as doc
	id in ids(fs)
}

with_facts(doc, arch, f) := object.union(doc, {"facts": {"syscalls": {arch: f}}})

test_clean_profile_has_no_findings if {
	fs := builtin.findings with input as clean
	count(fs) == 0
}

test_exec_denied if {
	doc := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["read"], "denied": ["execve"], "conditional": []})
	fired("seccomp.exec-denied", doc)
}

test_exec_conditional_is_enough if {
	doc := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["read"], "denied": [], "conditional": ["execve"]})
	not fired("seccomp.exec-denied", doc)
}

test_exec_denied_points_at_the_denying_rule if {
	doc := object.union(
		with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": [], "denied": ["execve"], "conditional": []}),
		{"seccomp": {"syscalls": [
			{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["open", "execve"], "action": "SCMP_ACT_KILL_PROCESS"},
		]}},
	)
	fs := builtin.findings with input as doc
	some f in fs
	f.id == "seccomp.exec-denied"
	f.path == "seccomp.syscalls[1].names[1]"
	f.severity == "deny"
}

test_allow_all if {
	doc := object.union(clean, {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG"}]}})
	fired("seccomp.allow-all", doc)
}

test_allow_with_a_restriction_is_not_allow_all if {
	doc := object.union(clean, {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}})
	not fired("seccomp.allow-all", doc)
}

test_disabled if {
	doc := object.union(clean, {"seccomp": {"enabled": false}})
	fired("seccomp.disabled", doc)
	not fired("seccomp.exec-denied", doc)
}

test_isolation_syscall_without_cap if {
	doc := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "mount"], "denied": [], "conditional": []})
	fs := builtin.findings with input as doc
	some f in fs
	f.id == "seccomp.isolation-syscall"
	f.msg == "the default action SCMP_ACT_ERRNO lets through 1 syscalls Docker allows only with a capability the target lacks: mount"
	f.path == "seccomp.defaultAction"
}

test_isolation_syscall_allowed_by_a_rule if {
	doc := object.union(
		with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "mount", "setns"], "denied": [], "conditional": []}),
		{"seccomp": {"syscalls": [{"names": ["execve", "setns", "mount"], "action": "SCMP_ACT_ALLOW"}]}},
	)
	fs := builtin.findings with input as doc
	hits := {f.path: f.msg | some f in fs; f.id == "seccomp.isolation-syscall"}
	count(hits) == 2
	startswith(hits["seccomp.syscalls[0].names[2]"], "mount is allowed but the target holds none of CAP_SYS_ADMIN")
	startswith(hits["seccomp.syscalls[0].names[1]"], "setns is allowed")
}

test_isolation_syscall_on_a_compat_arch_only if {
	doc := object.union(clean, {"facts": {"syscalls": {"SCMP_ARCH_X86": {"allowed": ["unshare"], "denied": [], "conditional": []}}}})
	fired("seccomp.isolation-syscall", doc)
}

test_isolation_syscall_conditional_counts if {
	doc := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve"], "denied": [], "conditional": ["bpf"]})
	fired("seccomp.isolation-syscall", doc)
}

test_isolation_syscall_with_any_tied_cap if {
	doc := object.union(
		with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "bpf"], "denied": [], "conditional": []}),
		{"facts": {"capabilities": ["CAP_BPF"]}},
	)
	not fired("seccomp.isolation-syscall", doc)
}

test_ptrace_needs_cap_only_before_4_8 if {
	allowed := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "ptrace"], "denied": [], "conditional": []})
	not fired("seccomp.isolation-syscall", allowed)
	old := object.union(allowed, {"target": {"kernel": "4.4"}})
	fired("seccomp.isolation-syscall", old)
	newer := object.union(allowed, {"target": {"kernel": "4.10"}})
	not fired("seccomp.isolation-syscall", newer)
}

test_isolation_syscall_ignored_without_seccomp if {
	doc := object.union(
		with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "mount"], "denied": [], "conditional": []}),
		{"seccomp": {"enabled": false}},
	)
	not fired("seccomp.isolation-syscall", doc)
}

test_dangerous_capability if {
	doc := object.union(clean, {"capabilities": {"effective": ["CAP_SYS_ADMIN"]}, "facts": {"capabilities": ["CAP_SYS_ADMIN"]}})
	fs := builtin.findings with input as doc
	some f in fs
	f.id == "capabilities.dangerous"
	startswith(f.msg, "CAP_SYS_ADMIN")
}

test_bounding_set_counts_without_no_new_privs if {
	doc := object.union(clean, {"capabilities": {"bounding": ["CAP_NET_ADMIN"]}, "noNewPrivileges": false})
	fired("capabilities.dangerous", doc)
	not fired("capabilities.dangerous", object.union(doc, {"noNewPrivileges": true}))
	fired("capabilities.dangerous", json.remove(doc, ["noNewPrivileges"]))
}

test_harmless_capability_is_not_dangerous if {
	doc := object.union(clean, {"facts": {"capabilities": ["CAP_NET_BIND_SERVICE"]}})
	not fired("capabilities.dangerous", doc)
	not fired("capabilities.no-userns", doc)
}

test_capabilities_without_userns if {
	doc := object.union(clean, {"namespaces": {"user": {"enabled": false}}, "facts": {"capabilities": ["CAP_CHOWN"]}})
	fired("capabilities.no-userns", doc)
	no_ns := json.remove(doc, ["namespaces/user"])
	fired("capabilities.no-userns", no_ns)
}

test_no_capabilities_without_userns_is_fine if {
	doc := object.union(clean, {"namespaces": {"user": {"enabled": false}}})
	not fired("capabilities.no-userns", doc)
}

test_no_memory_limit if {
	doc := json.remove(clean, ["facts/limits/memoryBytes"])
	fired("cgroups.no-memory-limit", doc)
	not fired("cgroups.no-pids-limit", doc)
}

test_no_pids_limit if {
	doc := json.remove(clean, ["facts/limits/pids"])
	fired("cgroups.no-pids-limit", doc)
	not fired("cgroups.no-memory-limit", doc)
}

test_compat_arch if {
	doc := object.union(clean, {"seccomp": {"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}})
	fs := builtin.findings with input as doc
	compat := [f | some f in fs; f.id == "seccomp.compat-arch"]
	count(compat) == 2
	every f in compat {
		f.severity == "warn"
	}
}

test_compat_arch_depends_on_native if {
	doc := object.union(clean, {
		"target": {"arch": "SCMP_ARCH_AARCH64"},
		"seccomp": {"architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_X86"]},
		"facts": {"native": "SCMP_ARCH_AARCH64", "syscalls": {"SCMP_ARCH_AARCH64": {"allowed": ["execve"], "denied": [], "conditional": []}}},
	})
	not fired("seccomp.compat-arch", doc)
	fired("seccomp.compat-arch", object.union(doc, {"seccomp": {"architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]}}))
}

test_every_finding_is_well_formed if {
	doc := object.union(clean, {
		"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], "syscalls": []},
		"namespaces": {"user": {"enabled": false}},
		"facts": {
			"capabilities": ["CAP_SYS_MODULE"],
			"syscalls": {"SCMP_ARCH_X86_64": {"allowed": ["init_module", "kexec_load"], "denied": ["execve"], "conditional": []}},
		},
	})
	fs := builtin.findings with input as json.remove(doc, ["facts/limits"])
	ids(fs) == {
		"seccomp.exec-denied", "seccomp.allow-all", "seccomp.isolation-syscall", "seccomp.compat-arch",
		"capabilities.dangerous", "capabilities.no-userns", "cgroups.no-memory-limit", "cgroups.no-pids-limit",
	}
	isolation := [f.msg | some f in fs; f.id == "seccomp.isolation-syscall"]
	count(isolation) == 1
	contains(isolation[0], ": kexec_load")
	not contains(isolation[0], "init_module")
	every f in fs {
		f.severity in {"deny", "warn"}
		f.msg != ""
		f.path != ""
		regex.match(`^[a-z]+\.[a-z0-9-]+$`, f.id)
	}
}

test_permitted_and_ambient_sets_count if {
	fired("capabilities.dangerous", object.union(clean, {"capabilities": {"permitted": ["CAP_SYS_PTRACE"]}}))
	fired("capabilities.dangerous", object.union(clean, {"capabilities": {"ambient": ["CAP_SYS_RAWIO"]}}))
	not fired("capabilities.dangerous", object.union(clean, {"capabilities": {"inheritable": ["CAP_SYS_RAWIO"]}}))
}

test_io_uring if {
	doc := with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve"], "denied": [], "conditional": ["io_uring_setup"]})
	fired("seccomp.io-uring", doc)
	not fired("seccomp.io-uring", with_facts(clean, "SCMP_ARCH_X86_64", {"allowed": ["execve", "io_uring_enter"], "denied": ["io_uring_setup"], "conditional": []}))
	not fired("seccomp.io-uring", object.union(doc, {"seccomp": {"enabled": false}}))
}

test_kill_thread_default if {
	fs := builtin.findings with input as object.union(clean, {"seccomp": {"defaultAction": "SCMP_ACT_KILL_THREAD"}})
	some f in fs
	f.id == "seccomp.kill-thread"
	f.path == "seccomp.defaultAction"
	fired("seccomp.kill-thread", object.union(clean, {"seccomp": {"defaultAction": "SCMP_ACT_KILL"}}))
	not fired("seccomp.kill-thread", object.union(clean, {"seccomp": {"defaultAction": "SCMP_ACT_KILL_PROCESS"}}))
}

test_kill_thread_rule if {
	doc := object.union(clean, {"seccomp": {"syscalls": [
		{"names": ["read", "execve"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["ptrace", "kcmp"], "action": "SCMP_ACT_KILL"},
	]}})
	fs := builtin.findings with input as doc
	hits := [f | some f in fs; f.id == "seccomp.kill-thread"]
	count(hits) == 1
	hits[0].path == "seccomp.syscalls[1]"
	contains(hits[0].msg, "ptrace, kcmp")
}

test_no_new_privileges if {
	fired("process.no-new-privileges", object.union(clean, {"noNewPrivileges": false}))
	fired("process.no-new-privileges", json.remove(clean, ["noNewPrivileges"]))
}
