package enforcer

import (
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// capByName maps canonical capability names onto their bit numbers.
var capByName = map[string]uint{
	"CAP_CHOWN":              unix.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":       unix.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH":    unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER":             unix.CAP_FOWNER,
	"CAP_FSETID":             unix.CAP_FSETID,
	"CAP_KILL":               unix.CAP_KILL,
	"CAP_SETGID":             unix.CAP_SETGID,
	"CAP_SETUID":             unix.CAP_SETUID,
	"CAP_SETPCAP":            unix.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE":    unix.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE":   unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST":      unix.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN":          unix.CAP_NET_ADMIN,
	"CAP_NET_RAW":            unix.CAP_NET_RAW,
	"CAP_IPC_LOCK":           unix.CAP_IPC_LOCK,
	"CAP_IPC_OWNER":          unix.CAP_IPC_OWNER,
	"CAP_SYS_MODULE":         unix.CAP_SYS_MODULE,
	"CAP_SYS_RAWIO":          unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT":         unix.CAP_SYS_CHROOT,
	"CAP_SYS_PTRACE":         unix.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT":          unix.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN":          unix.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT":           unix.CAP_SYS_BOOT,
	"CAP_SYS_NICE":           unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE":       unix.CAP_SYS_RESOURCE,
	"CAP_SYS_TIME":           unix.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG":     unix.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD":              unix.CAP_MKNOD,
	"CAP_LEASE":              unix.CAP_LEASE,
	"CAP_AUDIT_WRITE":        unix.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL":      unix.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP":            unix.CAP_SETFCAP,
	"CAP_MAC_OVERRIDE":       unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN":          unix.CAP_MAC_ADMIN,
	"CAP_SYSLOG":             unix.CAP_SYSLOG,
	"CAP_WAKE_ALARM":         unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND":      unix.CAP_BLOCK_SUSPEND,
	"CAP_AUDIT_READ":         unix.CAP_AUDIT_READ,
	"CAP_PERFMON":            unix.CAP_PERFMON,
	"CAP_BPF":                unix.CAP_BPF,
	"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

// capMask turns names into a 64-bit set.
func capMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		c, ok := capByName[strings.ToUpper(n)]
		if !ok {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		m |= 1 << c
	}
	return m, nil
}

var rlimitByName = map[string]int{
	"cpu":        unix.RLIMIT_CPU,
	"fsize":      unix.RLIMIT_FSIZE,
	"data":       unix.RLIMIT_DATA,
	"stack":      unix.RLIMIT_STACK,
	"core":       unix.RLIMIT_CORE,
	"rss":        unix.RLIMIT_RSS,
	"nproc":      unix.RLIMIT_NPROC,
	"nofile":     unix.RLIMIT_NOFILE,
	"memlock":    unix.RLIMIT_MEMLOCK,
	"as":         unix.RLIMIT_AS,
	"locks":      unix.RLIMIT_LOCKS,
	"sigpending": unix.RLIMIT_SIGPENDING,
	"msgqueue":   unix.RLIMIT_MSGQUEUE,
	"nice":       unix.RLIMIT_NICE,
	"rtprio":     unix.RLIMIT_RTPRIO,
	"rttime":     unix.RLIMIT_RTTIME,
}

func rlimitResource(name string) (int, error) {
	n := strings.ToLower(strings.TrimPrefix(strings.ToUpper(name), "RLIMIT_"))
	r, ok := rlimitByName[n]
	if !ok {
		return 0, fmt.Errorf("unknown rlimit %q", name)
	}
	return r, nil
}

// seccompFlagByName holds the SECCOMP_FILTER_FLAG_* bits the enforcer
// installs. TSYNC is refused: the filter belongs to the one thread that
// execs, and syncing it onto the Go runtime's other threads would put
// our own runtime under the target's filter.
var seccompFlagByName = map[string]uintptr{
	"SECCOMP_FILTER_FLAG_LOG":                1 << 1,
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW":         1 << 2,
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 1 << 5,
}

func seccompFlags(names []string) (uintptr, error) {
	var f uintptr
	for _, n := range names {
		key := strings.ToUpper(n)
		if !strings.HasPrefix(key, "SECCOMP_FILTER_FLAG_") {
			key = "SECCOMP_FILTER_FLAG_" + key
		}
		switch key {
		case "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_TSYNC_ESRCH":
			return 0, fmt.Errorf("seccomp flag %s is not supported: the filter is installed on the exec thread only", n)
		case "SECCOMP_FILTER_FLAG_NEW_LISTENER":
			return 0, fmt.Errorf("seccomp flag %s is not supported: profilec exec has no notification agent", n)
		}
		b, ok := seccompFlagByName[key]
		if !ok {
			return 0, fmt.Errorf("unknown seccomp flag %q", n)
		}
		f |= b
	}
	return f, nil
}

// nativeArch is the libseccomp name of the architecture this binary runs on.
func nativeArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "SCMP_ARCH_X86_64"
	case "arm64":
		return "SCMP_ARCH_AARCH64"
	case "386":
		return "SCMP_ARCH_X86"
	case "arm":
		return "SCMP_ARCH_ARM"
	case "riscv64":
		return "SCMP_ARCH_RISCV64"
	case "s390x":
		return "SCMP_ARCH_S390X"
	case "ppc64le":
		return "SCMP_ARCH_PPC64LE"
	case "loong64":
		return "SCMP_ARCH_LOONGARCH64"
	}
	return "SCMP_ARCH_" + strings.ToUpper(runtime.GOARCH)
}
