package convert

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// randomDocker builds a Docker profile from a seeded generator: rules with
// every action, operator and kind of condition over syscalls that exist on
// x86_64, each syscall in one rule only (libseccomp refuses two different
// unconditional actions for one syscall, and runc with it).
func randomDocker(r *rand.Rand) []byte {
	names := systab.SyscallNames("SCMP_ARCH_X86_64")
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	actions := []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRACE"}
	ops := []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
	values := []uint64{0, 1, 2, 7, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 0x7e020000, 1<<63 | 5, 1<<64 - 1}
	type arg struct {
		Index    uint   `json:"index"`
		Value    uint64 `json:"value"`
		ValueTwo uint64 `json:"valueTwo,omitempty"`
		Op       string `json:"op"`
	}
	type filter struct {
		Caps      []string `json:"caps,omitempty"`
		Arches    []string `json:"arches,omitempty"`
		MinKernel string   `json:"minKernel,omitempty"`
	}
	type rule struct {
		Names    []string `json:"names"`
		Action   string   `json:"action"`
		ErrnoRet *uint    `json:"errnoRet,omitempty"`
		Args     []arg    `json:"args,omitempty"`
		Comment  string   `json:"comment,omitempty"`
		Includes *filter  `json:"includes,omitempty"`
		Excludes *filter  `json:"excludes,omitempty"`
	}
	randFilter := func() *filter {
		if r.IntN(3) != 0 {
			return nil
		}
		f := &filter{}
		switch r.IntN(3) {
		case 0:
			f.Caps = []string{[]string{"CAP_SYS_ADMIN", "CAP_KILL", "CAP_SYS_PTRACE", "CAP_CHOWN"}[r.IntN(4)]}
		case 1:
			f.Arches = []string{[]string{"amd64", "x86", "x32", "arm64"}[r.IntN(4)]}
		default:
			f.MinKernel = []string{"4.8", "5.6", "6.2"}[r.IntN(3)]
		}
		return f
	}
	def := actions[r.IntN(2)] // ALLOW or ERRNO as default, as real profiles have
	prof := map[string]any{"defaultAction": def}
	if def == "SCMP_ACT_ERRNO" && r.IntN(2) == 0 {
		prof["defaultErrnoRet"] = uint(1 + r.IntN(40))
	}
	if r.IntN(2) == 0 {
		prof["archMap"] = []map[string]any{{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}}
	}
	var rules []rule
	next := 0
	for i := 0; i < 4+r.IntN(12); i++ {
		n := 1 + r.IntN(4)
		ru := rule{Names: names[next : next+n], Action: actions[r.IntN(len(actions))]}
		next += n
		if ru.Action == def {
			ru.Action = "SCMP_ACT_LOG"
		}
		if ru.Action == "SCMP_ACT_ERRNO" || ru.Action == "SCMP_ACT_TRACE" {
			e := uint(r.IntN(100))
			ru.ErrnoRet = &e
		}
		for idx := range r.IntN(3) {
			a := arg{Index: uint(idx * 2), Value: values[r.IntN(len(values))], Op: ops[r.IntN(len(ops))]}
			if a.Op == "SCMP_CMP_MASKED_EQ" {
				a.ValueTwo = a.Value & values[r.IntN(len(values))]
			}
			ru.Args = append(ru.Args, a)
		}
		if r.IntN(4) == 0 {
			ru.Comment = fmt.Sprintf("rule %d", i)
		}
		ru.Includes, ru.Excludes = randFilter(), randFilter()
		rules = append(rules, ru)
	}
	prof["syscalls"] = rules
	data, err := json.Marshal(prof)
	if err != nil {
		panic(err)
	}
	return data
}

// TestRandomDockerRoundTrips runs seeded random Docker profiles through
// Docker -> YAML -> Docker and checks the verdicts of both, compiled by
// profilec on several targets, and through moby and libseccomp on this
// host against profilec's filter for the converted profile.
func TestRandomDockerRoundTrips(t *testing.T) {
	native := systab.NativeArch()
	kernel, err := systab.KernelVersion()
	if err != nil {
		t.Fatal(err)
	}
	viaSPO := 0
	for seed := uint64(1); seed <= 25; seed++ {
		data := randomDocker(rand.New(rand.NewPCG(seed, 0x70726f66)))
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			p, err := FromDocker(data)
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			out, _, err := ToDocker(reload(t, p))
			if err != nil {
				t.Fatal(err)
			}
			back, err := FromDocker(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range []schema.Target{{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}, {Arch: "SCMP_ARCH_X86_64", Kernel: "4.4"}} {
				r1, r2 := resolve(t, p, tg.Arch, tg.Kernel), resolve(t, back, tg.Arch, tg.Kernel)
				sameVerdicts(t, targetName(tg).String(), r1.Seccomp.Architectures, [][]schema.SyscallRule{r1.Seccomp.Syscalls, r2.Seccomp.Syscalls},
					progRunner(compileFor(t, r1)), progRunner(compileFor(t, r2)))
			}
			// Through config.json and the SeccompProfile as well.
			r1 := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
			cfg, _, err := ToOCI(r1, OCIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			viaOCI, _, err := FromOCI(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r2 := resolve(t, reload(t, viaOCI), "SCMP_ARCH_X86_64", "6.1")
			sameVerdicts(t, "oci", r1.Seccomp.Architectures, [][]schema.SyscallRule{r1.Seccomp.Syscalls, r2.Seccomp.Syscalls},
				progRunner(compileFor(t, r1)), progRunner(compileFor(t, r2)))
			k, _, err := ToK8s(r1, K8sOptions{})
			if err != nil {
				if !strings.Contains(err.Error(), "int64") {
					t.Fatal(err)
				}
			} else {
				fromSPO, _, err := FromSPO(k.SeccompProfile, "")
				if err != nil {
					t.Fatal(err)
				}
				viaSPO++
				r3 := resolve(t, reload(t, fromSPO), "SCMP_ARCH_X86_64", "6.1")
				r3.Seccomp.DefaultErrnoRet = r1.Seccomp.DefaultErrnoRet // the CRD's one gap, noted
				sameVerdicts(t, "k8s", r1.Seccomp.Architectures, [][]schema.SyscallRule{r1.Seccomp.Syscalls, r3.Seccomp.Syscalls},
					progRunner(compileFor(t, r1)), progRunner(compileFor(t, r3)))
			}
			if native.Name != "SCMP_ARCH_X86_64" {
				return
			}
			s := mobyResolve(t, data)
			r := resolve(t, reload(t, p), native.Name, kernel)
			sameVerdictsExcept(t, "libseccomp", archesOf(s), [][]schema.SyscallRule{rulesOf(s), r.Seccomp.Syscalls},
				vmRunner(t, libseccompProgram(t, s)), progRunner(compileFor(t, r)), unknownToLibseccomp(s))
			if t.Failed() {
				t.Logf("profile:\n%s", data)
			}
		})
	}
	if viaSPO < 5 {
		t.Errorf("only %d random profiles went through the SeccompProfile (the rest have values beyond int64)", viaSPO)
	}
}

// TestRandomChainsToDocker: random bases and random profiles extending
// them, merged into one Docker profile, compile to the filter
// schema.Resolve makes of the chain, on several targets.
func TestRandomChainsToDocker(t *testing.T) {
	opts := schema.Options{}
	for seed := uint64(1); seed <= 15; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x636861696e))
		dir := t.TempDir()
		base, err := FromDocker(randomDocker(r))
		if err != nil {
			t.Fatal(err)
		}
		child, err := FromDocker(randomDocker(r))
		if err != nil {
			t.Fatal(err)
		}
		base.Capabilities = &schema.Capabilities{Add: []string{"CAP_SYS_ADMIN", "CAP_KILL"}}
		child.Capabilities = &schema.Capabilities{Drop: []string{"CAP_KILL"}, Add: []string{"CAP_SYS_PTRACE"}}
		child.Extends = []string{"./base.yaml"}
		if r.IntN(2) == 0 {
			child.Seccomp.DefaultAction = "" // inherited
			child.Seccomp.DefaultErrnoRet = nil
		}
		for name, p := range map[string]*schema.Profile{"base.yaml": base, "child.yaml": child} {
			y, err := ToYAML(p, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), y, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		chain, err := schema.LoadChain(filepath.Join(dir, "child.yaml"), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range []schema.Target{{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"}, {Arch: "SCMP_ARCH_X86", Kernel: "4.4"}} {
			rc, err := schema.Resolve(chain, tg)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			out, _, err := ChainToDocker(chain, rc)
			if err != nil {
				t.Fatal(err)
			}
			q, err := FromDocker(out)
			if err != nil {
				t.Fatal(err)
			}
			q.Capabilities = &schema.Capabilities{Add: rc.Capabilities.Bounding}
			rq := resolve(t, q, tg.Arch, tg.Kernel)
			sameVerdicts(t, fmt.Sprintf("seed %d %v", seed, targetName(tg)), rc.Seccomp.Architectures,
				[][]schema.SyscallRule{rc.Seccomp.Syscalls, rq.Seccomp.Syscalls},
				progRunner(compileFor(t, rc)), progRunner(compileFor(t, rq)))
		}
	}
}
