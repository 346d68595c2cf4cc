package enforcer

import (
	"errors"
	"runtime"

	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// capByName maps canonical capability names onto their bit numbers.
var capByName = map[string]uint{
	"CAP_CHOWN":              sys.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":       sys.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH":    sys.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER":             sys.CAP_FOWNER,
	"CAP_FSETID":             sys.CAP_FSETID,
	"CAP_KILL":               sys.CAP_KILL,
	"CAP_SETGID":             sys.CAP_SETGID,
	"CAP_SETUID":             sys.CAP_SETUID,
	"CAP_SETPCAP":            sys.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE":    sys.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE":   sys.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST":      sys.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN":          sys.CAP_NET_ADMIN,
	"CAP_NET_RAW":            sys.CAP_NET_RAW,
	"CAP_IPC_LOCK":           sys.CAP_IPC_LOCK,
	"CAP_IPC_OWNER":          sys.CAP_IPC_OWNER,
	"CAP_SYS_MODULE":         sys.CAP_SYS_MODULE,
	"CAP_SYS_RAWIO":          sys.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT":         sys.CAP_SYS_CHROOT,
	"CAP_SYS_PTRACE":         sys.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT":          sys.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN":          sys.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT":           sys.CAP_SYS_BOOT,
	"CAP_SYS_NICE":           sys.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE":       sys.CAP_SYS_RESOURCE,
	"CAP_SYS_TIME":           sys.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG":     sys.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD":              sys.CAP_MKNOD,
	"CAP_LEASE":              sys.CAP_LEASE,
	"CAP_AUDIT_WRITE":        sys.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL":      sys.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP":            sys.CAP_SETFCAP,
	"CAP_MAC_OVERRIDE":       sys.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN":          sys.CAP_MAC_ADMIN,
	"CAP_SYSLOG":             sys.CAP_SYSLOG,
	"CAP_WAKE_ALARM":         sys.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND":      sys.CAP_BLOCK_SUSPEND,
	"CAP_AUDIT_READ":         sys.CAP_AUDIT_READ,
	"CAP_PERFMON":            sys.CAP_PERFMON,
	"CAP_BPF":                sys.CAP_BPF,
	"CAP_CHECKPOINT_RESTORE": sys.CAP_CHECKPOINT_RESTORE,
}

// capMask turns names into a 64-bit set.
func capMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		c, ok := capByName[text.ToUpper(n)]
		if !ok {
			return 0, errors.New("unknown capability " + text.Q(n))
		}
		m |= 1 << c
	}
	return m, nil
}

var rlimitByName = map[string]int{
	"cpu":        sys.RLIMIT_CPU,
	"fsize":      sys.RLIMIT_FSIZE,
	"data":       sys.RLIMIT_DATA,
	"stack":      sys.RLIMIT_STACK,
	"core":       sys.RLIMIT_CORE,
	"rss":        sys.RLIMIT_RSS,
	"nproc":      sys.RLIMIT_NPROC,
	"nofile":     sys.RLIMIT_NOFILE,
	"memlock":    sys.RLIMIT_MEMLOCK,
	"as":         sys.RLIMIT_AS,
	"locks":      sys.RLIMIT_LOCKS,
	"sigpending": sys.RLIMIT_SIGPENDING,
	"msgqueue":   sys.RLIMIT_MSGQUEUE,
	"nice":       sys.RLIMIT_NICE,
	"rtprio":     sys.RLIMIT_RTPRIO,
	"rttime":     sys.RLIMIT_RTTIME,
}

func rlimitResource(name string) (int, error) {
	n := text.ToLower(text.TrimPrefix(text.ToUpper(name), "RLIMIT_"))
	r, ok := rlimitByName[n]
	if !ok {
		return 0, errors.New("unknown rlimit " + text.Q(name))
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
		key := text.ToUpper(n)
		if !text.HasPrefix(key, "SECCOMP_FILTER_FLAG_") {
			key = "SECCOMP_FILTER_FLAG_" + key
		}
		switch key {
		case "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_TSYNC_ESRCH":
			return 0, errors.New("seccomp flag " + n + " is not supported: the filter is installed on the exec thread only")
		case "SECCOMP_FILTER_FLAG_NEW_LISTENER":
			return 0, errors.New("seccomp flag " + n + " is not supported: profilec exec has no notification agent")
		}
		b, ok := seccompFlagByName[key]
		if !ok {
			return 0, errors.New("unknown seccomp flag " + text.Q(n))
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
	return "SCMP_ARCH_" + text.ToUpper(runtime.GOARCH)
}
