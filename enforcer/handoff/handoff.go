// Package handoff is the agreement by which the profilec CLI passes `profilec exec PLAN.json -- CMD` to the lean profilec-init installed beside it (see package early).
package handoff

// No imports: package early, which imports this one, must initialise
// before the CLI's heavy dependencies.

const (
	// Arg is profilec-init's first argument when the CLI hands it an exec:
	// profilec-init Arg CLI-PATH CLI-ARGV0 exec ARGS...
	Arg = "exec-from-profilec-v1"
	// EnvOff, set by profilec-init when it hands a launch back, keeps the
	// CLI from handing it over again. The CLI removes it at once, so the
	// target never sees it.
	EnvOff = "_PROFILEC_NO_HANDOFF"
	// Lean is the launcher's file name, beside the CLI.
	Lean = "profilec-init"
)

// Eligible reports whether args (without argv[0]) are an exec of a plan
// file that the lean launcher can run exactly as the CLI would: "exec",
// one PLAN.json, only --stats and --timeout, then "--" and a command.
// Anything else (a profile to compile, policy flags, --help) stays with
// the CLI.
func Eligible(args []string) bool {
	_, _, _, ok := Parse(args)
	return ok
}

// Parse splits eligible args into the plan file, the flags before "--"
// and the command.
func Parse(args []string) (planFile string, flags, argv []string, ok bool) {
	if len(args) < 4 || args[0] != "exec" {
		return "", nil, nil, false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if planFile == "" || i+1 >= len(args) {
				return "", nil, nil, false
			}
			return planFile, flags, args[i+1:], true
		case a == "--stats", hasPrefix(a, "--timeout="):
			flags = append(flags, a)
		case a == "--timeout":
			if i+1 >= len(args) {
				return "", nil, nil, false
			}
			flags = append(flags, a+"="+args[i+1])
			i++
		case hasPrefix(a, "-"):
			return "", nil, nil, false
		case planFile == "" && len(a) > 5 && a[len(a)-5:] == ".json":
			planFile = a
		default:
			return "", nil, nil, false
		}
	}
	return "", nil, nil, false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
