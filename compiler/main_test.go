package compiler

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMain doubles as a helper process for the kernel tests: re-executed
// under a filter with PROFILEC_TEST_X32_GETPID=1, it makes one x32 call
// and reports whether it came back.
func TestMain(m *testing.M) {
	if os.Getenv("PROFILEC_TEST_X32_GETPID") == "1" {
		// An x86_64 process may use x32's numbers: bit 30 set on getpid.
		unix.RawSyscall(0x40000000|unix.SYS_GETPID, 0, 0, 0)
		os.Stdout.WriteString("x32 call returned\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
