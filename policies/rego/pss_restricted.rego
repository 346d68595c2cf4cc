# The Kubernetes Pod Security Standards, restricted level, as far as a
# profile can express it: the set `pss-restricted`. The restricted level
# includes the baseline level, hence the host namespace rule.
package profilec.sets.pss_restricted

allow_actions := {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"}

finding(id, msg, path) := {"id": id, "severity": "deny", "msg": msg, "path": path}

held contains c if {
	some set in ["bounding", "effective", "permitted", "inheritable", "ambient"]
	some c in input.capabilities[set]
}

findings contains finding("pss-restricted.capabilities", msg, "capabilities") if {
	extra := held - {"CAP_NET_BIND_SERVICE"}
	count(extra) > 0
	msg := sprintf("restricted pods drop ALL capabilities and may add back only NET_BIND_SERVICE; this profile keeps %s", [concat(", ", sort(extra))])
}

findings contains finding("pss-restricted.seccomp", "restricted pods need a seccomp profile (RuntimeDefault or Localhost); this profile has none", "seccomp") if {
	not input.seccomp.enabled
}

findings contains finding("pss-restricted.seccomp", msg, "seccomp.defaultAction") if {
	input.seccomp.enabled
	input.seccomp.defaultAction in allow_actions
	msg := sprintf("restricted pods may not run Unconfined; a default action of %s confines only what its rules name", [input.seccomp.defaultAction])
}

findings contains finding("pss-restricted.privilege-escalation", "restricted pods set allowPrivilegeEscalation: false; set noNewPrivileges: true", "noNewPrivileges") if {
	not input.noNewPrivileges
}

findings contains finding("pss-restricted.run-as-non-root", "restricted pods run as non-root; set user.uid to a non-zero id", "user") if {
	not input.user
}

findings contains finding("pss-restricted.run-as-non-root", "restricted pods run as non-root; user.uid is 0", "user.uid") if {
	input.user.uid == 0
}

findings contains finding("pss-restricted.host-namespaces", msg, "namespaces") if {
	some ns in ["pid", "ipc", "net"]
	not input.namespaces[ns].enabled
	msg := sprintf("restricted pods do not share the host's %s namespace; enable namespaces.%s", [ns, ns])
}
