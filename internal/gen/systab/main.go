// Command systab generates schema/systab/zz_generated.go from the syscall,
// capability and errno constants of golang.org/x/sys/unix, so that the tables
// follow the module version in go.mod instead of being typed by hand.
//
// Usage (from schema/systab, through go generate):
//
//	go run ../../internal/gen/systab [-o zz_generated.go] [-xsys DIR]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/constant"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// arch describes one seccomp architecture and where its table comes from.
type arch struct {
	name, short, native string
	goarch              string // x/sys/unix zsysnum_linux_GOARCH.go; "" for derived tables
	audit               string // AUDIT_ARCH_* constant name
	bits                int
	nrBits              uint32
}

// arches lists every architecture libseccomp and the OCI runtime-spec name.
// Those x/sys/unix has no syscall table for (goarch "-") are still listed,
// flagged NoTable, because Docker profiles name them (the default profile's
// archMap lists SCMP_ARCH_MIPS64N32 and SCMP_ARCH_S390) and a pasted Docker
// profile must load; filters cannot be compiled for them.
var arches = []arch{
	{"SCMP_ARCH_X86_64", "x86_64", "amd64", "amd64", "AUDIT_ARCH_X86_64", 64, 0},
	{"SCMP_ARCH_X86", "x86", "x86", "386", "AUDIT_ARCH_I386", 32, 0},
	// libseccomp's arch-x32.c: x32 shares AUDIT_ARCH_X86_64 with x86_64 and
	// compares arguments as 32-bit values (ARCH_SIZE_32).
	{"SCMP_ARCH_X32", "x32", "x32", "", "AUDIT_ARCH_X86_64", 32, 0x40000000},
	{"SCMP_ARCH_ARM", "arm", "arm", "arm", "AUDIT_ARCH_ARM", 32, 0},
	{"SCMP_ARCH_AARCH64", "aarch64", "arm64", "arm64", "AUDIT_ARCH_AARCH64", 64, 0},
	{"SCMP_ARCH_MIPS", "mips", "mips", "mips", "AUDIT_ARCH_MIPS", 32, 0},
	{"SCMP_ARCH_MIPSEL", "mipsel", "mipsel", "mipsle", "AUDIT_ARCH_MIPSEL", 32, 0},
	{"SCMP_ARCH_MIPS64", "mips64", "mips64", "mips64", "AUDIT_ARCH_MIPS64", 64, 0},
	{"SCMP_ARCH_MIPSEL64", "mipsel64", "mipsel64", "mips64le", "AUDIT_ARCH_MIPSEL64", 64, 0},
	{"SCMP_ARCH_PPC", "ppc", "ppc", "ppc", "AUDIT_ARCH_PPC", 32, 0},
	{"SCMP_ARCH_PPC64", "ppc64", "ppc64", "ppc64", "AUDIT_ARCH_PPC64", 64, 0},
	{"SCMP_ARCH_PPC64LE", "ppc64le", "ppc64le", "ppc64le", "AUDIT_ARCH_PPC64LE", 64, 0},
	{"SCMP_ARCH_S390X", "s390x", "s390x", "s390x", "AUDIT_ARCH_S390X", 64, 0},
	{"SCMP_ARCH_RISCV64", "riscv64", "riscv64", "riscv64", "AUDIT_ARCH_RISCV64", 64, 0},
	{"SCMP_ARCH_LOONGARCH64", "loongarch64", "loongarch64", "loong64", "AUDIT_ARCH_LOONGARCH64", 64, 0},
	// No table in x/sys/unix. The n32 ABIs pass 64-bit registers but
	// libseccomp compares 32-bit arguments for them (ARCH_SIZE_32).
	{"SCMP_ARCH_MIPS64N32", "mips64n32", "mips64n32", "-", "AUDIT_ARCH_MIPS64N32", 32, 0},
	{"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", "mipsel64n32", "-", "AUDIT_ARCH_MIPSEL64N32", 32, 0},
	{"SCMP_ARCH_S390", "s390", "s390", "-", "AUDIT_ARCH_S390", 32, 0},
	{"SCMP_ARCH_PARISC", "parisc", "parisc", "-", "AUDIT_ARCH_PARISC", 32, 0},
	{"SCMP_ARCH_PARISC64", "parisc64", "parisc64", "-", "AUDIT_ARCH_PARISC64", 64, 0},
	{"SCMP_ARCH_M68K", "m68k", "m68k", "-", "AUDIT_ARCH_M68K", 32, 0},
	// libseccomp's SCMP_ARCH_SH is little-endian SuperH (AUDIT_ARCH_SHEL);
	// SCMP_ARCH_SHEB is AUDIT_ARCH_SH.
	{"SCMP_ARCH_SH", "sh", "sh", "-", "AUDIT_ARCH_SHEL", 32, 0},
	{"SCMP_ARCH_SHEB", "sheb", "sheb", "-", "AUDIT_ARCH_SH", 32, 0},
}

// x86_64Only are the syscalls marked "64" in the kernel's
// arch/x86/entry/syscalls/syscall_64.tbl: an x32 task cannot reach them under
// their x86_64 numbers. Those that take pointers to structures with longs
// were given separate x32 numbers (x32Compat); the rest do not exist on x32.
var x86_64Only = []string{
	"rt_sigaction", "rt_sigreturn", "ioctl", "readv", "writev", "recvfrom",
	"sendmsg", "recvmsg", "setsockopt", "getsockopt", "execve", "ptrace",
	"rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack",
	"uselib", "_sysctl", "create_module", "get_kernel_syms", "query_module",
	"nfsservctl", "set_thread_area", "io_setup", "io_submit",
	"get_thread_area", "epoll_ctl_old", "epoll_wait_old", "timer_create",
	"vserver", "mq_notify", "kexec_load", "waitid", "set_robust_list",
	"get_robust_list", "vmsplice", "move_pages", "preadv", "pwritev",
	"rt_tgsigqueueinfo", "recvmmsg", "sendmmsg", "process_vm_readv",
	"process_vm_writev", "execveat", "preadv2", "pwritev2",
	"map_shadow_stack", // 453, added in Linux 6.6 as "64"
}

// x32Compat is the "x32" ABI range 512..547 of syscall_64.tbl, in order
// (the kernel promises never to add to it). The numbers here lack the x32
// bit 0x40000000, which is added like for every other x32 syscall.
var x32Compat = []string{
	"rt_sigaction", "rt_sigreturn", "ioctl", "readv", "writev", "recvfrom",
	"sendmsg", "recvmsg", "execve", "ptrace", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigqueueinfo", "sigaltstack", "timer_create",
	"mq_notify", "kexec_load", "waitid", "set_robust_list", "get_robust_list",
	"vmsplice", "move_pages", "preadv", "pwritev", "rt_tgsigqueueinfo",
	"recvmmsg", "sendmmsg", "process_vm_readv", "process_vm_writev",
	"setsockopt", "getsockopt", "io_setup", "io_submit", "execveat",
	"preadv2", "pwritev2",
}

// armPrivate are the ARM-specific syscalls at __ARM_NR_BASE (0x0f0000) from
// the kernel's arch/arm/include/uapi/asm/unistd.h. x/sys/unix's table stops
// before them, but Docker's default profile names breakpoint, cacheflush and
// set_tls, and libseccomp resolves them.
var armPrivate = []struct {
	name   string
	offset int
}{
	{"breakpoint", 1}, {"cacheflush", 2}, {"usr26", 3}, {"usr32", 4}, {"set_tls", 5}, {"get_tls", 6},
}

const armNRBase = 0x0f0000

// errnoAliases are second names for an errno number; the other name is the
// canonical one ErrnoName returns.
var errnoAliases = map[string]bool{"EWOULDBLOCK": true, "EDEADLOCK": true, "ENOTSUP": true}

// notSyscall tells the markers and placeholders of the kernel's unistd.h,
// which x/sys/unix carries as SYS_ constants, from syscalls: the base of
// arch-private numbers (arch_specific_syscall, 244 on aarch64), ARM's
// __NR_SYSCALL_MASK (0, colliding with restart_syscall) and the mips
// "reserved221"/"unused18" holes. libseccomp knows none of them.
func notSyscall(name string) bool {
	if name == "arch_specific_syscall" || name == "syscall_mask" {
		return true
	}
	for _, p := range []string{"reserved", "unused"} {
		if rest, ok := strings.CutPrefix(name, p); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

type entry struct {
	name  string
	nr    int64
	errno bool // written as syscall.Errno(N)
}

func main() {
	out := flag.String("o", "zz_generated.go", "output file")
	xsys := flag.String("xsys", "", "golang.org/x/sys module directory (default: from go list)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen/systab: ")

	dir := *xsys
	version := ""
	if dir == "" {
		var err error
		dir, version, err = moduleDir("golang.org/x/sys")
		if err != nil {
			log.Fatal(err)
		}
	}
	src, err := generate(filepath.Join(dir, "unix"), version)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatalf("write output: %v", err)
	}
}

func moduleDir(mod string) (dir, version string, err error) {
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", mod).Output()
	if err != nil {
		return "", "", fmt.Errorf("locate module %s: %w", mod, err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "" {
		return "", "", fmt.Errorf("locate module %s: unexpected go list output %q", mod, b)
	}
	return f[0], f[1], nil
}

// constants returns the integer constants of a Go file whose names start
// with prefix. Values written as syscall.Errno(N) count as N.
func constants(path, prefix string) ([]entry, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var res []entry
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				v := vs.Values[i]
				isErrno := false
				if call, ok := v.(*ast.CallExpr); ok && len(call.Args) == 1 {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Errno" {
						isErrno = true
					}
					v = call.Args[0]
				}
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.INT {
					continue
				}
				c := constant.MakeFromLiteral(lit.Value, lit.Kind, 0)
				x, exact := constant.Int64Val(c)
				if !exact {
					return nil, fmt.Errorf("parse %s: constant %s out of range", path, n.Name)
				}
				res = append(res, entry{n.Name, x, isErrno})
			}
		}
	}
	return res, nil
}

func syscallTable(unixDir, goarch string) ([]entry, error) {
	cs, err := constants(filepath.Join(unixDir, "zsysnum_linux_"+goarch+".go"), "SYS_")
	if err != nil {
		return nil, err
	}
	if len(cs) < 200 {
		return nil, fmt.Errorf("read syscall table %s: only %d entries", goarch, len(cs))
	}
	var res []entry
	for _, c := range cs {
		// The kernel's names are the constants' names lower-cased: SYS__LLSEEK
		// is _llseek, SYS__NEWSELECT _newselect, as libseccomp spells them.
		c.name = strings.ToLower(strings.TrimPrefix(c.name, "SYS_"))
		if notSyscall(c.name) {
			continue
		}
		res = append(res, c)
	}
	return res, nil
}

func x32Table(amd64 []entry) ([]entry, error) {
	only := map[string]bool{}
	for _, n := range x86_64Only {
		only[n] = true
	}
	var res []entry
	seen := map[string]bool{}
	for _, e := range amd64 {
		if only[e.name] {
			seen[e.name] = true
			continue
		}
		res = append(res, entry{name: e.name, nr: 0x40000000 | e.nr})
	}
	for _, n := range x86_64Only {
		if !seen[n] {
			return nil, fmt.Errorf("derive x32 table: %s not in the x86_64 table", n)
		}
	}
	for i, n := range x32Compat {
		res = append(res, entry{name: n, nr: 0x40000000 | int64(512+i)})
	}
	return res, nil
}

func sortEntries(es []entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].nr != es[j].nr {
			return es[i].nr < es[j].nr
		}
		return es[i].name < es[j].name
	})
}

func generate(unixDir, version string) ([]byte, error) {
	audit, err := constants(filepath.Join(unixDir, "zerrors_linux.go"), "AUDIT_ARCH_")
	if err != nil {
		return nil, err
	}
	auditNr := map[string]int64{}
	for _, e := range audit {
		auditNr[e.name] = e.nr
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen/systab; DO NOT EDIT.\n\n")
	if version != "" {
		fmt.Fprintf(&b, "// Source: golang.org/x/sys %s.\n\n", version)
	}
	fmt.Fprintf(&b, "package systab\n\n")

	fmt.Fprintf(&b, "var archTable = []Arch{\n")
	for _, a := range arches {
		au, ok := auditNr[a.audit]
		if !ok {
			return nil, fmt.Errorf("generate arch %s: no constant %s", a.name, a.audit)
		}
		fmt.Fprintf(&b, "{Name: %q, Short: %q, Native: %q, Audit: %#x, Bits: %d", a.name, a.short, a.native, au, a.bits)
		if a.nrBits != 0 {
			fmt.Fprintf(&b, ", NrBits: %#x", a.nrBits)
		}
		if a.goarch == "-" {
			fmt.Fprintf(&b, ", NoTable: true")
		}
		fmt.Fprintf(&b, "},\n")
	}
	fmt.Fprintf(&b, "}\n\n")

	tables := map[string][]entry{}
	for _, a := range arches {
		if a.goarch == "" || a.goarch == "-" {
			continue
		}
		t, err := syscallTable(unixDir, a.goarch)
		if err != nil {
			return nil, err
		}
		if a.goarch == "arm" {
			for _, p := range armPrivate {
				t = append(t, entry{name: p.name, nr: armNRBase + int64(p.offset)})
			}
		}
		tables[a.name] = t
	}
	x32, err := x32Table(tables["SCMP_ARCH_X86_64"])
	if err != nil {
		return nil, err
	}
	tables["SCMP_ARCH_X32"] = x32

	fmt.Fprintf(&b, "// syscallTables holds each architecture's syscalls sorted by number.\n")
	fmt.Fprintf(&b, "var syscallTables = map[string][]syscallEntry{\n")
	for _, a := range arches {
		t := tables[a.name]
		if t == nil {
			continue
		}
		sortEntries(t)
		names := map[string]bool{}
		fmt.Fprintf(&b, "%q: {\n", a.name)
		for _, e := range t {
			if names[e.name] {
				return nil, fmt.Errorf("generate arch %s: syscall %s twice", a.name, e.name)
			}
			names[e.name] = true
			if e.nr < 0x10000 {
				fmt.Fprintf(&b, "{%q, %d},\n", e.name, e.nr)
			} else {
				// x32 numbers and ARM private syscalls read better in hex.
				fmt.Fprintf(&b, "{%q, %#x},\n", e.name, e.nr)
			}
		}
		fmt.Fprintf(&b, "},\n")
	}
	fmt.Fprintf(&b, "}\n\n")

	caps, err := constants(filepath.Join(unixDir, "zerrors_linux.go"), "CAP_")
	if err != nil {
		return nil, err
	}
	var capList []entry
	for _, c := range caps {
		// CAP_LAST_CAP is a bound, not a capability. The numbering check
		// below refuses any other non-capability CAP_ constant x/sys might
		// add, instead of letting it slip into the table.
		if c.name == "CAP_LAST_CAP" {
			continue
		}
		capList = append(capList, c)
	}
	sortEntries(capList)
	for i, c := range capList {
		if c.nr != int64(i) {
			return nil, fmt.Errorf("generate capabilities: %s is %d, want %d (gap or duplicate)", c.name, c.nr, i)
		}
	}
	fmt.Fprintf(&b, "// capabilityTable is indexed by capability number.\n")
	fmt.Fprintf(&b, "var capabilityTable = []string{\n")
	for _, c := range capList {
		fmt.Fprintf(&b, "%q, // %d\n", c.name, c.nr)
	}
	fmt.Fprintf(&b, "}\n\n")

	// Errno values differ on mips, sparc and alpha; a seccomp errnoRet is
	// written with the generic values, which is what Docker profiles mean.
	var errs []entry
	for _, f := range []string{"zerrors_linux.go", "zerrors_linux_amd64.go"} {
		es, err := constants(filepath.Join(unixDir, f), "E")
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.errno {
				errs = append(errs, e)
			}
		}
	}
	sortEntries(errs)
	seenErr := map[string]bool{}
	fmt.Fprintf(&b, "// errnoTable is sorted by number; Alias marks a second name for a number.\n")
	fmt.Fprintf(&b, "var errnoTable = []errnoEntry{\n")
	for _, e := range errs {
		if seenErr[e.name] {
			continue
		}
		seenErr[e.name] = true
		fmt.Fprintf(&b, "{%q, %d, %v},\n", e.name, e.nr, errnoAliases[e.name])
	}
	fmt.Fprintf(&b, "}\n")
	for n := range errnoAliases {
		if !seenErr[n] {
			return nil, fmt.Errorf("generate errnos: alias %s not found", n)
		}
	}
	if len(seenErr) < 100 {
		return nil, fmt.Errorf("generate errnos: only %d found", len(seenErr))
	}

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format output: %w", err)
	}
	return src, nil
}
