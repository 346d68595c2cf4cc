package policies

// Rule describes a built-in rule: for documentation, SARIF rule metadata
// and telling a waiver of an unknown rule from one of a rule that ran.
type Rule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	// Set is the policy set the rule belongs to, "" for the rules that
	// always run.
	Set string `json:"set,omitempty"`
}

// builtinRules mirrors rego/builtin.rego; a test keeps the two in step.
var builtinRules = []Rule{
	{ID: "seccomp.exec-denied", Severity: SeverityDeny, Summary: "execve is refused on the native architecture, so the target cannot start"},
	{ID: "seccomp.allow-all", Severity: SeverityDeny, Summary: "the default action allows and no rule restricts anything"},
	{ID: "seccomp.disabled", Severity: SeverityWarn, Summary: "the profile has no seccomp filter"},
	{ID: "seccomp.isolation-syscall", Severity: SeverityDeny, Summary: "a syscall that breaks isolation is allowed without the capability Docker ties it to"},
	{ID: "seccomp.compat-arch", Severity: SeverityWarn, Summary: "a 32-bit compatibility ABI (i386, x32, arm...) is let through"},
	{ID: "seccomp.io-uring", Severity: SeverityWarn, Summary: "io_uring is allowed, whose operations seccomp never sees"},
	{ID: "seccomp.kill-thread", Severity: SeverityWarn, Summary: "an action kills one thread and lets the rest of the process run on"},
	{ID: "capabilities.dangerous", Severity: SeverityDeny, Summary: "a capability known to allow escapes or host-wide control is granted"},
	{ID: "capabilities.no-userns", Severity: SeverityWarn, Summary: "capabilities are granted without a user namespace"},
	{ID: "cgroups.no-memory-limit", Severity: SeverityWarn, Summary: "no memory limit"},
	{ID: "cgroups.no-pids-limit", Severity: SeverityWarn, Summary: "no pids limit"},
	{ID: "process.no-new-privileges", Severity: SeverityWarn, Summary: "noNewPrivileges is false, so set-user-ID programs gain privileges"},
	{ID: "policy.unused-exception", Severity: SeverityWarn, Summary: "a policy exception waives a rule that found nothing"},
}

// setRules mirrors the Rego of each built-in set.
var setRules = map[string][]Rule{
	"pss-restricted": {
		{ID: "pss-restricted.capabilities", Severity: SeverityDeny, Summary: "capabilities beyond NET_BIND_SERVICE are kept", Set: "pss-restricted"},
		{ID: "pss-restricted.seccomp", Severity: SeverityDeny, Summary: "no seccomp filter, or one whose default action allows", Set: "pss-restricted"},
		{ID: "pss-restricted.privilege-escalation", Severity: SeverityDeny, Summary: "noNewPrivileges is not set (allowPrivilegeEscalation)", Set: "pss-restricted"},
		{ID: "pss-restricted.run-as-non-root", Severity: SeverityDeny, Summary: "the target may run as root", Set: "pss-restricted"},
		{ID: "pss-restricted.host-namespaces", Severity: SeverityDeny, Summary: "the host's pid, ipc or net namespace is shared", Set: "pss-restricted"},
	},
}

// Rules lists the built-in rules, those that always run first, then each
// set's in set-name order.
func Rules() []Rule {
	res := append([]Rule(nil), builtinRules...)
	for _, s := range SetNames() {
		res = append(res, setRules[s]...)
	}
	return res
}
