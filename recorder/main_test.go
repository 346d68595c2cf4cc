package recorder_test

import (
	"os"
	"testing"

	"github.com/profilec/profilec/recorder"
)

func TestMain(m *testing.M) {
	// The test binary doubles as both init stages, as profilec's main does.
	recorder.Main()
	if os.Getenv(noNotifEnv) != "" {
		// Run under a filter by TestNoUserNotification.
		os.Exit(noNotifChild())
	}
	if os.Getenv(rootlessEnv) != "" {
		// Re-run as nobody by TestRecordAsNobody.
		os.Exit(rootlessChild())
	}
	code := m.Run()
	if progDir != "" {
		os.RemoveAll(progDir)
	}
	os.Exit(code)
}
