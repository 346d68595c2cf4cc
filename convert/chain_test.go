package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// TestChainToDockerVerdicts: a profile that extends others, written as one
// Docker profile with its conditions kept, must compile on every target to
// the filter schema.Resolve gives for the chain, once Docker resolves it
// against the same capabilities.
func TestChainToDockerVerdicts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("base.yaml", `version: 1
capabilities: {add: [CAP_CHOWN, CAP_SYS_PTRACE]}
seccomp:
  defaultAction: SCMP_ACT_ERRNO
  defaultErrnoRet: 38
  archMap:
    - {architecture: SCMP_ARCH_X86_64, subArchitectures: [SCMP_ARCH_X86, SCMP_ARCH_X32]}
    - {architecture: SCMP_ARCH_AARCH64, subArchitectures: [SCMP_ARCH_ARM]}
  syscalls:
    - {names: [read, write, exit_group, ptrace, mkdir, mkdirat], action: SCMP_ACT_ALLOW}
    - {names: [iopl], action: SCMP_ACT_ALLOW, includes: {arches: [amd64]}}
    - {names: [kcmp], action: SCMP_ACT_ALLOW, includes: {caps: [CAP_SYS_PTRACE]}}
`)
	files := map[string]string{
		"two files": write("child.yaml", `version: 1
extends: [./base.yaml]
capabilities: {drop: [CAP_SYS_PTRACE]}
seccomp:
  defaultErrnoRet: 1
  syscalls:
    - {names: [mkdir], action: SCMP_ACT_ERRNO, errnoRet: 13}
    - {names: [personality], action: SCMP_ACT_ALLOW, args: [{index: 0, value: 8, op: SCMP_CMP_EQ}], excludes: {minKernel: "5.0"}}
`),
		"extends docker-default": write("web.yaml", `version: 1
extends: [docker-default]
capabilities: {add: [CAP_SYS_ADMIN]}
seccomp:
  defaultErrnoRet: 38
  syscalls:
    - {names: [clone], action: SCMP_ACT_ALLOW}
    - {names: [mkdir, mkdirat], action: SCMP_ACT_ERRNO, errnoRet: 13}
`),
	}
	chains := map[string][]*schema.Profile{}
	opts := schema.Options{Bases: bases.Get}
	for name, f := range files {
		chain, err := schema.LoadChain(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		chains[name] = chain
	}
	chain, err := schema.LoadChainBytes("builtin:default", mustBase(t, "default"), opts)
	if err != nil {
		t.Fatal(err)
	}
	chains["builtin default"] = chain
	for name, chain := range chains {
		if len(chain) < 2 {
			t.Fatalf("%s: a chain of %d", name, len(chain))
		}
		for _, tg := range targets {
			r, err := schema.Resolve(chain, tg)
			if err != nil {
				t.Fatal(err)
			}
			out, notes, err := ChainToDocker(chain, r)
			if err != nil {
				t.Fatal(err)
			}
			if !hasNote(notes, "extends") {
				t.Errorf("%s: no note on the merge", name)
			}
			q, err := FromDocker(out)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, out)
			}
			// Docker resolves includes.caps against the caps the container
			// gets, which the hints tell the user to grant: the chain's.
			q.Capabilities = &schema.Capabilities{Add: r.Capabilities.Bounding}
			rq := resolve(t, q, tg.Arch, tg.Kernel)
			sameVerdicts(t, name+" "+targetName(tg).String(), r.Seccomp.Architectures,
				[][]schema.SyscallRule{r.Seccomp.Syscalls, rq.Seccomp.Syscalls},
				progRunner(compileFor(t, r)), progRunner(compileFor(t, rq)))
		}
	}
	// The conditions are still there for Docker to resolve.
	r, _ := schema.Resolve(chains["extends docker-default"], targets[0])
	out, _, _ := ChainToDocker(chains["extends docker-default"], r)
	mobyResolve(t, out) // dockerd's own parser takes it
	if !strings.Contains(string(out), `"archMap"`) || !strings.Contains(string(out), `"includes"`) || !strings.Contains(string(out), `"minKernel"`) {
		t.Error("the merged profile lost its conditions")
	}
}

// TestChainToDockerSingle: for a profile without extends ChainToDocker
// writes what ToDocker writes, and says nothing about extends.
func TestChainToDockerSingle(t *testing.T) {
	p := loadDocker(t, "old-name.json")
	a, _, err := ToDocker(p)
	if err != nil {
		t.Fatal(err)
	}
	b, notes, err := ChainToDocker([]*schema.Profile{p}, resolve(t, p, "SCMP_ARCH_X86_64", "6.1"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || hasNote(notes, "extends") {
		t.Errorf("ChainToDocker differs from ToDocker for one profile:\n%s\n%s", a, b)
	}
}
