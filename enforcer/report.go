package enforcer

import (
	"io"
	"strconv"
	"time"

	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sys"

	"github.com/profilec/profilec/enforcer/internal/sysnames"
)

// kmsgTail reads the kernel log from the point where it was opened. A
// seccomp kill leaves an audit record there (type=1326 AUDIT_SECCOMP,
// logged for kill actions by default: seccomp(2) actions_logged, and
// printed to the log by kauditd when no audit daemon runs) naming the
// syscall, the arch and whether it came through the compat entry.
// /proc/PID/syscall cannot: by the time the zombie can be inspected the
// task is no longer in a syscall and the file says -1.
//
// The log is subject to printk's rate limit (kernel.printk_ratelimit_burst
// records per kernel.printk_ratelimit seconds, 10 per 5 by default, shared
// by the whole machine) and to kernel.dmesg_restrict; a record it drops
// makes the report say the syscall is unknown, never guess.
type kmsgTail struct{ fd int }

// openKmsg positions a reader at the end of the log, so only records
// written after the target started can match.
func openKmsg() *kmsgTail {
	fd, err := sys.Open("/dev/kmsg", sys.O_RDONLY|sys.O_NONBLOCK|sys.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if _, err := sys.Seek(fd, 0, sys.SEEK_END); err != nil {
		sys.Close(fd)
		return nil
	}
	return &kmsgTail{fd: fd}
}

func (k *kmsgTail) close() {
	if k != nil && k.fd >= 0 {
		sys.Close(k.fd)
		k.fd = -1
	}
}

// seccompRecord finds the AUDIT_SECCOMP record for pid (the pid as the
// initial pid namespace sees it, which is what audit logs). kauditd
// prints asynchronously, so it polls briefly.
func (k *kmsgTail) seccompRecord(pid int) (map[string]string, bool) {
	if k == nil || k.fd < 0 {
		return nil, false
	}
	want := " pid=" + strconv.Itoa(pid) + " "
	buf := make([]byte, 8192)
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		for {
			n, err := sys.Read(k.fd, buf)
			if err == sys.EPIPE {
				continue // records were overwritten; keep reading newer ones
			}
			if err != nil || n <= 0 {
				break
			}
			if rec := string(buf[:n]); text.Contains(rec, "type=1326") && text.Contains(rec, want) {
				return auditFields(rec), true
			}
		}
		if time.Now().After(deadline) {
			return nil, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func auditFields(rec string) map[string]string {
	m := map[string]string{}
	if i := text.Index(rec, "type=1326"); i >= 0 {
		rec = rec[i:]
	}
	for _, f := range text.Fields(rec) {
		if k, v, ok := text.Cut(f, "="); ok {
			m[k] = text.Trim(v, `"`)
		}
	}
	return m
}

// auditArchName maps AUDIT_ARCH_* onto libseccomp's short names.
var auditArchName = map[uint64]string{
	0xc000003e: "x86_64",
	0x40000003: "x86",
	0xc00000b7: "aarch64",
	0x40000028: "arm",
	0xc00000f3: "riscv64",
	0x80000016: "s390x",
	0xc0000015: "ppc64le",
}

// seccompReport says which syscall got the target killed.
func seccompReport(k *kmsgTail, pid int) string {
	rec, ok := k.seccompRecord(pid)
	if !ok {
		return "killed by seccomp (SIGSYS); the syscall is not known: no audit record in /dev/kmsg (unreadable, or dropped by printk's rate limit)"
	}
	nr, err := strconv.ParseInt(rec["syscall"], 10, 64)
	if err != nil {
		return "killed by seccomp (SIGSYS); unreadable audit record"
	}
	arch, _ := strconv.ParseUint(rec["arch"], 16, 32)
	return "killed by seccomp: syscall " + syscallName(arch, nr)
}

func syscallName(auditArch uint64, nr int64) string {
	var name, a string
	switch auditArch {
	case 0xc000003e:
		name, a = sysnames.Name(nr, false)
	case 0x40000003:
		name, a = sysnames.Name(nr, true)
	default:
		a = auditArchName[auditArch]
		if a == "" {
			a = "audit arch 0x" + strconv.FormatUint(auditArch, 16)
		}
	}
	if name == "" {
		return text.D(nr) + " on " + a
	}
	return name + " (" + text.D(nr) + ") on " + a
}

// WriteOutcome prints what profilec exec says after a run: the optional
// cgroup limits skipped, why the kernel ended the target, and the stats
// when they were asked for; each line starts with prefix and ": ".
func WriteOutcome(w io.Writer, prefix string, res Result) {
	for _, s := range res.Skipped {
		io.WriteString(w, prefix+": skipped optional cgroup limit: "+s+"\n")
	}
	if res.Report != "" {
		io.WriteString(w, prefix+": "+res.Report+"\n")
	}
	if res.Stats != nil {
		WriteStats(w, prefix, res.Stats)
	}
}

// WriteStats prints s as `profilec exec --stats` does, each line starting
// with prefix and ": ".
func WriteStats(w io.Writer, prefix string, s *Stats) {
	if s.CgroupVersion == 0 {
		io.WriteString(w, prefix+": stats: no cgroup could be created, nothing measured; supervisor peak RSS "+mib(s.SupervisorPeakRSS)+"\n")
		return
	}
	pids := text.D(s.PeakPids)
	if s.PidsSampled {
		pids += " (sampled every 10ms; this kernel keeps no pids.peak)"
	}
	io.WriteString(w, prefix+": stats: peak memory "+mib(s.PeakMemory)+", cpu time "+s.CPUTime.Round(time.Microsecond).String()+
		", peak pids "+pids+" (cgroup v"+text.D(s.CgroupVersion)+"); supervisor peak RSS "+mib(s.SupervisorPeakRSS)+"\n")
}

func mib(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return text.TrimSuffix(text.TrimRight(strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64), "0"), ".") + " MiB"
}
