package convert

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "convert", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// verdict runs a compiled program for one call on x86_64.
func verdict(t testing.TB, r *schema.Resolved, name string, args ...uint64) string {
	t.Helper()
	a, _ := systab.LookupArch("SCMP_ARCH_X86_64")
	nr, ok := systab.SyscallNumber(a.Name, name)
	if !ok {
		t.Fatalf("no syscall %s", name)
	}
	d := compiler.SeccompData{Nr: int32(nr), Arch: a.Audit}
	copy(d.Args[:], args)
	v, _, err := compiler.Run(compileFor(t, r), d)
	if err != nil {
		t.Fatal(err)
	}
	return compiler.ActionString(v)
}

// TestFromSPOMultiDoc reads a stream holding a Namespace, a base and a
// profile built on it, and checks the union and the verdicts it compiles to.
func TestFromSPOMultiDoc(t *testing.T) {
	data := readTestdata(t, "spo-multi.yaml")
	if k, err := Detect(data); err != nil || k != KindSPO {
		t.Fatalf("Detect = %v, %v", k, err)
	}
	names, err := SPONames(data)
	if err != nil || !slices.Equal(names, []string{"runc-base", "web"}) {
		t.Fatalf("SPONames = %v, %v", names, err)
	}
	p, notes, err := FromSPO(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "web" {
		t.Errorf("picked %q, want the profile no other one builds on (web)", p.Name)
	}
	if !hasNote(notes, "spec.baseProfileName") {
		t.Errorf("no note on the base: %v", notes)
	}
	s := p.Seccomp
	if s.DefaultAction != "SCMP_ACT_LOG" {
		t.Errorf("defaultAction %s, want the profile's own", s.DefaultAction)
	}
	if !slices.Equal(s.Architectures, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}) {
		t.Errorf("architectures %v", s.Architectures)
	}
	if len(s.Syscalls) != 5 || !slices.Contains(s.Syscalls[0].Names, "execve") || s.Syscalls[0].Comment != "from base profile runc-base" {
		t.Fatalf("rules: base first, then the profile's four; have %+v", s.Syscalls)
	}
	r := resolve(t, reload(t, p), "SCMP_ARCH_X86_64", "6.1")
	for _, c := range []struct {
		call string
		args []uint64
		want string
	}{
		{"execve", nil, "SCMP_ACT_ALLOW"},      // from the base
		{"bind", nil, "SCMP_ACT_ALLOW"},        // the profile's own
		{"mkdirat", nil, "SCMP_ACT_ERRNO(13)"}, // errnoRet written as a string
		{"ptrace", nil, "SCMP_ACT_ERRNO(1)"},   // errnoRet written as a number
		{"personality", []uint64{8}, "SCMP_ACT_ALLOW"},
		{"personality", []uint64{9}, "SCMP_ACT_LOG"},
		{"chdir", nil, "SCMP_ACT_LOG"}, // the default
	} {
		if got := verdict(t, r, c.call, c.args...); got != c.want {
			t.Errorf("%s%v: %s, want %s", c.call, c.args, got, c.want)
		}
	}
	base, _, err := FromSPO(data, "runc-base")
	if err != nil || base.Name != "runc-base" || base.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Errorf("FromSPO(runc-base) = %+v, %v", base, err)
	}
}

func TestFromSPOv1(t *testing.T) {
	p, _, err := FromSPO(readTestdata(t, "spo-v1.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, reload(t, p), "SCMP_ARCH_X86_64", "6.1")
	if got := verdict(t, r, "uname"); got != "SCMP_ACT_ERRNO(38)" {
		t.Errorf("uname: %s", got)
	}
	if got := verdict(t, r, "read"); got != "SCMP_ACT_ALLOW" {
		t.Errorf("read: %s", got)
	}
}

func TestFromSPORefuses(t *testing.T) {
	head := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
	for _, c := range []struct{ what, in, name, want string }{
		{"missing base", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: runc-v1.1.12}\n", "", "no SeccompProfile of that name"},
		{"oci base", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: 'oci://ghcr.io/x/y:1'}\n", "", "registry"},
		{"cycle", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: b}\n---\n" + head + "metadata: {name: b}\nspec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: a}\n", "a", "leads back"},
		{"two leaves", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n---\n" + head + "metadata: {name: b}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n", "", "say which one"},
		{"duplicate", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n---\n" + head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n", "", "second SeccompProfile"},
		{"unknown name", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n", "b", `no SeccompProfile called "b"`},
		{"unknown spec field", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, defaultErrnoRet: 38}\n", "", `line 4: unknown field "defaultErrnoRet" in spec`},
		{"unknown arg field", head + "metadata: {name: a}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n    - names: [a]\n      action: SCMP_ACT_ALLOW\n      args: [{index: 0, vlaue: 1, op: SCMP_CMP_EQ}]\n", "", `line 9: unknown field "vlaue" in spec.syscalls[0].args[0]`},
		{"bad errno", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, syscalls: [{names: [x], action: SCMP_ACT_ERRNO, errnoRet: EWHAT}]}\n", "", "errno"},
		{"bad action", head + "metadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO, syscalls: [{names: [read], action: SCMP_ACT_ALOW}]}\n", "", "unknown action"},
		{"no name", head + "metadata: {}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n", "", "metadata.name"},
		{"unknown version", "apiVersion: security-profiles-operator.x-k8s.io/v2\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n", "", "v2"},
		{"no profile", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "", "no SeccompProfile"},
	} {
		_, _, err := FromSPO([]byte(c.in), c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.what, err, c.want)
		}
	}
}

// TestFromSPOList reads what kubectl get seccompprofiles -o json|yaml
// writes: a List of objects with status and server-set metadata.
func TestFromSPOList(t *testing.T) {
	list := `{"apiVersion": "v1", "kind": "List", "items": [
	  {"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile",
	   "metadata": {"name": "base", "namespace": "apps", "uid": "x", "creationTimestamp": "2024-01-01T00:00:00Z"},
	   "spec": {"disabled": false, "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]},
	   "status": {"status": "Installed", "localhostProfile": "operator/apps/base.json"}},
	  {"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile",
	   "metadata": {"name": "app", "namespace": "apps"},
	   "spec": {"disabled": false, "baseProfileName": "base", "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ALLOW"}]}}
	], "metadata": {"resourceVersion": ""}}`
	for _, in := range []string{list, "# kubectl get sp -o yaml\n" + list} {
		if k, err := Detect([]byte(in)); err != nil || k != KindSPO {
			t.Fatalf("Detect = %v, %v", k, err)
		}
		p, _, err := FromSPO([]byte(in), "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "app" || len(p.Seccomp.Syscalls) != 2 || p.Seccomp.Syscalls[0].Names[0] != "read" {
			t.Errorf("%s %+v", p.Name, p.Seccomp.Syscalls)
		}
	}
}

func TestFromSPONativeArch(t *testing.T) {
	p, _, err := FromSPO([]byte("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures: [SCMP_ARCH_NATIVE]\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := systab.NativeArch().Name; len(p.Seccomp.Architectures) != 1 || p.Seccomp.Architectures[0] != want {
		t.Errorf("SCMP_ARCH_NATIVE became %v, want %s", p.Seccomp.Architectures, want)
	}
}
