//go:build !cgo

package libseccomp

import (
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

// TestNeedsCgo stands in for the differential tests, which call libseccomp
// through cgo: without cgo they cannot build, and under CI that must fail
// rather than pass quietly.
func TestNeedsCgo(t *testing.T) {
	testenv.Skip(t, "the libseccomp differential tests need cgo (CGO_ENABLED=1) and libseccomp-dev")
}
