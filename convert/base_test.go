package convert

import (
	"encoding/json"
	"slices"
	"testing"

	mseccomp "github.com/moby/profiles/seccomp"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// TestBuiltinDockerDefaultMatchesModule is issue 6 item 4: the built-in
// docker-default base and the default profile of the moby module in go.mod
// must agree on every verdict, so upgrading the module without running go
// generate cannot go unnoticed.
func TestBuiltinDockerDefaultMatchesModule(t *testing.T) {
	data, ok := bases.Get("docker-default")
	if !ok {
		t.Fatal("no built-in docker-default base")
	}
	base, err := schema.LoadBytes("builtin:docker-default", data, schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatal(err)
	}
	mobyJSON, err := json.Marshal(mseccomp.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	moby, err := FromDocker(mobyJSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []schema.Target{
		{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"},
		{Arch: "SCMP_ARCH_X86", Kernel: "6.1"},
		{Arch: "SCMP_ARCH_X32", Kernel: "6.1"},
		{Arch: "SCMP_ARCH_AARCH64", Kernel: "6.1"},
		{Arch: "SCMP_ARCH_X86_64", Kernel: "4.4"},
	} {
		t.Run(targetName(tg).String(), func(t *testing.T) {
			rb := resolve(t, base, tg.Arch, tg.Kernel)
			rm := resolve(t, moby, tg.Arch, tg.Kernel)
			// Capabilities decide includes.caps; a base granting other caps
			// than Docker would resolve a different filter.
			if !slices.Equal(rb.Capabilities.Bounding, rm.Capabilities.Bounding) {
				t.Errorf("capabilities differ:\nbuilt-in %v\nmoby     %v", rb.Capabilities.Bounding, rm.Capabilities.Bounding)
			}
			n := sameVerdicts(t, "built-in docker-default versus moby "+targetName(tg).String(), rm.Seccomp.Architectures,
				[][]schema.SyscallRule{rb.Seccomp.Syscalls, rm.Seccomp.Syscalls},
				progRunner(compileFor(t, rb)), progRunner(compileFor(t, rm)))
			t.Logf("%d inputs", n)
		})
	}
}

// TestDockerDefaultCapabilities pins the capability list FromDocker writes
// to the one the built-in base carries.
func TestDockerDefaultCapabilities(t *testing.T) {
	data, _ := bases.Get("docker-default")
	base, err := schema.LoadBytes("builtin:docker-default", data, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := DockerDefaultCapabilities()
	want := slices.Clone(base.Capabilities.Add)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(got) != 14 {
		t.Errorf("DockerDefaultCapabilities() = %v\nbuilt-in base grants %v", got, want)
	}
}
