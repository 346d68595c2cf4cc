//go:build linux && (amd64 || arm64)

package sys

import (
	"syscall"
	"unsafe"
)

// Values from the kernel's UAPI headers; the same on amd64 and arm64
// unless sys_<arch>.go says otherwise. TestValuesMatchXSys compares
// every one with golang.org/x/sys/unix.
const (
	AF_INET = syscall.AF_INET
	AF_UNIX = syscall.AF_UNIX

	CAP_CHOWN              = 0
	CAP_DAC_OVERRIDE       = 1
	CAP_DAC_READ_SEARCH    = 2
	CAP_FOWNER             = 3
	CAP_FSETID             = 4
	CAP_KILL               = 5
	CAP_SETGID             = 6
	CAP_SETUID             = 7
	CAP_SETPCAP            = 8
	CAP_LINUX_IMMUTABLE    = 9
	CAP_NET_BIND_SERVICE   = 10
	CAP_NET_BROADCAST      = 11
	CAP_NET_ADMIN          = 12
	CAP_NET_RAW            = 13
	CAP_IPC_LOCK           = 14
	CAP_IPC_OWNER          = 15
	CAP_SYS_MODULE         = 16
	CAP_SYS_RAWIO          = 17
	CAP_SYS_CHROOT         = 18
	CAP_SYS_PTRACE         = 19
	CAP_SYS_PACCT          = 20
	CAP_SYS_ADMIN          = 21
	CAP_SYS_BOOT           = 22
	CAP_SYS_NICE           = 23
	CAP_SYS_RESOURCE       = 24
	CAP_SYS_TIME           = 25
	CAP_SYS_TTY_CONFIG     = 26
	CAP_MKNOD              = 27
	CAP_LEASE              = 28
	CAP_AUDIT_WRITE        = 29
	CAP_AUDIT_CONTROL      = 30
	CAP_SETFCAP            = 31
	CAP_MAC_OVERRIDE       = 32
	CAP_MAC_ADMIN          = 33
	CAP_SYSLOG             = 34
	CAP_WAKE_ALARM         = 35
	CAP_BLOCK_SUSPEND      = 36
	CAP_AUDIT_READ         = 37
	CAP_PERFMON            = 38
	CAP_BPF                = 39
	CAP_CHECKPOINT_RESTORE = 40
	CAP_LAST_CAP           = 40

	CGROUP2_SUPER_MAGIC = 0x63677270
	CGROUP_SUPER_MAGIC  = 0x27e0eb

	CLONE_NEWTIME     = 0x80
	CLONE_VM          = 0x100
	CLONE_VFORK       = 0x4000
	CLONE_NEWNS       = 0x20000
	CLONE_NEWCGROUP   = 0x2000000
	CLONE_NEWUTS      = 0x4000000
	CLONE_NEWIPC      = 0x8000000
	CLONE_NEWUSER     = 0x10000000
	CLONE_NEWPID      = 0x20000000
	CLONE_NEWNET      = 0x40000000
	CLONE_INTO_CGROUP = 0x200000000

	EBUSY     = syscall.EBUSY
	EINTR     = syscall.EINTR
	EINVAL    = syscall.EINVAL
	EIO       = syscall.EIO
	ENOENT    = syscall.ENOENT
	ENOSYS    = syscall.ENOSYS
	ENOTEMPTY = syscall.ENOTEMPTY
	EPIPE     = syscall.EPIPE
	EROFS     = syscall.EROFS
	ESRCH     = syscall.ESRCH
	ETIMEDOUT = syscall.ETIMEDOUT

	EFD_CLOEXEC = syscall.O_CLOEXEC

	F_DUPFD_CLOEXEC = syscall.F_DUPFD_CLOEXEC

	IFF_UP       = 0x1
	IFF_LOOPBACK = 0x8

	LINUX_CAPABILITY_VERSION_3 = 0x20080522

	MAP_ANONYMOUS = syscall.MAP_ANONYMOUS
	MAP_SHARED    = syscall.MAP_SHARED
	PROT_READ     = syscall.PROT_READ
	PROT_WRITE    = syscall.PROT_WRITE

	MS_NOSUID  = syscall.MS_NOSUID
	MS_NODEV   = syscall.MS_NODEV
	MS_NOEXEC  = syscall.MS_NOEXEC
	MS_REC     = syscall.MS_REC
	MS_PRIVATE = syscall.MS_PRIVATE

	O_RDONLY    = syscall.O_RDONLY
	O_WRONLY    = syscall.O_WRONLY
	O_NONBLOCK  = syscall.O_NONBLOCK
	O_CLOEXEC   = syscall.O_CLOEXEC
	O_DIRECTORY = syscall.O_DIRECTORY
	O_PATH      = 0x200000

	PIDFD_NONBLOCK = syscall.O_NONBLOCK

	POLLIN  = 0x1
	POLLHUP = 0x10

	PR_SET_PDEATHSIG         = 1
	PR_SET_KEEPCAPS          = 8
	PR_SET_NAME              = 15
	PR_CAPBSET_DROP          = 24
	PR_SET_NO_NEW_PRIVS      = 38
	PR_CAP_AMBIENT           = 47
	PR_CAP_AMBIENT_RAISE     = 2
	PR_CAP_AMBIENT_CLEAR_ALL = 4

	P_PID   = 1
	P_PIDFD = 3

	RLIMIT_CPU        = 0
	RLIMIT_FSIZE      = 1
	RLIMIT_DATA       = 2
	RLIMIT_STACK      = 3
	RLIMIT_CORE       = 4
	RLIMIT_RSS        = 5
	RLIMIT_NPROC      = 6
	RLIMIT_NOFILE     = 7
	RLIMIT_MEMLOCK    = 8
	RLIMIT_AS         = 9
	RLIMIT_LOCKS      = 10
	RLIMIT_SIGPENDING = 11
	RLIMIT_MSGQUEUE   = 12
	RLIMIT_NICE       = 13
	RLIMIT_RTPRIO     = 14
	RLIMIT_RTTIME     = 15

	RUSAGE_SELF = 0

	SECCOMP_SET_MODE_FILTER = 1

	SEEK_END = 2

	SIGCHLD  = syscall.SIGCHLD
	SIGHUP   = syscall.SIGHUP
	SIGINT   = syscall.SIGINT
	SIGKILL  = syscall.SIGKILL
	SIGPIPE  = syscall.SIGPIPE
	SIGQUIT  = syscall.SIGQUIT
	SIGSYS   = syscall.SIGSYS
	SIGTERM  = syscall.SIGTERM
	SIGUSR1  = syscall.SIGUSR1
	SIGUSR2  = syscall.SIGUSR2
	SIGWINCH = syscall.SIGWINCH

	SIOCSIFFLAGS = 0x8914

	SOCK_STREAM  = syscall.SOCK_STREAM
	SOCK_DGRAM   = syscall.SOCK_DGRAM
	SOCK_CLOEXEC = syscall.SOCK_CLOEXEC

	STATX_TYPE = 0x1

	S_IFMT  = syscall.S_IFMT
	S_IFDIR = syscall.S_IFDIR

	SYS_CAPSET       = syscall.SYS_CAPSET
	SYS_CLONE        = syscall.SYS_CLONE
	SYS_CLOSE        = syscall.SYS_CLOSE
	SYS_DUP3         = syscall.SYS_DUP3
	SYS_EXECVE       = syscall.SYS_EXECVE
	SYS_EXIT_GROUP   = syscall.SYS_EXIT_GROUP
	SYS_FACCESSAT    = syscall.SYS_FACCESSAT
	SYS_FCNTL        = syscall.SYS_FCNTL
	SYS_IOCTL        = syscall.SYS_IOCTL
	SYS_MOUNT        = syscall.SYS_MOUNT
	SYS_OPENAT       = syscall.SYS_OPENAT
	SYS_PPOLL        = syscall.SYS_PPOLL
	SYS_PRCTL        = syscall.SYS_PRCTL
	SYS_PRLIMIT64    = syscall.SYS_PRLIMIT64
	SYS_READ         = syscall.SYS_READ
	SYS_RT_SIGACTION = syscall.SYS_RT_SIGACTION
	SYS_SETGROUPS    = syscall.SYS_SETGROUPS
	SYS_SETHOSTNAME  = syscall.SYS_SETHOSTNAME
	SYS_SETRESGID    = syscall.SYS_SETRESGID
	SYS_SETRESUID    = syscall.SYS_SETRESUID
	SYS_SOCKET       = syscall.SYS_SOCKET
	SYS_UNSHARE      = syscall.SYS_UNSHARE
	SYS_WAITID       = syscall.SYS_WAITID
	SYS_WRITE        = syscall.SYS_WRITE
	// Newer than package syscall's tables; the same on every architecture.
	SYS_PIDFD_OPEN = 434
	SYS_CLONE3     = 435

	WNOHANG = 0x1
	WEXITED = 0x4
	WNOWAIT = 0x1000000

	X_OK = 0x1
)

type (
	Timespec   = syscall.Timespec
	Rlimit     = syscall.Rlimit
	Rusage     = syscall.Rusage
	Stat_t     = syscall.Stat_t
	Statfs_t   = syscall.Statfs_t
	WaitStatus = syscall.WaitStatus
)

// SockFilter is struct sock_filter.
type SockFilter struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// SockFprog is struct sock_fprog.
type SockFprog struct {
	Len    uint16
	Filter *SockFilter
}

// CapUserHeader and CapUserData are capset(2)'s structs.
type CapUserHeader struct {
	Version uint32
	Pid     int32
}

type CapUserData struct {
	Effective   uint32
	Permitted   uint32
	Inheritable uint32
}

// Statx_t is struct statx as far as the launch reads it (Mode), padded
// to the kernel's 256 bytes.
type Statx_t struct {
	Mask       uint32
	Blksize    uint32
	Attributes uint64
	Nlink      uint32
	Uid        uint32
	Gid        uint32
	Mode       uint16
	_          [226]byte
}

// PollFd is struct pollfd.
type PollFd struct {
	Fd      int32
	Events  int16
	Revents int16
}

// Siginfo is a siginfo_t's 128 bytes.
type Siginfo struct{ _ [128]byte }

// Ifreq is struct ifreq: a name and, here, the flags.
type Ifreq struct {
	name  [16]byte
	flags uint16
	_     [22]byte
}

// NewIfreq is an ifreq for the interface name.
func NewIfreq(name string) (*Ifreq, error) {
	var r Ifreq
	if len(name) >= len(r.name) {
		return nil, syscall.EINVAL
	}
	copy(r.name[:], name)
	return &r, nil
}

// SetUint16 sets the flags.
func (r *Ifreq) SetUint16(v uint16) { r.flags = v }

var (
	Close     = syscall.Close
	Fstat     = syscall.Fstat
	Getrusage = syscall.Getrusage
	Kill      = syscall.Kill
	Mkdir     = syscall.Mkdir
	// NsecToTimespec is the struct timespec of a duration in ns, in the
	// field widths of the architecture (32 bits on 386 and arm).
	NsecToTimespec = syscall.NsecToTimespec
	Mmap           = syscall.Mmap
	Munmap         = syscall.Munmap
	Open           = syscall.Open
	Read           = syscall.Read
	Rmdir          = syscall.Rmdir
	Seek           = syscall.Seek
	Socketpair     = syscall.Socketpair
	Statfs         = syscall.Statfs
	Wait4          = syscall.Wait4
	Write          = syscall.Write
)

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// FcntlInt is fcntl(fd, cmd, arg) returning an int.
func FcntlInt(fd uintptr, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(SYS_FCNTL, fd, uintptr(cmd), uintptr(arg))
	return int(r), errnoErr(e)
}

// Eventfd is eventfd2(2).
func Eventfd(initval uint, flags int) (int, error) {
	r, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, uintptr(initval), uintptr(flags), 0)
	return int(r), errnoErr(e)
}

// PidfdOpen is pidfd_open(2).
func PidfdOpen(pid, flags int) (int, error) {
	r, _, e := syscall.Syscall(SYS_PIDFD_OPEN, uintptr(pid), uintptr(flags), 0)
	return int(r), errnoErr(e)
}

// Waitid is waitid(2).
func Waitid(idType, id int, info *Siginfo, options int, rusage *Rusage) error {
	_, _, e := syscall.Syscall6(SYS_WAITID, uintptr(idType), uintptr(id), uintptr(unsafe.Pointer(info)), uintptr(options), uintptr(unsafe.Pointer(rusage)), 0)
	return errnoErr(e)
}
