package convert

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		what string
		in   string
		want Kind
	}{
		{"profilec yaml", "version: 1\nseccomp:\n  defaultAction: allow\n", KindProfile},
		{"profilec json", `{"version": 1, "name": "x"}`, KindProfile},
		{"yaml flow mapping", "{version: 1, name: x}", KindProfile},
		{"docker", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}`, KindDocker},
		{"docker archMap only", `{"archMap": [], "syscalls": []}`, KindDocker},
		{"oci linux.seccomp object", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}`, KindDocker},
		{"docker with BOM and space", "\xef\xbb\xbf\n  {\"defaultAction\": \"SCMP_ACT_ALLOW\"}", KindDocker},
		{"oci config", `{"ociVersion": "1.0.2", "process": {"cwd": "/"}, "linux": {}}`, KindOCI},
		{"oci config without version", `{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}`, KindOCI},
		{"spo v1beta1", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\n", KindSPO},
		{"spo v1 after a namespace", "apiVersion: v1\nkind: Namespace\n---\napiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n", KindSPO},
		{"spo as json", `{"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile"}`, KindSPO},
	} {
		got, err := Detect([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s: Detect = %v, %v; want %v", c.what, got, err, c.want)
		}
	}
}

func TestDetectRefuses(t *testing.T) {
	for _, c := range []struct{ what, in, want string }{
		{"empty", "  \n", "empty"},
		{"broken json", `{"defaultAction": `, "JSON"},
		{"json of nothing known", `{"foo": 1}`, "neither"},
		{"broken yaml", "a: [b\n", "YAML"},
		{"a pod", "apiVersion: v1\nkind: Pod\n", "neither"},
		{"a scalar", "hello\n", "neither"},
		{"mixed kinds", "version: 1\n---\napiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n", "one kind"},
		{"too large", strings.Repeat(" ", maxInput+1), "more than"},
	} {
		_, err := Detect([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.what, err, c.want)
		}
	}
}

func TestKindString(t *testing.T) {
	if KindSPO.String() != "spo" || Kind(42).String() != "Kind(42)" {
		t.Errorf("%s %s", KindSPO, Kind(42))
	}
}

func TestImport(t *testing.T) {
	for _, c := range []struct {
		file string
		kind Kind
	}{
		{"old-name.json", KindDocker},
		{"spo-multi.yaml", KindSPO},
		{"golden/confined.bundle.json", KindOCI},
	} {
		p, k, notes, err := Import(readTestdata(t, c.file), "")
		if err != nil || k != c.kind || p == nil || p.Seccomp == nil || len(notes) == 0 {
			t.Errorf("%s: kind %v, %d notes, %v", c.file, k, len(notes), err)
		}
	}
	if _, k, _, err := Import(readTestdata(t, "confined.yaml"), ""); err == nil || k != KindProfile {
		t.Errorf("a profilec profile: %v, %v", k, err)
	}
	if _, _, _, err := Import([]byte("{}"), ""); err == nil {
		t.Error("an empty object was imported")
	}
}
