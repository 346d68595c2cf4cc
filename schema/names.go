package schema

import (
	"slices"
	"sort"
	"strings"

	"github.com/profilec/profilec/schema/systab"
)

// Canonical seccomp vocabulary, as Docker and the OCI runtime-spec spell it.
var (
	actionNames = []string{
		"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
		"SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
		"SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
	}
	opNames = []string{
		"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
		"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
	}
	flagNames = []string{
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	}
)

// Actions returns the canonical seccomp actions ("SCMP_ACT_*"), the
// vocabulary the loader accepts after normalising a spelling.
func Actions() []string { return slices.Clone(actionNames) }

// Ops returns the canonical argument comparisons ("SCMP_CMP_*").
func Ops() []string { return slices.Clone(opNames) }

// FilterFlags returns the canonical seccomp filter flags
// ("SECCOMP_FILTER_FLAG_*").
func FilterFlags() []string { return slices.Clone(flagNames) }

// rlimitNames are the rlimit names a profile may set, without RLIMIT_.
var rlimitNames = []string{
	"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
	"nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
}

// canonWord maps any accepted spelling of a Docker constant onto its
// canonical name: "kill-process", "KILL_PROCESS" and "SCMP_ACT_KILL_PROCESS"
// are one action.
func canonWord(s, prefix string, names []string) (string, bool) {
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	u = strings.TrimPrefix(u, prefix)
	if u == "" {
		return "", false
	}
	c := prefix + u
	for _, n := range names {
		if n == c {
			return c, true
		}
	}
	return "", false
}

// shortWord is the short spelling of a canonical constant ("kill-process"),
// used in suggestions so users see the form they probably meant.
func shortWord(canon, prefix string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(canon, prefix), "_", "-"))
}

func canonAction(s string) (string, bool) { return canonWord(s, "SCMP_ACT_", actionNames) }
func canonOp(s string) (string, bool)     { return canonWord(s, "SCMP_CMP_", opNames) }
func canonFlag(s string) (string, bool) {
	return canonWord(s, "SECCOMP_FILTER_FLAG_", flagNames)
}

// wordNorm lets suggestions compare spellings of constants without caring
// about prefix, case or hyphen-versus-underscore.
func wordNorm(prefix string) func(string) string {
	return func(s string) string {
		u := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
		return strings.TrimPrefix(u, prefix)
	}
}

// canonCap maps "sys_admin", "SYS_ADMIN" or "cap_sys_admin" to
// "CAP_SYS_ADMIN"; "all" in any case becomes "ALL".
func canonCap(s string) (string, bool) {
	if strings.EqualFold(s, "ALL") {
		return "ALL", true
	}
	n, ok := systab.Capability(s)
	if !ok {
		return "", false
	}
	return systab.CapabilityName(n), true
}

func capNorm(s string) string {
	return strings.TrimPrefix(strings.ToUpper(s), "CAP_")
}

// canonArch maps any architecture spelling systab knows to SCMP_ARCH_*.
func canonArch(s string) (systab.Arch, bool) {
	return systab.LookupArch(s)
}

// nativeArchNames are the names Docker's includes/excludes.arches compare
// against (Go-flavoured: "amd64", "arm64", "x32").
func nativeArchNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range systab.Arches() {
		if a.Native != "" && !seen[a.Native] {
			seen[a.Native] = true
			out = append(out, a.Native)
		}
	}
	sort.Strings(out)
	return out
}

// allCapabilities is every capability name, canonical, sorted.
func allCapabilities() []string {
	out := append([]string(nil), systab.CapabilityNames()...)
	sort.Strings(out)
	return out
}
