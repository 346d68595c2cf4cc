# An organisation policy as a team would write it for conftest: package
# main, deny/violation/warn rules returning strings or {msg} objects, and an
# exception that waives a rule for one named profile.
package main

deny_default_action contains msg if {
	input.seccomp.enabled
	input.seccomp.defaultAction != "SCMP_ACT_KILL_PROCESS"
	msg := {
		"msg": sprintf("our profiles kill on unlisted syscalls, not %s", [input.seccomp.defaultAction]),
		"path": "seccomp.defaultAction",
	}
}

deny contains msg if {
	some c in input.facts.capabilities
	not c in data.allowed_capabilities
	msg := {
		"msg": sprintf("capability %s is not on the allowed list", [c]),
		"path": "capabilities.add",
		"value": c,
	}
}

violation_nnp contains "noNewPrivileges must be true" if {
	not input.noNewPrivileges
}

warn_description contains "describe what the profile is for" if {
	not input.description
}

exception contains rules if {
	input.name == "legacy-service"
	rules := ["default_action", "nnp"]
}
