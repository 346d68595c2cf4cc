package compilertest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// TestMatchesMoby compares DockerDefault with moby's own resolution,
// which can only run for this host's arch and kernel.
func TestMatchesMoby(t *testing.T) {
	native := systab.NativeArch()
	kernel, err := systab.KernelVersion()
	if err != nil || native.Name == "" {
		testenv.Skip(t, "needs a known arch and kernel version")
	}
	for _, caps := range [][]string{DockerDefaultCaps(), append(DockerDefaultCaps(), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_BPF")} {
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
		want, err := mobyseccomp.GetDefaultProfile(spec)
		if err != nil {
			t.Fatal(err)
		}
		got := DockerDefault(native.Name, caps, kernel)
		var wantArches []string
		for _, a := range want.Architectures {
			wantArches = append(wantArches, string(a))
		}
		if !slices.Equal(got.Architectures, wantArches) {
			t.Errorf("architectures %v, moby %v", got.Architectures, wantArches)
		}
		if got.DefaultAction != string(want.DefaultAction) || *got.DefaultErrnoRet != *want.DefaultErrnoRet {
			t.Errorf("default %s/%d, moby %s/%d", got.DefaultAction, *got.DefaultErrnoRet, want.DefaultAction, *want.DefaultErrnoRet)
		}
		var wantRules []schema.SyscallRule
		for _, c := range want.Syscalls {
			r := schema.SyscallRule{Names: c.Names, Action: string(c.Action), ErrnoRet: c.ErrnoRet}
			for _, a := range c.Args {
				r.Args = append(r.Args, schema.Arg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: string(a.Op)})
			}
			wantRules = append(wantRules, r)
		}
		gotRules := slices.Clone(got.Syscalls)
		for i := range gotRules {
			gotRules[i].Comment = ""
		}
		if d := cmp.Diff(wantRules, gotRules); d != "" {
			t.Errorf("caps %v: rules differ from moby's (-moby +ours):\n%s", caps, d)
		}
	}
}

func TestConditions(t *testing.T) {
	has := func(s *schema.ResolvedSeccomp, name, action string) bool {
		for _, r := range s.Syscalls {
			if r.Action == action && slices.Contains(r.Names, name) {
				return true
			}
		}
		return false
	}
	def := DockerDefault("x86_64", DockerDefaultCaps(), "6.1")
	if !slices.Equal(def.Architectures, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}) {
		t.Errorf("x86_64 architectures: %v", def.Architectures)
	}
	if !has(def, "read", "SCMP_ACT_ALLOW") || has(def, "mount", "SCMP_ACT_ALLOW") || !has(def, "clone3", "SCMP_ACT_ERRNO") {
		t.Error("default caps: want read allowed, mount not, clone3 ENOSYS")
	}
	admin := DockerDefault("amd64", append(DockerDefaultCaps(), "CAP_SYS_ADMIN"), "6.1")
	if !has(admin, "mount", "SCMP_ACT_ALLOW") || has(admin, "clone3", "SCMP_ACT_ERRNO") {
		t.Error("CAP_SYS_ADMIN: want mount allowed and no clone3 ENOSYS")
	}
	if has(DockerDefault("x86_64", DockerDefaultCaps(), "4.7"), "ptrace", "SCMP_ACT_ALLOW") ||
		!has(DockerDefault("x86_64", DockerDefaultCaps(), "4.8"), "ptrace", "SCMP_ACT_ALLOW") {
		t.Error("ptrace: want it allowed from kernel 4.8 on")
	}
	arm := DockerDefault("arm64", DockerDefaultCaps(), "6.1")
	if !slices.Equal(arm.Architectures, []string{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}) || has(arm, "arch_prctl", "SCMP_ACT_ALLOW") {
		t.Errorf("arm64: architectures %v, arch_prctl must be x86-only", arm.Architectures)
	}
	if n := len(DockerDefaultCaps()); n != 14 || len(slices.Compact(slices.Sorted(slices.Values(DockerDefaultCaps())))) != 14 {
		t.Errorf("%d default capabilities, want 14 distinct", n)
	}
	for _, bad := range []func(){func() { DockerDefault("vax", nil, "6.1") }, func() { DockerDefault("x86_64", nil, "six") }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("bad input did not panic")
				}
			}()
			bad()
		}()
	}
}
