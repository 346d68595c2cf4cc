package systab

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

// libseccompArches maps our arch names to the python3-seccomp Arch members
// the comparison runs for.
var libseccompArches = map[string]string{
	"SCMP_ARCH_X86_64":   "X86_64",
	"SCMP_ARCH_X86":      "X86",
	"SCMP_ARCH_X32":      "X32",
	"SCMP_ARCH_AARCH64":  "AARCH64",
	"SCMP_ARCH_ARM":      "ARM",
	"SCMP_ARCH_MIPS":     "MIPS",
	"SCMP_ARCH_MIPSEL":   "MIPSEL",
	"SCMP_ARCH_MIPS64":   "MIPS64",
	"SCMP_ARCH_MIPSEL64": "MIPSEL64",
	"SCMP_ARCH_PPC":      "PPC",
	"SCMP_ARCH_PPC64":    "PPC64",
	"SCMP_ARCH_PPC64LE":  "PPC64LE",
	"SCMP_ARCH_S390X":    "S390X",
	"SCMP_ARCH_RISCV64":  "RISCV64",
}

// libseccompResolve asks the installed libseccomp, through its python3
// bindings in one process, for the number of every name and the name of
// every number in queries ("ARCH name" or "ARCH #nr"). Answers are numbers
// (negative: a pseudo syscall or unknown) or names ("" when unknown).
func libseccompResolve(t *testing.T, queries []string) []string {
	t.Helper()
	py := testenv.RequireCommand(t, "python3")
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		// A pyenv shim first in PATH does not see Debian's python3-seccomp.
		py = "/usr/bin/python3"
	}
	const script = `
import sys, seccomp
for line in sys.stdin:
    arch, q = line.split()
    a = getattr(seccomp.Arch, arch)
    if q.startswith("#"):
        try:
            r = seccomp.resolve_syscall(a, int(q[1:]))
            print(r.decode() if isinstance(r, bytes) else r)
        except Exception:
            print("-")
    else:
        print(seccomp.resolve_syscall(a, q))
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(queries, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "No module named 'seccomp'") {
			testenv.Skip(t, "needs python3-seccomp (installed by ./test.sh)")
		}
		t.Fatalf("run libseccomp resolver: %v\n%s", err, stderr.String())
	}
	var res []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		res = append(res, strings.TrimSpace(sc.Text()))
	}
	if len(res) != len(queries) {
		t.Fatalf("libseccomp resolver answered %d of %d queries", len(res), len(queries))
	}
	return res
}

// newerThanLibseccomp254 are syscalls libseccomp 2.5.4 (Debian 12) does not
// know yet; a newer libseccomp knows them and is then compared as usual.
var newerThanLibseccomp254 = map[string]bool{
	"riscv_hwprobe": true, "uretprobe": true, "uprobe": true,
	"statmount": true, "listmount": true, "lsm_get_self_attr": true, "lsm_set_self_attr": true,
	"lsm_list_modules": true, "mseal": true, "setxattrat": true, "getxattrat": true,
	"listxattrat": true, "removexattrat": true, "open_tree_attr": true, "file_getattr": true,
	"file_setattr": true, "listns": true, "rseq_slice_yield": true,
}

// TestAgainstLibseccomp checks every table libseccomp 2.5.4 also has
// against it, in both directions.
func TestAgainstLibseccomp(t *testing.T) {
	names := AllSyscallNames()
	var queries []string
	type q struct {
		arch, name string
		nr         int
		reverse    bool
	}
	var qs []q
	for arch, member := range libseccompArches {
		for _, n := range names {
			queries = append(queries, member+" "+n)
			qs = append(qs, q{arch: arch, name: n})
		}
		for _, n := range SyscallNames(arch) {
			nr, _ := SyscallNumber(arch, n)
			queries = append(queries, fmt.Sprintf("%s #%d", member, nr))
			qs = append(qs, q{arch: arch, name: n, nr: nr, reverse: true})
		}
	}
	answers := libseccompResolve(t, queries)
	missing := map[string][]string{}
	compared := 0
	for i, q := range qs {
		ans := answers[i]
		if q.reverse {
			if ans != "-" && ans != q.name {
				t.Errorf("%s: number %d is %s here, %s in libseccomp", q.arch, q.nr, q.name, ans)
			}
			continue
		}
		theirs, err := strconv.Atoi(ans)
		if err != nil {
			t.Fatalf("libseccomp answer %q for %s %s", ans, q.arch, q.name)
		}
		ours, ok := SyscallNumber(q.arch, q.name)
		// On x86, s390x, ppc and mips libseccomp resolves the socket and
		// SysV IPC calls to their multiplexers (socketcall, ipc) and adds
		// the direct number itself when it builds a filter.
		mux := func() bool {
			for _, m := range []string{"socketcall", "ipc"} {
				if nr, ok := SyscallNumber(q.arch, m); ok && nr == theirs {
					return true
				}
			}
			return false
		}
		switch {
		case ok && theirs >= 0:
			compared++
			if ours != theirs && !mux() {
				t.Errorf("%s %s: %d here, %d in libseccomp", q.arch, q.name, ours, theirs)
			}
		case ok:
			missing[q.name] = append(missing[q.name], q.arch)
			if !newerThanLibseccomp254[q.name] {
				t.Errorf("%s %s: %d here, unknown to libseccomp", q.arch, q.name, ours)
			}
		case theirs >= 0 && !mux():
			t.Errorf("%s %s: %d in libseccomp, missing here", q.arch, q.name, theirs)
		}
	}
	if compared < 4000 {
		t.Errorf("only %d syscall numbers compared", compared)
	}
	var unknown []string
	for name, arches := range missing {
		unknown = append(unknown, fmt.Sprintf("%s (%d arches)", name, len(arches)))
	}
	slices.Sort(unknown)
	t.Logf("%d numbers agree with libseccomp; unknown to it: %s", compared, strings.Join(unknown, ", "))
}

// TestArchTokensAgainstLibseccomp checks Audit against libseccomp's arch
// tokens, which are the AUDIT_ARCH_* values except for x32: its token is
// its own, but its filter sees AUDIT_ARCH_X86_64 (arch-x32.c token_bpf).
func TestArchTokensAgainstLibseccomp(t *testing.T) {
	py := testenv.RequireCommand(t, "python3")
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		py = "/usr/bin/python3"
	}
	const script = `
import seccomp
for a in dir(seccomp.Arch):
    if a.isupper() and a != "NATIVE":
        print(a, int(getattr(seccomp.Arch, a)) & 0xffffffff)
`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		testenv.Skip(t, "needs python3-seccomp: "+err.Error())
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		member, val, _ := strings.Cut(line, " ")
		tok, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		a, ok := LookupArch("SCMP_ARCH_" + member)
		if !ok {
			t.Errorf("libseccomp knows SCMP_ARCH_%s, systab does not", member)
			continue
		}
		n++
		want := uint32(tok)
		if a.Name == "SCMP_ARCH_X32" {
			if want != 0x4000003e {
				t.Errorf("libseccomp's x32 token = %#x, want 0x4000003e", want)
			}
			want = 0xc000003e
		}
		if a.Audit != want {
			t.Errorf("%s: Audit = %#x, libseccomp %#x", a.Name, a.Audit, want)
		}
	}
	if n < 19 {
		t.Errorf("only %d arches compared", n)
	}
}
