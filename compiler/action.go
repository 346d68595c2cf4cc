package compiler

import (
	"fmt"
	"strings"
)

// SECCOMP_RET_* values (linux/seccomp.h).
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	retActionFull uint32 = 0xffff0000
	retData       uint32 = 0x0000ffff
)

// eperm is what runc puts in ERRNO and TRACE actions without errnoRet.
const eperm = 1

// ActionValue is the SECCOMP_RET_* value runc passes to libseccomp for a
// Docker action name. errnoRet is the data of ERRNO and TRACE; when it is
// nil, defaultErrnoRet is used, and when that is nil too, EPERM, as runc
// does. libseccomp keeps only the low 16 bits of the data.
func ActionValue(action string, errnoRet *uint, defaultErrnoRet *uint) (uint32, error) {
	data := func() uint32 {
		switch {
		case errnoRet != nil:
			return uint32(*errnoRet) & retData
		case defaultErrnoRet != nil:
			return uint32(*defaultErrnoRet) & retData
		}
		return eperm
	}
	switch action {
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return RetKillThread, nil
	case "SCMP_ACT_KILL_PROCESS":
		return RetKillProcess, nil
	case "SCMP_ACT_TRAP":
		return RetTrap, nil
	case "SCMP_ACT_ERRNO":
		return RetErrno | data(), nil
	case "SCMP_ACT_TRACE":
		return RetTrace | data(), nil
	case "SCMP_ACT_ALLOW":
		return RetAllow, nil
	case "SCMP_ACT_LOG":
		return RetLog, nil
	case "SCMP_ACT_NOTIFY":
		return RetUserNotif, nil
	}
	return 0, fmt.Errorf("convert action: unknown action %q", action)
}

// ActionString names a SECCOMP_RET_* value the way profiles spell it, with
// the data in parentheses: "SCMP_ACT_ERRNO(1)".
func ActionString(v uint32) string {
	data := v & retData
	switch v & retActionFull {
	case RetKillProcess:
		return "SCMP_ACT_KILL_PROCESS"
	case RetKillThread:
		return "SCMP_ACT_KILL_THREAD"
	case RetTrap:
		return "SCMP_ACT_TRAP"
	case RetErrno:
		return fmt.Sprintf("SCMP_ACT_ERRNO(%d)", data)
	case RetUserNotif:
		return "SCMP_ACT_NOTIFY"
	case RetTrace:
		return fmt.Sprintf("SCMP_ACT_TRACE(%d)", data)
	case RetLog:
		return "SCMP_ACT_LOG"
	case RetAllow:
		return "SCMP_ACT_ALLOW"
	}
	return fmt.Sprintf("%#08x", v)
}

func shortAction(v uint32) string { return strings.TrimPrefix(ActionString(v), "SCMP_ACT_") }
