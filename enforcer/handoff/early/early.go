// Package early, imported by the profilec CLI for its side effect only, hands `profilec exec PLAN.json -- CMD` to the lean profilec-init installed beside the CLI before the CLI's own packages initialise.
package early

// Only os, syscall and handoff (which imports nothing): every import must
// be initialised before this package can be, and most of the standard
// library sorts after the CLI's heavy dependencies (google.golang.org/…,
// gopkg.in/…), which would then initialise first.
import (
	"os"
	"syscall"

	"github.com/profilec/profilec/enforcer/handoff"
)

// Package initialisation of the whole CLI (a policy engine, the compiler,
// protobuf, …) costs milliseconds and runs before main. Go initialises
// packages in import-path order once their imports are done, and this one
// imports only os, syscall and handoff, so it runs right after os: before
// nearly all of that.
func init() {
	if os.Getenv(handoff.EnvOff) != "" {
		_ = os.Unsetenv(handoff.EnvOff)
		return
	}
	if !handoff.Eligible(os.Args[1:]) {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	dir := self
	for len(dir) > 0 && dir[len(dir)-1] != '/' {
		dir = dir[:len(dir)-1]
	}
	lean := dir + handoff.Lean
	if syscall.Access(lean, 1 /* X_OK */) != nil {
		return
	}
	argv := append([]string{handoff.Lean, handoff.Arg, self, os.Args[0]}, os.Args[1:]...)
	_ = syscall.Exec(lean, argv, os.Environ())
	// The exec failed: the CLI does the launch itself.
}
