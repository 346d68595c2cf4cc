package policies

import "strings"

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
	{ID: "policy.unknown-exception", Severity: SeverityWarn, Summary: "a policy exception names a built-in rule that does not exist"},
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

func isRuleID(id string) bool {
	for _, r := range Rules() {
		if r.ID == id {
			return true
		}
	}
	return false
}

// hasBuiltinFamily reports whether id starts like a built-in rule's id
// ("seccomp.", "pss-restricted."): a waiver of such an id that matches no
// rule is a typo, whereas "main.deny_x" may name an organisation rule that
// is not loaded in this run.
func hasBuiltinFamily(id string) bool {
	family, _, ok := strings.Cut(id, ".")
	if !ok {
		return false
	}
	for _, r := range Rules() {
		if f, _, _ := strings.Cut(r.ID, "."); f == family {
			return true
		}
	}
	return false
}

// closestRule suggests the built-in rule id nearest to id, if one is close.
func closestRule(id string) string {
	best, bestDist := "", len(id)/3+1
	for _, r := range Rules() {
		if d := editDistance(id, r.ID); d < bestDist {
			best, bestDist = r.ID, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
