package sys

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Every constant and struct layout here must be x/sys/unix's on this
// architecture: sys_linux.go writes them out by hand for amd64 and arm64.
func TestValuesMatchXSys(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"AF_INET", int64(AF_INET), int64(unix.AF_INET)},
		{"AF_UNIX", int64(AF_UNIX), int64(unix.AF_UNIX)},
		{"CAP_AUDIT_CONTROL", int64(CAP_AUDIT_CONTROL), int64(unix.CAP_AUDIT_CONTROL)},
		{"CAP_AUDIT_READ", int64(CAP_AUDIT_READ), int64(unix.CAP_AUDIT_READ)},
		{"CAP_AUDIT_WRITE", int64(CAP_AUDIT_WRITE), int64(unix.CAP_AUDIT_WRITE)},
		{"CAP_BLOCK_SUSPEND", int64(CAP_BLOCK_SUSPEND), int64(unix.CAP_BLOCK_SUSPEND)},
		{"CAP_BPF", int64(CAP_BPF), int64(unix.CAP_BPF)},
		{"CAP_CHECKPOINT_RESTORE", int64(CAP_CHECKPOINT_RESTORE), int64(unix.CAP_CHECKPOINT_RESTORE)},
		{"CAP_CHOWN", int64(CAP_CHOWN), int64(unix.CAP_CHOWN)},
		{"CAP_DAC_OVERRIDE", int64(CAP_DAC_OVERRIDE), int64(unix.CAP_DAC_OVERRIDE)},
		{"CAP_DAC_READ_SEARCH", int64(CAP_DAC_READ_SEARCH), int64(unix.CAP_DAC_READ_SEARCH)},
		{"CAP_FOWNER", int64(CAP_FOWNER), int64(unix.CAP_FOWNER)},
		{"CAP_FSETID", int64(CAP_FSETID), int64(unix.CAP_FSETID)},
		{"CAP_IPC_LOCK", int64(CAP_IPC_LOCK), int64(unix.CAP_IPC_LOCK)},
		{"CAP_IPC_OWNER", int64(CAP_IPC_OWNER), int64(unix.CAP_IPC_OWNER)},
		{"CAP_KILL", int64(CAP_KILL), int64(unix.CAP_KILL)},
		{"CAP_LAST_CAP", int64(CAP_LAST_CAP), int64(unix.CAP_LAST_CAP)},
		{"CAP_LEASE", int64(CAP_LEASE), int64(unix.CAP_LEASE)},
		{"CAP_LINUX_IMMUTABLE", int64(CAP_LINUX_IMMUTABLE), int64(unix.CAP_LINUX_IMMUTABLE)},
		{"CAP_MAC_ADMIN", int64(CAP_MAC_ADMIN), int64(unix.CAP_MAC_ADMIN)},
		{"CAP_MAC_OVERRIDE", int64(CAP_MAC_OVERRIDE), int64(unix.CAP_MAC_OVERRIDE)},
		{"CAP_MKNOD", int64(CAP_MKNOD), int64(unix.CAP_MKNOD)},
		{"CAP_NET_ADMIN", int64(CAP_NET_ADMIN), int64(unix.CAP_NET_ADMIN)},
		{"CAP_NET_BIND_SERVICE", int64(CAP_NET_BIND_SERVICE), int64(unix.CAP_NET_BIND_SERVICE)},
		{"CAP_NET_BROADCAST", int64(CAP_NET_BROADCAST), int64(unix.CAP_NET_BROADCAST)},
		{"CAP_NET_RAW", int64(CAP_NET_RAW), int64(unix.CAP_NET_RAW)},
		{"CAP_PERFMON", int64(CAP_PERFMON), int64(unix.CAP_PERFMON)},
		{"CAP_SETFCAP", int64(CAP_SETFCAP), int64(unix.CAP_SETFCAP)},
		{"CAP_SETGID", int64(CAP_SETGID), int64(unix.CAP_SETGID)},
		{"CAP_SETPCAP", int64(CAP_SETPCAP), int64(unix.CAP_SETPCAP)},
		{"CAP_SETUID", int64(CAP_SETUID), int64(unix.CAP_SETUID)},
		{"CAP_SYSLOG", int64(CAP_SYSLOG), int64(unix.CAP_SYSLOG)},
		{"CAP_SYS_ADMIN", int64(CAP_SYS_ADMIN), int64(unix.CAP_SYS_ADMIN)},
		{"CAP_SYS_BOOT", int64(CAP_SYS_BOOT), int64(unix.CAP_SYS_BOOT)},
		{"CAP_SYS_CHROOT", int64(CAP_SYS_CHROOT), int64(unix.CAP_SYS_CHROOT)},
		{"CAP_SYS_MODULE", int64(CAP_SYS_MODULE), int64(unix.CAP_SYS_MODULE)},
		{"CAP_SYS_NICE", int64(CAP_SYS_NICE), int64(unix.CAP_SYS_NICE)},
		{"CAP_SYS_PACCT", int64(CAP_SYS_PACCT), int64(unix.CAP_SYS_PACCT)},
		{"CAP_SYS_PTRACE", int64(CAP_SYS_PTRACE), int64(unix.CAP_SYS_PTRACE)},
		{"CAP_SYS_RAWIO", int64(CAP_SYS_RAWIO), int64(unix.CAP_SYS_RAWIO)},
		{"CAP_SYS_RESOURCE", int64(CAP_SYS_RESOURCE), int64(unix.CAP_SYS_RESOURCE)},
		{"CAP_SYS_TIME", int64(CAP_SYS_TIME), int64(unix.CAP_SYS_TIME)},
		{"CAP_SYS_TTY_CONFIG", int64(CAP_SYS_TTY_CONFIG), int64(unix.CAP_SYS_TTY_CONFIG)},
		{"CAP_WAKE_ALARM", int64(CAP_WAKE_ALARM), int64(unix.CAP_WAKE_ALARM)},
		{"CGROUP2_SUPER_MAGIC", int64(CGROUP2_SUPER_MAGIC), int64(unix.CGROUP2_SUPER_MAGIC)},
		{"CGROUP_SUPER_MAGIC", int64(CGROUP_SUPER_MAGIC), int64(unix.CGROUP_SUPER_MAGIC)},
		{"CLONE_INTO_CGROUP", int64(CLONE_INTO_CGROUP), int64(unix.CLONE_INTO_CGROUP)},
		{"CLONE_NEWCGROUP", int64(CLONE_NEWCGROUP), int64(unix.CLONE_NEWCGROUP)},
		{"CLONE_NEWIPC", int64(CLONE_NEWIPC), int64(unix.CLONE_NEWIPC)},
		{"CLONE_NEWNET", int64(CLONE_NEWNET), int64(unix.CLONE_NEWNET)},
		{"CLONE_NEWNS", int64(CLONE_NEWNS), int64(unix.CLONE_NEWNS)},
		{"CLONE_NEWPID", int64(CLONE_NEWPID), int64(unix.CLONE_NEWPID)},
		{"CLONE_NEWTIME", int64(CLONE_NEWTIME), int64(unix.CLONE_NEWTIME)},
		{"CLONE_NEWUSER", int64(CLONE_NEWUSER), int64(unix.CLONE_NEWUSER)},
		{"CLONE_NEWUTS", int64(CLONE_NEWUTS), int64(unix.CLONE_NEWUTS)},
		{"CLONE_VFORK", int64(CLONE_VFORK), int64(unix.CLONE_VFORK)},
		{"CLONE_VM", int64(CLONE_VM), int64(unix.CLONE_VM)},
		{"EBUSY", int64(EBUSY), int64(unix.EBUSY)},
		{"EINTR", int64(EINTR), int64(unix.EINTR)},
		{"EINVAL", int64(EINVAL), int64(unix.EINVAL)},
		{"EIO", int64(EIO), int64(unix.EIO)},
		{"ENOENT", int64(ENOENT), int64(unix.ENOENT)},
		{"ENOSYS", int64(ENOSYS), int64(unix.ENOSYS)},
		{"ENOTEMPTY", int64(ENOTEMPTY), int64(unix.ENOTEMPTY)},
		{"EPIPE", int64(EPIPE), int64(unix.EPIPE)},
		{"EROFS", int64(EROFS), int64(unix.EROFS)},
		{"ESRCH", int64(ESRCH), int64(unix.ESRCH)},
		{"F_DUPFD_CLOEXEC", int64(F_DUPFD_CLOEXEC), int64(unix.F_DUPFD_CLOEXEC)},
		{"IFF_LOOPBACK", int64(IFF_LOOPBACK), int64(unix.IFF_LOOPBACK)},
		{"IFF_UP", int64(IFF_UP), int64(unix.IFF_UP)},
		{"LINUX_CAPABILITY_VERSION_3", int64(LINUX_CAPABILITY_VERSION_3), int64(unix.LINUX_CAPABILITY_VERSION_3)},
		{"MAP_ANONYMOUS", int64(MAP_ANONYMOUS), int64(unix.MAP_ANONYMOUS)},
		{"MAP_SHARED", int64(MAP_SHARED), int64(unix.MAP_SHARED)},
		{"MS_NODEV", int64(MS_NODEV), int64(unix.MS_NODEV)},
		{"MS_NOEXEC", int64(MS_NOEXEC), int64(unix.MS_NOEXEC)},
		{"MS_NOSUID", int64(MS_NOSUID), int64(unix.MS_NOSUID)},
		{"MS_PRIVATE", int64(MS_PRIVATE), int64(unix.MS_PRIVATE)},
		{"MS_REC", int64(MS_REC), int64(unix.MS_REC)},
		{"O_CLOEXEC", int64(O_CLOEXEC), int64(unix.O_CLOEXEC)},
		{"O_DIRECTORY", int64(O_DIRECTORY), int64(unix.O_DIRECTORY)},
		{"O_NONBLOCK", int64(O_NONBLOCK), int64(unix.O_NONBLOCK)},
		{"O_PATH", int64(O_PATH), int64(unix.O_PATH)},
		{"O_RDONLY", int64(O_RDONLY), int64(unix.O_RDONLY)},
		{"O_WRONLY", int64(O_WRONLY), int64(unix.O_WRONLY)},
		{"PIDFD_NONBLOCK", int64(PIDFD_NONBLOCK), int64(unix.PIDFD_NONBLOCK)},
		{"PROT_READ", int64(PROT_READ), int64(unix.PROT_READ)},
		{"PROT_WRITE", int64(PROT_WRITE), int64(unix.PROT_WRITE)},
		{"PR_CAPBSET_DROP", int64(PR_CAPBSET_DROP), int64(unix.PR_CAPBSET_DROP)},
		{"PR_CAP_AMBIENT", int64(PR_CAP_AMBIENT), int64(unix.PR_CAP_AMBIENT)},
		{"PR_CAP_AMBIENT_CLEAR_ALL", int64(PR_CAP_AMBIENT_CLEAR_ALL), int64(unix.PR_CAP_AMBIENT_CLEAR_ALL)},
		{"PR_CAP_AMBIENT_RAISE", int64(PR_CAP_AMBIENT_RAISE), int64(unix.PR_CAP_AMBIENT_RAISE)},
		{"PR_SET_KEEPCAPS", int64(PR_SET_KEEPCAPS), int64(unix.PR_SET_KEEPCAPS)},
		{"PR_SET_NAME", int64(PR_SET_NAME), int64(unix.PR_SET_NAME)},
		{"PR_SET_NO_NEW_PRIVS", int64(PR_SET_NO_NEW_PRIVS), int64(unix.PR_SET_NO_NEW_PRIVS)},
		{"PR_SET_PDEATHSIG", int64(PR_SET_PDEATHSIG), int64(unix.PR_SET_PDEATHSIG)},
		{"P_PID", int64(P_PID), int64(unix.P_PID)},
		{"P_PIDFD", int64(P_PIDFD), int64(unix.P_PIDFD)},
		{"RLIMIT_AS", int64(RLIMIT_AS), int64(unix.RLIMIT_AS)},
		{"RLIMIT_CORE", int64(RLIMIT_CORE), int64(unix.RLIMIT_CORE)},
		{"RLIMIT_CPU", int64(RLIMIT_CPU), int64(unix.RLIMIT_CPU)},
		{"RLIMIT_DATA", int64(RLIMIT_DATA), int64(unix.RLIMIT_DATA)},
		{"RLIMIT_FSIZE", int64(RLIMIT_FSIZE), int64(unix.RLIMIT_FSIZE)},
		{"RLIMIT_LOCKS", int64(RLIMIT_LOCKS), int64(unix.RLIMIT_LOCKS)},
		{"RLIMIT_MEMLOCK", int64(RLIMIT_MEMLOCK), int64(unix.RLIMIT_MEMLOCK)},
		{"RLIMIT_MSGQUEUE", int64(RLIMIT_MSGQUEUE), int64(unix.RLIMIT_MSGQUEUE)},
		{"RLIMIT_NICE", int64(RLIMIT_NICE), int64(unix.RLIMIT_NICE)},
		{"RLIMIT_NOFILE", int64(RLIMIT_NOFILE), int64(unix.RLIMIT_NOFILE)},
		{"RLIMIT_NPROC", int64(RLIMIT_NPROC), int64(unix.RLIMIT_NPROC)},
		{"RLIMIT_RSS", int64(RLIMIT_RSS), int64(unix.RLIMIT_RSS)},
		{"RLIMIT_RTPRIO", int64(RLIMIT_RTPRIO), int64(unix.RLIMIT_RTPRIO)},
		{"RLIMIT_RTTIME", int64(RLIMIT_RTTIME), int64(unix.RLIMIT_RTTIME)},
		{"RLIMIT_SIGPENDING", int64(RLIMIT_SIGPENDING), int64(unix.RLIMIT_SIGPENDING)},
		{"RLIMIT_STACK", int64(RLIMIT_STACK), int64(unix.RLIMIT_STACK)},
		{"RUSAGE_SELF", int64(RUSAGE_SELF), int64(unix.RUSAGE_SELF)},
		{"SECCOMP_SET_MODE_FILTER", int64(SECCOMP_SET_MODE_FILTER), int64(unix.SECCOMP_SET_MODE_FILTER)},
		{"SEEK_END", int64(SEEK_END), int64(unix.SEEK_END)},
		{"SIGCHLD", int64(SIGCHLD), int64(unix.SIGCHLD)},
		{"SIGHUP", int64(SIGHUP), int64(unix.SIGHUP)},
		{"SIGINT", int64(SIGINT), int64(unix.SIGINT)},
		{"SIGKILL", int64(SIGKILL), int64(unix.SIGKILL)},
		{"SIGPIPE", int64(SIGPIPE), int64(unix.SIGPIPE)},
		{"SIGQUIT", int64(SIGQUIT), int64(unix.SIGQUIT)},
		{"SIGSYS", int64(SIGSYS), int64(unix.SIGSYS)},
		{"SIGTERM", int64(SIGTERM), int64(unix.SIGTERM)},
		{"SIGUSR1", int64(SIGUSR1), int64(unix.SIGUSR1)},
		{"SIGUSR2", int64(SIGUSR2), int64(unix.SIGUSR2)},
		{"SIGWINCH", int64(SIGWINCH), int64(unix.SIGWINCH)},
		{"SIOCSIFFLAGS", int64(SIOCSIFFLAGS), int64(unix.SIOCSIFFLAGS)},
		{"SOCK_CLOEXEC", int64(SOCK_CLOEXEC), int64(unix.SOCK_CLOEXEC)},
		{"SOCK_DGRAM", int64(SOCK_DGRAM), int64(unix.SOCK_DGRAM)},
		{"SOCK_STREAM", int64(SOCK_STREAM), int64(unix.SOCK_STREAM)},
		{"STATX_TYPE", int64(STATX_TYPE), int64(unix.STATX_TYPE)},
		{"SYS_CAPSET", int64(SYS_CAPSET), int64(unix.SYS_CAPSET)},
		{"SYS_CLONE", int64(SYS_CLONE), int64(unix.SYS_CLONE)},
		{"SYS_CLONE3", int64(SYS_CLONE3), int64(unix.SYS_CLONE3)},
		{"SYS_CLOSE", int64(SYS_CLOSE), int64(unix.SYS_CLOSE)},
		{"SYS_DUP3", int64(SYS_DUP3), int64(unix.SYS_DUP3)},
		{"SYS_EXECVE", int64(SYS_EXECVE), int64(unix.SYS_EXECVE)},
		{"SYS_EXIT_GROUP", int64(SYS_EXIT_GROUP), int64(unix.SYS_EXIT_GROUP)},
		{"SYS_FACCESSAT", int64(SYS_FACCESSAT), int64(unix.SYS_FACCESSAT)},
		{"SYS_FCNTL", int64(SYS_FCNTL), int64(unix.SYS_FCNTL)},
		{"SYS_IOCTL", int64(SYS_IOCTL), int64(unix.SYS_IOCTL)},
		{"SYS_MOUNT", int64(SYS_MOUNT), int64(unix.SYS_MOUNT)},
		{"SYS_OPENAT", int64(SYS_OPENAT), int64(unix.SYS_OPENAT)},
		{"SYS_PRCTL", int64(SYS_PRCTL), int64(unix.SYS_PRCTL)},
		{"SYS_PRLIMIT64", int64(SYS_PRLIMIT64), int64(unix.SYS_PRLIMIT64)},
		{"SYS_READ", int64(SYS_READ), int64(unix.SYS_READ)},
		{"SYS_RT_SIGACTION", int64(SYS_RT_SIGACTION), int64(unix.SYS_RT_SIGACTION)},
		{"SYS_SECCOMP", int64(SYS_SECCOMP), int64(unix.SYS_SECCOMP)},
		{"SYS_SETGROUPS", int64(SYS_SETGROUPS), int64(unix.SYS_SETGROUPS)},
		{"SYS_SETHOSTNAME", int64(SYS_SETHOSTNAME), int64(unix.SYS_SETHOSTNAME)},
		{"SYS_SETRESGID", int64(SYS_SETRESGID), int64(unix.SYS_SETRESGID)},
		{"SYS_SETRESUID", int64(SYS_SETRESUID), int64(unix.SYS_SETRESUID)},
		{"SYS_SOCKET", int64(SYS_SOCKET), int64(unix.SYS_SOCKET)},
		{"SYS_STATX", int64(SYS_STATX), int64(unix.SYS_STATX)},
		{"SYS_UNSHARE", int64(SYS_UNSHARE), int64(unix.SYS_UNSHARE)},
		{"SYS_WAITID", int64(SYS_WAITID), int64(unix.SYS_WAITID)},
		{"SYS_WRITE", int64(SYS_WRITE), int64(unix.SYS_WRITE)},
		{"SYS_PIDFD_OPEN", int64(SYS_PIDFD_OPEN), int64(unix.SYS_PIDFD_OPEN)},
		{"S_IFDIR", int64(S_IFDIR), int64(unix.S_IFDIR)},
		{"S_IFMT", int64(S_IFMT), int64(unix.S_IFMT)},
		{"WEXITED", int64(WEXITED), int64(unix.WEXITED)},
		{"WNOHANG", int64(WNOHANG), int64(unix.WNOHANG)},
		{"WNOWAIT", int64(WNOWAIT), int64(unix.WNOWAIT)},
		{"X_OK", int64(X_OK), int64(unix.X_OK)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, x/sys/unix says %#x", c.name, c.got, c.want)
		}
	}
	for _, s := range []struct {
		name      string
		got, want uintptr
	}{
		{"SockFilter", unsafe.Sizeof(SockFilter{}), unsafe.Sizeof(unix.SockFilter{})},
		{"SockFprog", unsafe.Sizeof(SockFprog{}), unsafe.Sizeof(unix.SockFprog{})},
		{"SockFprog.Filter", unsafe.Offsetof(SockFprog{}.Filter), unsafe.Offsetof(unix.SockFprog{}.Filter)},
		{"CapUserHeader", unsafe.Sizeof(CapUserHeader{}), unsafe.Sizeof(unix.CapUserHeader{})},
		{"CapUserData", unsafe.Sizeof(CapUserData{}), unsafe.Sizeof(unix.CapUserData{})},
		{"Statx_t", unsafe.Sizeof(Statx_t{}), unsafe.Sizeof(unix.Statx_t{})},
		{"Statx_t.Mode", unsafe.Offsetof(Statx_t{}.Mode), unsafe.Offsetof(unix.Statx_t{}.Mode)},
		{"Siginfo", unsafe.Sizeof(Siginfo{}), unsafe.Sizeof(unix.Siginfo{})},
		{"Ifreq", unsafe.Sizeof(Ifreq{}), unsafe.Sizeof(unix.Ifreq{})},
	} {
		if s.got != s.want {
			t.Errorf("%s: %d, x/sys/unix says %d", s.name, s.got, s.want)
		}
	}
	// The flags land where the kernel reads them.
	r, err := NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	r.SetUint16(0x9)
	u, err := unix.NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	u.SetUint16(0x9)
	if *(*[40]byte)(unsafe.Pointer(r)) != *(*[40]byte)(unsafe.Pointer(u)) {
		t.Error("ifreq bytes differ from x/sys/unix's")
	}
}
