package main

deny contains msg if {
	some arch, list in input.facts.syscalls
	some kind in ["allowed", "conditional"]
	"ptrace" in list[kind]
	msg := sprintf("ptrace is %s on %s", [kind, arch])
}
