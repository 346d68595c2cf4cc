# The examples of docs/policies.md, kept here so a test proves they work.
package main

deny_memory contains msg if {
	limit := input.facts.limits.memoryBytes
	limit > data.max_memory_bytes
	msg := {
		"msg": sprintf("memory limit %d exceeds %d", [limit, data.max_memory_bytes]),
		"path": "cgroups.memory.max",
	}
}

warn_description contains "say what the profile is for" if {
	not input.description
}

exception contains rules if {
	input.name == "batch-importer"
	rules := ["memory"]
}
