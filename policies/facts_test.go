package policies

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

func loadBytes(t testing.TB, yaml string) *schema.Resolved {
	t.Helper()
	file := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := schema.LoadResolved(file, x86, schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func classify(t *testing.T, f SyscallFacts, name string) string {
	t.Helper()
	var in []string
	if slices.Contains(f.Allowed, name) {
		in = append(in, "allowed")
	}
	if slices.Contains(f.Denied, name) {
		in = append(in, "denied")
	}
	if slices.Contains(f.Conditional, name) {
		in = append(in, "conditional")
	}
	if len(in) != 1 {
		t.Fatalf("%s is in %v, want exactly one list", name, in)
	}
	return in[0]
}

func TestFactsDockerDefault(t *testing.T) {
	r := loadBytes(t, "version: 1\nextends: docker-default\n")
	f, err := ComputeFacts(r)
	if err != nil {
		t.Fatal(err)
	}
	var arches []string
	for a := range f.Syscalls {
		arches = append(arches, a)
	}
	slices.Sort(arches)
	if want := []string{"SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}; !slices.Equal(arches, want) {
		t.Errorf("arches %v, want %v", arches, want)
	}
	x := f.Syscalls["SCMP_ARCH_X86_64"]
	for name, want := range map[string]string{
		"execve":      "allowed",
		"read":        "allowed",
		"ptrace":      "allowed",     // minKernel 4.8, and the target is 6.1
		"clone":       "conditional", // only without namespace flags
		"personality": "conditional",
		"mount":       "denied", // needs CAP_SYS_ADMIN, which is not granted
		"kexec_load":  "denied",
		"clone3":      "denied", // ENOSYS without CAP_SYS_ADMIN
	} {
		if got := classify(t, x, name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if len(x.Allowed)+len(x.Denied)+len(x.Conditional) < 300 {
		t.Errorf("x86_64 lists hold %d syscalls, want the whole table", len(x.Allowed)+len(x.Denied)+len(x.Conditional))
	}
	for _, arch := range []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"} {
		if got := classify(t, f.Syscalls[arch], "execve"); got != "allowed" {
			t.Errorf("%s execve: %s", arch, got)
		}
		if got := classify(t, f.Syscalls[arch], "mount"); got != "denied" {
			t.Errorf("%s mount: %s", arch, got)
		}
	}
	if f.Native != "SCMP_ARCH_X86_64" {
		t.Errorf("native %q", f.Native)
	}
	if len(f.Capabilities) != 14 || !slices.Contains(f.Capabilities, "CAP_NET_BIND_SERVICE") {
		t.Errorf("capabilities %v, want Docker's 14", f.Capabilities)
	}
	if f.Limits.MemoryBytes != nil || f.Limits.Pids != nil {
		t.Errorf("limits %+v, want none", f.Limits)
	}
}

func TestFactsOutcomes(t *testing.T) {
	r := loadBytes(t, `version: 1
seccomp:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
    - names: [read, write]
      action: SCMP_ACT_ALLOW
    - names: [getpid]
      action: SCMP_ACT_LOG
    - names: [openat]
      action: SCMP_ACT_NOTIFY
    - names: [socket]
      action: SCMP_ACT_ALLOW
      args: [{index: 0, value: 1, op: SCMP_CMP_EQ}]
    - names: [write]
      action: SCMP_ACT_ERRNO
      args: [{index: 0, value: 99, op: SCMP_CMP_EQ}]
cgroups:
  memory: {max: 1Gi, high: 512Mi, swapMax: 0}
  pids: {max: 100}
  cpu: {max: 1.5}
`)
	f, err := ComputeFacts(r)
	if err != nil {
		t.Fatal(err)
	}
	x := f.Syscalls["SCMP_ARCH_X86_64"]
	for name, want := range map[string]string{
		"read":   "allowed",
		"getpid": "allowed",     // logged, but it runs
		"write":  "allowed",     // refused only for fd 99
		"openat": "conditional", // the supervisor decides
		"socket": "conditional", // AF_UNIX only
		"mount":  "denied",
	} {
		if got := classify(t, x, name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if len(f.Syscalls) != 1 {
		t.Errorf("arches %v, want only the native one", f.Syscalls)
	}
	l := f.Limits
	if l.MemoryBytes == nil || *l.MemoryBytes != 1<<30 || l.MemoryHighBytes == nil || *l.MemoryHighBytes != 512<<20 ||
		l.SwapBytes == nil || *l.SwapBytes != 0 || l.Pids == nil || *l.Pids != 100 || l.CPUs == nil || *l.CPUs != 1.5 {
		t.Errorf("limits %+v", l)
	}
}

func TestFactsWithoutSeccomp(t *testing.T) {
	r := loadBytes(t, "version: 1\n")
	f, err := ComputeFacts(r)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := f.Syscalls["SCMP_ARCH_X86_64"]
	if !ok || len(f.Syscalls) != 1 {
		t.Fatalf("arches %v", f.Syscalls)
	}
	if len(x.Denied) != 0 || len(x.Conditional) != 0 || !slices.Contains(x.Allowed, "kexec_load") {
		t.Errorf("without a filter everything must be allowed: %d denied, %d conditional", len(x.Denied), len(x.Conditional))
	}
	if f.Capabilities == nil {
		t.Error("capabilities must be an empty list, not null, for policies")
	}
}

// TestFactsValue: the facts policies see are exactly the JSON of Facts.
func TestFactsValue(t *testing.T) {
	for _, yaml := range []string{
		"version: 1\nextends: docker-default\n",
		"version: 1\ncgroups:\n  memory: {max: 1Gi, high: 1Mi, swapMax: 0}\n  pids: {max: 5}\n  cpu: {max: 0.25}\n",
	} {
		f, err := ComputeFacts(loadBytes(t, yaml))
		if err != nil {
			t.Fatal(err)
		}
		want, err := jsonValue(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.value(); got.Compare(want) != 0 {
			t.Errorf("facts value differs from its JSON:\n got  %.300v\n want %.300v", got, want)
		}
	}
}

// TestFactsNative: facts.native is the canonical name whatever spelling a
// hand-built Resolved uses, so rules keyed on it still fire.
func TestFactsNative(t *testing.T) {
	r := &schema.Resolved{Target: schema.Target{Arch: "amd64", Kernel: "6.1"}}
	r.Seccomp = schema.ResolvedSeccomp{Enabled: true, DefaultAction: "SCMP_ACT_ERRNO", Architectures: []string{"SCMP_ARCH_X86_64"}}
	f, err := ComputeFacts(r)
	if err != nil {
		t.Fatal(err)
	}
	if f.Native != "SCMP_ARCH_X86_64" {
		t.Errorf("native %q", f.Native)
	}
	fs, err := Validate(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID(fs)["seccomp.exec-denied"]) != 1 {
		t.Errorf("seccomp.exec-denied did not fire: %+v", fs)
	}
}

// TestFactsAgreeWithTheProgram runs the compiled seccomp program on every
// syscall of every architecture of a few profiles: an allowed syscall must
// be allowed with all-zero arguments, a denied one refused whatever its
// arguments, and a conditional one neither allowed nor refused for all.
func TestFactsAgreeWithTheProgram(t *testing.T) {
	argSets := [][6]uint64{
		{},
		{1, 1, 1, 1, 1, 1},
		{0x7e020000, 0x8, 0xffffffff, 0, 0, 0}, // CLONE_NEW* flags, PER_LINUX32...
		{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)},
	}
	for _, yaml := range []string{
		"version: 1\nextends: docker-default\n",
		"version: 1\nextends: default\n",
		"version: 1\n" + `seccomp:
  defaultAction: SCMP_ACT_ALLOW
  architectures: [x86_64, x86]
  syscalls:
    - names: [mount, ptrace]
      action: SCMP_ACT_KILL_PROCESS
    - names: [socket]
      action: SCMP_ACT_ERRNO
      args: [{index: 0, value: 16, op: SCMP_CMP_EQ}]
    - names: [openat]
      action: SCMP_ACT_NOTIFY
`,
	} {
		r := loadBytes(t, yaml)
		f, err := ComputeFacts(r)
		if err != nil {
			t.Fatal(err)
		}
		p, err := compiler.CompileSeccomp(&r.Seccomp, r.Target.Arch, compiler.Options{})
		if err != nil {
			t.Fatal(err)
		}
		runs := func(arch systab.Arch, name string, args [6]uint64) int {
			nr, ok := systab.SyscallNumber(arch.Name, name)
			if !ok {
				t.Fatalf("%s has no %s", arch.Name, name)
			}
			action, _, err := compiler.Run(p.Instructions, compiler.SeccompData{Nr: int32(nr), Arch: arch.Audit, Args: args})
			if err != nil {
				t.Fatal(err)
			}
			return outcome(action)
		}
		checked := 0
		for archName, sf := range f.Syscalls {
			arch, _ := systab.LookupArch(archName)
			for _, name := range sf.Allowed {
				if runs(arch, name, [6]uint64{}) != 1 {
					t.Errorf("%s %s: allowed in the facts, refused with zero arguments", archName, name)
				}
				checked++
			}
			for _, name := range sf.Denied {
				for _, args := range argSets {
					if runs(arch, name, args) != 0 {
						t.Errorf("%s %s: denied in the facts, let through with %x", archName, name, args)
					}
				}
				checked++
			}
			for _, name := range sf.Conditional {
				allowedAll := true
				for _, args := range argSets {
					if runs(arch, name, args) != 1 {
						allowedAll = false
					}
				}
				if allowedAll {
					t.Errorf("%s %s: conditional in the facts, allowed for every argument tried", archName, name)
				}
				checked++
			}
		}
		if checked < 300 {
			t.Errorf("checked %d syscalls", checked)
		}
	}
}
