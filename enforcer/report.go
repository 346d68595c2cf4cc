package enforcer

import (
	"fmt"
	"github.com/profilec/profilec/enforcer/internal/sysnames"
	"os"
	"strconv"
	"strings"
)

// seccompReport names the syscall a SIGSYS-killed target was making. The
// zombie's /proc/PID/syscall still holds the number and first arguments
// of the syscall it died in, as long as it is not reaped (waitid WNOWAIT).
func seccompReport(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", pid))
	if err != nil {
		return "killed by seccomp (SIGSYS); syscall unknown: " + err.Error()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "killed by seccomp (SIGSYS); syscall unknown"
	}
	nr, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return "killed by seccomp (SIGSYS); syscall unknown: /proc/PID/syscall says " + strings.TrimSpace(string(b))
	}
	return "killed by seccomp: syscall " + syscallName(nativeArch(), nr)
}

func syscallName(arch string, nr int64) string {
	if arch != "SCMP_ARCH_X86_64" {
		return fmt.Sprintf("%d on %s", nr, arch)
	}
	name, a := sysnames.Name(nr, false)
	if name == "" {
		return fmt.Sprintf("%d (unknown) on %s", nr, a)
	}
	return fmt.Sprintf("%s (%d) on %s", name, nr, a)
}
