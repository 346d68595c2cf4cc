package enforcer_test

import (
	"os"
	"testing"

	"github.com/profilec/profilec/enforcer"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the init stage, as profilec's main does.
	enforcer.Main()
	os.Exit(m.Run())
}
