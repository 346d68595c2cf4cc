package profilec.sets.pss_restricted_test

import data.profilec.sets.pss_restricted as pss

restricted := {
	"target": {"arch": "SCMP_ARCH_X86_64", "kernel": "6.1"},
	"seccomp": {"enabled": true, "defaultAction": "SCMP_ACT_ERRNO", "syscalls": []},
	"capabilities": {"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": [], "ambient": []},
	"namespaces": {"pid": {"enabled": true}, "ipc": {"enabled": true}, "net": {"enabled": true}},
	"noNewPrivileges": true,
	"user": {"uid": 1000, "gid": 1000},
}

ids(doc) := {f.id | some f in pss.findings with input as doc}

test_restricted_profile_passes if {
	count(pss.findings) == 0 with input as restricted
}

test_extra_capability if {
	doc := object.union(restricted, {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]}})
	fs := pss.findings with input as doc
	some f in fs
	f.id == "pss-restricted.capabilities"
	contains(f.msg, "CAP_CHOWN")
	not contains(f.msg, "CAP_NET_BIND_SERVICE")
}

test_unconfined_seccomp if {
	"pss-restricted.seccomp" in ids(object.union(restricted, {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}))
	"pss-restricted.seccomp" in ids(object.union(restricted, {"seccomp": {"defaultAction": "SCMP_ACT_LOG"}}))
	"pss-restricted.seccomp" in ids(object.union(restricted, {"seccomp": {"enabled": false}}))
	not "pss-restricted.seccomp" in ids(object.union(restricted, {"seccomp": {"defaultAction": "SCMP_ACT_KILL_PROCESS"}}))
}

test_privilege_escalation if {
	"pss-restricted.privilege-escalation" in ids(object.union(restricted, {"noNewPrivileges": false}))
}

test_root_user if {
	"pss-restricted.run-as-non-root" in ids(object.union(restricted, {"user": {"uid": 0}}))
	"pss-restricted.run-as-non-root" in ids(json.remove(restricted, ["user"]))
}

test_host_namespaces if {
	fs := pss.findings with input as json.remove(restricted, ["namespaces/net", "namespaces/ipc"])
	hits := [f | some f in fs; f.id == "pss-restricted.host-namespaces"]
	count(hits) == 2
}

test_every_finding_denies if {
	fs := pss.findings with input as {"seccomp": {"enabled": false}, "capabilities": {"bounding": ["CAP_SYS_ADMIN"]}}
	count(fs) >= 5
	every f in fs {
		f.severity == "deny"
		startswith(f.id, "pss-restricted.")
	}
}
