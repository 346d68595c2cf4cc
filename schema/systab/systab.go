package systab

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Arch is one seccomp architecture.
type Arch struct {
	Name   string // libseccomp/OCI name: "SCMP_ARCH_X86_64"
	Short  string // short spelling accepted in profiles: "x86_64"
	Native string // the name Docker's includes/excludes.arches use: "amd64"
	Audit  uint32 // AUDIT_ARCH_* value seen in seccomp_data.arch
	Bits   int    // 64 or 32: how many bits of an argument the filter compares
	// NrBits is set on x32: bit 0x40000000 of every x32 syscall number.
	NrBits uint32
	// NoTable is set on an architecture profiles may name (Docker's archMap
	// does) but that has no syscall table here, because x/sys/unix has none:
	// s390, the mips n32 ABIs, parisc, m68k, sh. No filter can be compiled
	// for it.
	NoTable bool
}

type syscallEntry struct {
	name string
	nr   int
}

type errnoEntry struct {
	name  string
	nr    int
	alias bool
}

// archAliases are spellings beyond Name, Short and Native that people
// write: Go's GOARCH values, uname -m output and libseccomp's own short
// names (scmp_sys_resolver -a).
var archAliases = map[string]string{
	"i386": "SCMP_ARCH_X86", "i686": "SCMP_ARCH_X86", "386": "SCMP_ARCH_X86",
	"x86-64":  "SCMP_ARCH_X86_64",
	"loong64": "SCMP_ARCH_LOONGARCH64",
	"mipsle":  "SCMP_ARCH_MIPSEL", "mips64le": "SCMP_ARCH_MIPSEL64",
	"armv7l": "SCMP_ARCH_ARM", "armhf": "SCMP_ARCH_ARM",
	// Docker's goToNative spells mips64p32le this way (sic).
	"mips3l64n32": "SCMP_ARCH_MIPSEL64N32", "mips64p32": "SCMP_ARCH_MIPS64N32",
	"mips64p32le": "SCMP_ARCH_MIPSEL64N32",
}

type index struct {
	arch     map[string]int            // lower-case spelling -> archTable index
	byName   map[string]map[string]int // arch name -> syscall name -> nr
	byNr     map[string]map[int]string
	all      []string
	allSet   map[string]bool
	caps     map[string]int
	errnos   map[string]int
	errnoStr map[int]string
}

var idx = sync.OnceValue(func() *index {
	x := &index{
		arch:     map[string]int{},
		byName:   map[string]map[string]int{},
		byNr:     map[string]map[int]string{},
		allSet:   map[string]bool{},
		caps:     map[string]int{},
		errnos:   map[string]int{},
		errnoStr: map[int]string{},
	}
	for i, a := range archTable {
		for _, s := range []string{a.Name, a.Short, a.Native, strings.TrimPrefix(a.Name, "SCMP_ARCH_")} {
			x.arch[strings.ToLower(s)] = i
		}
	}
	for s, name := range archAliases {
		for i, a := range archTable {
			if a.Name == name {
				x.arch[s] = i
			}
		}
	}
	for arch, t := range syscallTables {
		n := make(map[string]int, len(t))
		r := make(map[int]string, len(t))
		for _, e := range t {
			n[e.name] = e.nr
			if _, dup := r[e.nr]; !dup {
				r[e.nr] = e.name
			}
			x.allSet[e.name] = true
		}
		x.byName[arch], x.byNr[arch] = n, r
	}
	for s := range x.allSet {
		x.all = append(x.all, s)
	}
	slices.Sort(x.all)
	for i, c := range capabilityTable {
		x.caps[c] = i
	}
	for _, e := range errnoTable {
		x.errnos[e.name] = e.nr
		if !e.alias {
			x.errnoStr[e.nr] = e.name
		}
	}
	return x
})

// Arches returns every known architecture in a stable order: those with a
// syscall table first, then the NoTable ones.
func Arches() []Arch { return slices.Clone(archTable) }

// LookupArch finds an architecture by any of its spellings, ignoring case:
// "SCMP_ARCH_X86_64", "x86_64", "amd64", "i386", "arm64", "loong64", ...
func LookupArch(s string) (Arch, bool) {
	i, ok := idx().arch[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return Arch{}, false
	}
	return archTable[i], true
}

// NativeArch returns the architecture this program was built for. Under a
// GOARCH without a table (sparc64, say) it returns the zero Arch.
func NativeArch() Arch {
	a, _ := LookupArch(runtime.GOARCH)
	return a
}

// ArchNames returns every accepted architecture spelling, sorted, for
// suggestions on a misspelt one.
func ArchNames() []string {
	seen := map[string]bool{}
	var res []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			res = append(res, s)
		}
	}
	for _, a := range archTable {
		add(a.Name)
		add(a.Short)
		add(a.Native)
	}
	for s := range archAliases {
		add(s)
	}
	slices.Sort(res)
	return res
}

func archKey(arch string) string {
	if _, ok := syscallTables[arch]; ok {
		return arch
	}
	if a, ok := LookupArch(arch); ok {
		return a.Name
	}
	return ""
}

// SyscallNumber returns the number of syscall name on arch (an Arch.Name;
// other spellings are accepted too). x32 numbers include bit 0x40000000.
func SyscallNumber(arch, name string) (int, bool) {
	nr, ok := idx().byName[archKey(arch)][name]
	return nr, ok
}

// SyscallName returns the name of syscall nr on arch.
func SyscallName(arch string, nr int) (string, bool) {
	s, ok := idx().byNr[archKey(arch)][nr]
	return s, ok
}

// SyscallNames returns the syscalls of arch sorted by number, or nil for an
// unknown arch.
func SyscallNames(arch string) []string {
	t := syscallTables[archKey(arch)]
	if t == nil {
		return nil
	}
	res := make([]string, len(t))
	for i, e := range t {
		res[i] = e.name
	}
	return res
}

// MaxSyscall returns the highest syscall number in arch's table, or -1 for
// an unknown arch.
func MaxSyscall(arch string) int {
	t := syscallTables[archKey(arch)]
	if len(t) == 0 {
		return -1
	}
	return t[len(t)-1].nr
}

// KnownSyscall reports whether name is a syscall on any architecture.
func KnownSyscall(name string) bool { return idx().allSet[name] }

// AllSyscallNames returns the union of all architectures' syscall names,
// sorted.
func AllSyscallNames() []string { return slices.Clone(idx().all) }

// Capability returns the number of a capability written "CAP_CHOWN",
// "chown" or "CHOWN".
func Capability(name string) (int, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	c, ok := idx().caps[n]
	return c, ok
}

// CapabilityName returns the canonical name of capability n ("CAP_CHOWN"),
// or "CAP_n" as a number for one this table does not know.
func CapabilityName(n int) string {
	if n >= 0 && n < len(capabilityTable) {
		return capabilityTable[n]
	}
	return fmt.Sprintf("CAP_%d", n)
}

// CapabilityNames returns the canonical capability names ordered by number.
func CapabilityNames() []string { return slices.Clone(capabilityTable) }

// Errno returns the generic Linux value of an errno name ("EPERM", "eperm").
// Aliases such as EWOULDBLOCK are accepted.
func Errno(name string) (int, bool) {
	n, ok := idx().errnos[strings.ToUpper(strings.TrimSpace(name))]
	return n, ok
}

// ErrnoName returns the canonical name of errno n ("EAGAIN" for 11, not
// EWOULDBLOCK), or "" when n has none.
func ErrnoName(n int) string { return idx().errnoStr[n] }

// ErrnoNames returns all errno names including aliases, ordered by number.
func ErrnoNames() []string {
	res := make([]string, len(errnoTable))
	for i, e := range errnoTable {
		res[i] = e.name
	}
	return res
}

// KernelVersion returns the running kernel's "major.minor", the precision
// Docker's minKernel conditions compare at.
func KernelVersion() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("read kernel version: %w", err)
	}
	return parseKernelVersion(unix.ByteSliceToString(u.Release[:]))
}

// parseKernelVersion turns a uname release ("6.1.0-18-amd64",
// "5.15.0-91-generic", "6.8") into "major.minor".
func parseKernelVersion(release string) (string, error) {
	var major, minor int
	rest := release
	for i, p := range []*int{&major, &minor} {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' && j < 9 {
			j++
		}
		if j == 0 {
			return "", fmt.Errorf("parse kernel release %q: no version number", release)
		}
		for _, c := range rest[:j] {
			*p = *p*10 + int(c-'0')
		}
		rest = rest[j:]
		if i == 0 {
			if !strings.HasPrefix(rest, ".") {
				return "", fmt.Errorf("parse kernel release %q: no minor version", release)
			}
			rest = rest[1:]
		}
	}
	return fmt.Sprintf("%d.%d", major, minor), nil
}
