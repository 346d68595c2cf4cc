package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// The verdict harness runs two filters over every syscall number of every
// architecture they cover (and one they do not), with boundary values in
// every argument of the syscalls that have argument conditions, and fails
// on the first inputs where the two answer differently. Conversions promise
// "not a single verdict changed"; this is how the tests hold them to it.

// probe is one architecture the harness feeds to a filter.
type probe struct {
	arch systab.Arch
	nrs  []int32
}

// probesFor covers the architectures of a filter's target family plus one
// foreign architecture, which must meet the bad-arch action in both.
func probesFor(t testing.TB, arches []string) []probe {
	t.Helper()
	seen := map[string]bool{}
	var out []probe
	add := func(name string) {
		a, ok := systab.LookupArch(name)
		if !ok || seen[a.Name] {
			return
		}
		seen[a.Name] = true
		p := probe{arch: a}
		max := systab.MaxSyscall(a.Name)
		if max < 0 {
			max = 0
		}
		// Beyond the table too: numbers no arch uses, and the x32-only
		// 512-547 range, must meet the default action everywhere.
		for nr := 0; nr <= (max&0xffff)+4 || nr < 1100; nr++ {
			p.nrs = append(p.nrs, int32(uint32(nr)|a.NrBits))
		}
		// Past every table, and the all-ones number (-1) a tracer may set.
		p.nrs = append(p.nrs, int32(uint32(4095)|a.NrBits), -1)
		out = append(out, p)
	}
	for _, a := range arches {
		add(a)
	}
	add("SCMP_ARCH_S390X")
	return out
}

// boundaryValues are the argument values worth probing for a set of rules:
// each compared value, its neighbours, its halves, and the usual extremes.
func boundaryValues(rules ...[]schema.SyscallRule) []uint64 {
	set := map[uint64]bool{0: true, 1: true, math.MaxUint32: true, 1 << 32: true, math.MaxUint64: true, 0x80000000: true, 1 << 63: true}
	for _, rs := range rules {
		for _, r := range rs {
			for _, a := range r.Args {
				for _, v := range []uint64{a.Value, a.ValueTwo} {
					for _, x := range []uint64{v, v - 1, v + 1, v & math.MaxUint32, v | 1<<32, v | 0xffffffff00000000, ^v} {
						set[x] = true
					}
				}
				set[a.Value&a.ValueTwo] = true
			}
		}
	}
	out := make([]uint64, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// argNames are the syscalls whose verdict depends on arguments.
func argNames(rules ...[]schema.SyscallRule) map[string]bool {
	out := map[string]bool{}
	for _, rs := range rules {
		for _, r := range rs {
			if len(r.Args) > 0 {
				for _, n := range r.Names {
					out[n] = true
				}
			}
		}
	}
	return out
}

type runner func(compiler.SeccompData) (uint32, error)

func progRunner(prog []plan.Instruction) runner {
	return func(d compiler.SeccompData) (uint32, error) {
		v, _, err := compiler.Run(prog, d)
		return v, err
	}
}

// sameVerdicts fails t where a and b differ; it returns how many inputs it
// tried, so callers can show the comparison was not vacuous.
func sameVerdicts(t testing.TB, what string, arches []string, rules [][]schema.SyscallRule, a, b runner) int {
	t.Helper()
	return sameVerdictsExcept(t, what, arches, rules, a, b, nil)
}

// sameVerdictsExcept is sameVerdicts leaving out the syscalls skip names.
func sameVerdictsExcept(t testing.TB, what string, arches []string, rules [][]schema.SyscallRule, a, b runner, skip map[string]bool) int {
	t.Helper()
	values := boundaryValues(rules...)
	withArgs := argNames(rules...)
	n, fails := 0, 0
	check := func(d compiler.SeccompData, pa probe) {
		n++
		va, errA := a(d)
		vb, errB := b(d)
		if errA != nil || errB != nil {
			t.Fatalf("%s: run on %s nr %d: %v / %v", what, pa.arch.Short, d.Nr, errA, errB)
		}
		if va != vb && fails < 10 {
			fails++
			name, _ := systab.SyscallName(pa.arch.Name, int(d.Nr))
			t.Errorf("%s: %s nr %d (%s) args %#x: %s versus %s", what, pa.arch.Short, d.Nr, name, d.Args, compiler.ActionString(va), compiler.ActionString(vb))
		}
	}
	for _, pa := range probesFor(t, arches) {
		for _, nr := range pa.nrs {
			name, ok := systab.SyscallName(pa.arch.Name, int(nr))
			if ok && skip[name] {
				continue
			}
			d := compiler.SeccompData{Nr: nr, Arch: pa.arch.Audit, IP: 0x7f0000001000}
			check(d, pa)
			if !ok || !withArgs[name] {
				continue
			}
			for i := range 6 {
				for _, v := range values {
					d.Args = [6]uint64{}
					d.Args[i] = v
					check(d, pa)
				}
			}
			for _, v := range values {
				d.Args = [6]uint64{v, v, v, v, v, v}
				check(d, pa)
			}
		}
	}
	return n
}

// compiled memoises compiles: many tests compile the same filter, and the
// compiler takes its time over some (Docker's default for aarch64).
var compiled sync.Map

func compileFor(t testing.TB, r *schema.Resolved) []plan.Instruction {
	t.Helper()
	key, err := json.Marshal(struct {
		S    *schema.ResolvedSeccomp
		Arch string
	}{&r.Seccomp, r.Target.Arch})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := compiled.Load(string(key)); ok {
		return p.([]plan.Instruction)
	}
	prog, err := compiler.CompileSeccomp(&r.Seccomp, r.Target.Arch, compiler.Options{})
	if err != nil {
		t.Fatalf("compile %s for %s: %v", r.Name, r.Target.Arch, err)
	}
	compiled.Store(string(key), prog.Instructions)
	return prog.Instructions
}

func resolve(t testing.TB, p *schema.Profile, arch, kernel string) *schema.Resolved {
	t.Helper()
	r, err := schema.Resolve([]*schema.Profile{p}, schema.Target{Arch: arch, Kernel: kernel})
	if err != nil {
		t.Fatalf("resolve %s for %s %s: %v", p.Name, arch, kernel, err)
	}
	return r
}

// reload puts a profile through YAML and the strict loader, as a user
// editing the converted file would.
func reload(t testing.TB, p *schema.Profile) *schema.Profile {
	t.Helper()
	y, err := ToYAML(p, "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := schema.LoadBytes("converted.yaml", y, schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatalf("the converted YAML does not load: %v\n%s", err, y)
	}
	return q
}

// targets are the architecture and kernel pairs conversions are checked
// on: the x86 family (whose filters cover three ABIs), arm64, and an old and
// a new kernel so minKernel conditions go both ways.
var targets = []schema.Target{
	{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"},
	{Arch: "SCMP_ARCH_X86_64", Kernel: "4.4"},
	{Arch: "SCMP_ARCH_X86", Kernel: "5.10"},
	{Arch: "SCMP_ARCH_X32", Kernel: "5.10"},
	{Arch: "SCMP_ARCH_AARCH64", Kernel: "6.1"},
}

func (tg targetName) String() string { return fmt.Sprintf("%s/%s", tg.Arch, tg.Kernel) }

type targetName schema.Target
