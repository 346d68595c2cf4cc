package profilec.review_test

import data.profilec.review

level(changes, i) := l if {
	some v in review.risk with input as {"changes": changes}
	v.index == i
	l := v.level
}

test_dangerous_syscall_allowed_is_high if {
	level([{"kind": "syscall.allowed", "subject": "ptrace"}], 0) == "high"
}

test_ordinary_syscall_allowed_is_low if {
	level([{"kind": "syscall.allowed", "subject": "getpid"}], 0) == "low"
}

test_widened_clone_is_high if {
	level([{"kind": "syscall.widened", "subject": "clone"}], 0) == "high"
}

test_tightening_is_info if {
	every k in ["syscall.denied", "syscall.narrowed", "capability.removed", "limit.tightened", "nnp.enabled"] {
		level([{"kind": k, "subject": "x"}], 0) == "info"
	}
}

test_user_namespace_added_is_low if {
	level([{"kind": "namespace.added", "subject": "user"}], 0) == "low"
	level([{"kind": "namespace.added", "subject": "pid"}], 0) == "info"
}

test_namespace_dropped if {
	level([{"kind": "namespace.dropped", "subject": "net"}], 0) == "medium"
	level([{"kind": "namespace.dropped", "subject": "uts"}], 0) == "low"
	level([{"kind": "namespace.changed", "subject": "uts"}], 0) == "info"
}

test_action_changes if {
	level([{"kind": "syscall.action", "subject": "read", "new": "SCMP_ACT_KILL_PROCESS"}], 0) == "info"
	level([{"kind": "syscall.action", "subject": "read", "new": "SCMP_ACT_TRACE(1)"}], 0) == "low"
	level([{"kind": "syscall.action", "subject": "read", "new": "SCMP_ACT_NOTIFY"}], 0) == "low"
	level([{"kind": "syscall.action", "subject": "read", "new": "SCMP_ACT_LOG"}], 0) == "info"
}

test_default_action if {
	level([{"kind": "seccomp.default", "new": "SCMP_ACT_LOG"}], 0) == "high"
	level([{"kind": "seccomp.default", "new": "SCMP_ACT_ERRNO(38)"}], 0) == "low"
}

test_seccomp_sections if {
	level([{"kind": "seccomp.disabled"}], 0) == "high"
	level([{"kind": "seccomp.enabled"}], 0) == "info"
	level([{"kind": "seccomp.arch-added", "subject": "x86"}], 0) == "medium"
	level([{"kind": "seccomp.flags"}], 0) == "low"
}

test_capabilities if {
	level([{"kind": "capability.added", "subject": "CAP_SYS_ADMIN"}], 0) == "high"
	level([{"kind": "capability.added", "subject": "CAP_CHOWN"}], 0) == "medium"
}

test_limits if {
	level([{"kind": "limit.removed", "subject": "pids.max"}], 0) == "medium"
	level([{"kind": "limit.removed", "subject": "rlimit.core"}], 0) == "low"
	level([{"kind": "limit.loosened", "subject": "cpu.max"}], 0) == "low"
}

test_privileges if {
	level([{"kind": "nnp.disabled"}], 0) == "high"
	level([{"kind": "user.changed", "subject": "root"}], 0) == "high"
	level([{"kind": "user.changed", "subject": "user"}], 0) == "low"
}

test_profiles if {
	level([{"kind": "profile.deleted"}], 0) == "low"
	level([{"kind": "profile.added"}], 0) == "info"
}

test_each_change_rated_by_index if {
	level([{"kind": "profile.added"}, {"kind": "nnp.disabled"}], 1) == "high"
}
