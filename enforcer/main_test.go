package enforcer_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv(rootlessChildEnv) != "" {
		// Re-run as nobody by TestRootless: confine and report, no tests.
		os.Exit(rootlessChild())
	}
	if marker := os.Getenv(orphanChildEnv); marker != "" {
		// Re-run by TestChildOfAKilledSupervisorNeverRunsTheTarget as
		// the supervisor it kills.
		os.Exit(orphanChild(marker))
	}
	if mode := os.Getenv(awaitChildEnv); mode != "" {
		// Re-run by the TestChild*Signals* tests as a supervisor whose
		// signal registration is held back.
		os.Exit(awaitChild(mode))
	}
	if os.Getenv(forwardChildEnv) != "" {
		// Re-run by TestSignalsReachTheTarget as a supervisor to signal.
		os.Exit(forwardChild())
	}
	code := m.Run()
	if testprogDir != "" {
		os.RemoveAll(testprogDir)
	}
	os.Exit(code)
}
