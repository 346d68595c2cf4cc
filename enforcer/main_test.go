package enforcer_test

import (
	"os"
	"testing"

	"github.com/profilec/profilec/enforcer"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the init stage, as profilec's main does.
	enforcer.Main()
	if os.Getenv(rootlessChildEnv) != "" {
		// Re-run as nobody by TestRootless: confine and report, no tests.
		os.Exit(rootlessChild())
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
