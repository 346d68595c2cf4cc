// Package handoff says which `profilec exec` command lines the CLI's early launch path (package early) takes: a compiled plan and nothing it would answer differently from the CLI.
package handoff

// No imports: package early, which imports this one, must initialise
// before the CLI's heavy dependencies.

// EnvOff, when set, sends `profilec exec PLAN.json` through the CLI's
// own exec path instead of the early one (tests compare the two). The
// CLI removes it at once, so the target never sees it.
const EnvOff = "_PROFILEC_NO_HANDOFF"

// RecordInitArgv0 is argv[0] of the recorder's re-executed init stage
// (package recorder): its command line is the recorded program's, which
// the early launch must never take for profilec's own.
const RecordInitArgv0 = "profilec-record-init"

// Parse reads args (without argv[0]) as an exec of a plan file that the
// early launch can run exactly as the CLI would: "exec", one PLAN.json,
// only --stats and --timeout, then "--" and a command. It splits them
// into the plan file, the flags before "--" and the command; ok is false
// for anything else (a profile to compile, policy flags, --help), which
// stays with the CLI.
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
