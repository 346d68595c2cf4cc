// Package presig, imported by package early, starts the supervisor's
// signal registration from the CLI's first package initialisations when
// the command line is one the early launch takes.
package presig

// Package early waits for the enforcer, which is ready only after fmt
// and reflect; this package needs no more than os/signal, so Go
// initialises it some 0.2 ms sooner, and os/signal's registration (a
// round trip with a runtime thread per signal, ~0.5 ms in all) then
// overlaps the rest of the start-up instead of the launch.
import (
	"os"

	"github.com/profilec/profilec/enforcer/handoff"
	"github.com/profilec/profilec/enforcer/internal/sigfwd"
)

func init() {
	if Wanted(os.Args) {
		sigfwd.Start()
	}
}

// Wanted says whether argv is a command line for the early launch,
// which forwards signals.
func Wanted(argv []string) bool {
	if len(argv) < 2 || argv[0] == handoff.RecordInitArgv0 || os.Getenv(handoff.EnvOff) != "" {
		return false
	}
	_, _, _, ok := handoff.Parse(argv[1:])
	return ok
}
