// Package early, imported by the profilec CLI for its side effect only, runs `profilec exec PLAN.json -- CMD` before the CLI's own packages initialise.
package early

// Go initialises packages in import-path order among those whose imports
// are done. This package, and everything it imports, must be ready long
// before the CLI's policy engine, compiler and protobuf are: see
// TestLaunchImportsInitialiseEarly for what that allows.
import (
	"os"

	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/enforcer/lean"
)

// Package initialisation of the whole CLI costs milliseconds and runs
// before main. A launch of a compiled plan needs none of it: it runs
// here and exits. Anything else, and any exec the lean path would not
// answer exactly as the CLI does, goes on into the CLI.
func init() {
	if len(os.Args) > 0 && os.Args[0] == handoff.RecordInitArgv0 {
		return // the recorder's init stage, whatever its arguments say
	}
	if os.Getenv(handoff.EnvOff) != "" {
		// The CLI's own exec path, asked for (tests compare the two).
		_ = os.Unsetenv(handoff.EnvOff)
		return
	}
	if code, ok := lean.FromCLI(os.Args[1:]); ok {
		os.Exit(code)
	}
}
