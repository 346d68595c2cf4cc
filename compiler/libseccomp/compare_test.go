//go:build cgo

package libseccomp

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/compilertest"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// updateDoc rewrites the table in docs/benchmarks.md from this run.
var updateDoc = flag.Bool("update-benchmarks", false, "rewrite the libseccomp comparison in docs/benchmarks.md")

// The table's place in docs/benchmarks.md, which other sections share.
const (
	docPath  = "../../docs/benchmarks.md"
	docBegin = "<!-- libseccomp-compare:begin -->"
	docEnd   = "<!-- libseccomp-compare:end -->"
)

// Issue 3's performance targets against libseccomp in binary-tree mode on
// Docker's default profile for x86_64. They are ratios of deterministic
// instruction counts, so a test may hold the compiler to them; compile time
// is printed, never asserted.
const (
	targetMean   = 0.75
	targetWorst  = 0.60
	targetLength = 0.50
	benchMaxNr   = 459 // the syscall numbers the mean and worst case run over
	timingRuns   = 20
)

// figures are one program's measurements.
type figures struct {
	length      int
	mean        float64
	worst       int
	worstNr     int
	cacheable   int
	compileTime time.Duration
}

// measure runs prog on x86_64 numbers 0..benchMaxNr with zero arguments.
func measure(t testing.TB, prog []plan.Instruction) figures {
	t.Helper()
	if err := checkProgram(prog); err != nil {
		t.Fatal(err)
	}
	f := figures{length: len(prog)}
	total := 0
	for nr := 0; nr <= benchMaxNr; nr++ {
		tr, err := run(prog, input{nr: int32(nr), arch: auditX86_64})
		if err != nil {
			t.Fatal(err)
		}
		total += tr.executed
		if tr.executed > f.worst {
			f.worst, f.worstNr = tr.executed, nr
		}
	}
	f.mean = float64(total) / float64(benchMaxNr+1)
	x86_64, _ := systab.LookupArch(host)
	mine := cacheable(prog, auditX86_64, systab.MaxSyscall(host))
	if theirs := compiler.CacheableSyscalls(prog, x86_64); !slices.Equal(mine, theirs) {
		t.Errorf("the action-cache emulations disagree on a %d-instruction program:\nthis package: %v\ncompiler.CacheableSyscalls: %v", len(prog), mine, theirs)
	}
	f.cacheable = len(mine)
	return f
}

// timeIt is the mean wall time of timingRuns calls of f, after one untimed
// call that pays for what a process does once (tables built on first use).
func timeIt(t testing.TB, f func() error) time.Duration {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range timingRuns {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(start) / timingRuns
}

// argFreeAllowed lists the numbers 0..max of arch that libseccomp's program
// allows without looking at an argument: the syscalls allowed regardless of
// their arguments, which the action cache must serve.
func argFreeAllowed(t testing.TB, libProg []plan.Instruction, arch systab.Arch) []int {
	var out []int
	for nr := 0; nr <= systab.MaxSyscall(arch.Name); nr++ {
		tr, err := run(libProg, input{nr: int32(nr), arch: arch.Audit})
		if err != nil {
			t.Fatal(err)
		}
		if tr.ret == actAllow && !tr.argLoad {
			out = append(out, nr)
		}
	}
	return out
}

type comparison struct {
	name                  string
	profilec, prio, tree  figures
	profilecNoVerify      time.Duration
	argFree, argFreeCache int
}

func compare(t *testing.T, name string, s *schema.ResolvedSeccomp, native string) comparison {
	c := comparison{name: name}
	p, err := compiler.CompileSeccomp(s, native, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.profilec = measure(t, p.Instructions)
	c.profilec.compileTime = timeIt(t, func() error {
		_, err := compiler.CompileSeccomp(s, native, compiler.Options{})
		return err
	})
	c.profilecNoVerify = timeIt(t, func() error {
		_, err := compiler.CompileSeccomp(s, native, compiler.Options{NoVerify: true})
		return err
	})
	for _, v := range []struct {
		opt optimize
		f   *figures
	}{{optimizePriority, &c.prio}, {optimizeBinaryTree, &c.tree}} {
		prog, err := oracleProgram(s, native, v.opt)
		if err != nil {
			t.Fatal(err)
		}
		*v.f = measure(t, prog)
		v.f.compileTime = timeIt(t, func() error {
			_, err := oracleProgram(s, native, v.opt)
			return err
		})
	}
	tree, err := oracleProgram(s, native, optimizeBinaryTree)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel caches native and compat calls: on x86_64, x86_64 and
	// i386 ones, never x32.
	for _, an := range []string{host, "SCMP_ARCH_X86"} {
		if !slices.Contains(targetArches(s, native), an) {
			continue
		}
		arch, _ := systab.LookupArch(an)
		free := argFreeAllowed(t, tree, arch)
		cached := compiler.CacheableSyscalls(p.Instructions, arch)
		if mine := cacheable(p.Instructions, arch.Audit, systab.MaxSyscall(an)); !slices.Equal(mine, cached) {
			t.Errorf("%s: the action-cache emulations disagree on %s:\nthis package: %v\ncompiler.CacheableSyscalls: %v", name, an, mine, cached)
		}
		var missing []string
		for _, nr := range free {
			if slices.Contains(cached, nr) {
				if an == host {
					c.argFreeCache++
				}
				continue
			}
			sys, _ := systab.SyscallName(an, nr)
			missing = append(missing, fmt.Sprintf("%d (%s)", nr, sys))
		}
		if an == host {
			c.argFree = len(free)
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d %s syscalls allowed regardless of their arguments are not served by the action cache in profilec's program: %s",
				name, len(missing), an, strings.Join(missing, ", "))
		}
	}
	return c
}

// markdown renders comparisons as the table in docs/benchmarks.md.
func markdown(cs []comparison) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n**%s**\n\n", c.name)
		b.WriteString("| | profilec | libseccomp default | libseccomp binary tree | profilec / tree |\n|---|---:|---:|---:|---:|\n")
		row := func(what string, p, d, tr float64, format string) {
			fmt.Fprintf(&b, "| %s | "+format+" | "+format+" | "+format+" | %.2fx |\n", what, p, d, tr, p/tr)
		}
		row("program length (instructions)", float64(c.profilec.length), float64(c.prio.length), float64(c.tree.length), "%.0f")
		row("mean instructions per syscall", c.profilec.mean, c.prio.mean, c.tree.mean, "%.2f")
		row("worst instructions per syscall", float64(c.profilec.worst), float64(c.prio.worst), float64(c.tree.worst), "%.0f")
		row("syscalls the action cache serves", float64(c.profilec.cacheable), float64(c.prio.cacheable), float64(c.tree.cacheable), "%.0f")
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		row("compile time (ms, mean of 20)", ms(c.profilec.compileTime), ms(c.prio.compileTime), ms(c.tree.compileTime), "%.2f")
		fmt.Fprintf(&b, "\nprofilec compile time without verification: %.2f ms. Syscalls allowed regardless of arguments: %d, of which the action cache serves %d in profilec's program.\n",
			ms(c.profilecNoVerify), c.argFree, c.argFreeCache)
	}
	return b.String()
}

// TestCompareLibseccomp prints the side-by-side table of docs/benchmarks.md
// (run with -v) and holds profilec to issue 3's targets on Docker's default
// profile for x86_64, as Docker resolves it (x86_64 with x86 and x32).
func TestCompareLibseccomp(t *testing.T) {
	docker, err := mobyDefault(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	alone := *docker
	alone.Architectures = []string{host}
	own, err := loadResolved("../../testdata/compiler/diff/conditional.json")
	if err != nil {
		t.Fatal(err)
	}
	cs := []comparison{
		compare(t, "Docker default, x86_64 alone", &alone, host),
		compare(t, "Docker default, x86_64 + x86 + x32 (archMap)", docker, host),
		compare(t, "testdata/compiler/diff/conditional.json (x86_64 + x86 + x32)", own, nativeOf(own)),
	}
	table := markdown(cs)
	t.Logf("libseccomp %s, x86_64 syscalls 0-%d with zero arguments, instructions counted by this package's interpreter:\n%s",
		libVersion(), benchMaxNr, table)
	if *updateDoc {
		writeDoc(t, table)
	}
	for _, c := range cs[:2] {
		p, tr := c.profilec, c.tree
		for _, chk := range []struct {
			what        string
			got, target float64
		}{
			{"mean instructions per syscall", p.mean / tr.mean, targetMean},
			{"worst-case instructions per syscall", float64(p.worst) / float64(tr.worst), targetWorst},
			{"program length", float64(p.length) / float64(tr.length), targetLength},
		} {
			if chk.got > chk.target {
				t.Errorf("%s: %s is %.2fx libseccomp's binary tree, target at most %.2fx (profilec %+v, libseccomp %+v)",
					c.name, chk.what, chk.got, chk.target, p, tr)
			}
		}
	}
}

// writeDoc replaces what lies between the markers in docs/benchmarks.md,
// leaving the rest of the file, other people's sections included, alone.
func writeDoc(t *testing.T, table string) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := bytes.Cut(raw, []byte(docBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(docEnd))
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers %s and %s", docPath, docBegin, docEnd)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.Write(before)
	fmt.Fprintf(&b, "%s\nRun of %s: libseccomp %s, Linux %s, %s, %d CPUs, %s.\n%s\n%s", docBegin,
		time.Now().UTC().Format("2006-01-02"), libVersion(), unix.ByteSliceToString(uts.Release[:]), cpuModel(), runtime.NumCPU(), runtime.Version(), table, docEnd)
	b.Write(after)
	if err := os.WriteFile(docPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// TestDockerDefaultMatchesMoby checks that compilertest.DockerDefault, the
// compiler's own test input, resolves Docker's default profile exactly as
// Docker's code does, so the compiler's tests and these agree on the input.
func TestDockerDefaultMatchesMoby(t *testing.T) {
	if diff := cmp.Diff(dockerCaps, compilertest.DockerDefaultCaps()); diff != "" {
		t.Errorf("compilertest.DockerDefaultCaps differs from Docker's defaults (-docker +compilertest):\n%s", diff)
	}
	for _, caps := range [][]string{dockerCaps, append(slices.Clone(dockerCaps), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")} {
		want, err := mobyDefault(caps)
		if err != nil {
			t.Fatal(err)
		}
		got := compilertest.DockerDefault(host, caps, "6.1")
		norm := func(s *schema.ResolvedSeccomp) *schema.ResolvedSeccomp {
			c := *s
			c.Enabled = true
			c.Syscalls = nil
			for _, r := range s.Syscalls {
				c.Syscalls = append(c.Syscalls, schema.SyscallRule{Names: r.Names, Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args})
			}
			return &c
		}
		if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
			t.Errorf("caps %v: compilertest.DockerDefault differs from moby's resolution (-moby +compilertest):\n%s", caps, diff)
		}
	}
}

// BenchmarkLibseccompCompileDockerDefault builds and exports Docker's default
// profile (x86_64 with x86 and x32) with libseccomp, as runc does, to sit
// beside the compiler's own compile benchmark.
func BenchmarkLibseccompCompileDockerDefault(b *testing.B) {
	s, err := mobyDefault(dockerCaps)
	if err != nil {
		b.Fatal(err)
	}
	for _, opt := range []optimize{optimizePriority, optimizeBinaryTree} {
		b.Run(strings.ReplaceAll(opt.String(), " ", "-"), func(b *testing.B) {
			for b.Loop() {
				if _, err := oracleProgram(s, host, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
