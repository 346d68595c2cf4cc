# Rego v0 as most existing conftest policies are written: no if, no
# contains. It must load unchanged.
package legacy

deny[msg] {
	input.facts.syscalls[arch].allowed[_] == "ptrace"
	msg := sprintf("ptrace is allowed on %s", [arch])
}
