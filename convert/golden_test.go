package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/convert/golden")

// golden compares got with testdata/convert/golden/name, or rewrites it
// with -update. Reviewing a golden diff is how a format change is seen.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "convert", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it):\n%s", name, t.Name(), got)
	}
}

func TestGolden(t *testing.T) {
	conv := func(file string) *schema.Profile {
		p := loadDocker(t, file)
		p.Name = file[:len(file)-len(filepath.Ext(file))]
		return p
	}
	for _, file := range []string{"old-name.json", "archmap.json", "containers-common.json"} {
		y, err := ToYAML(conv(file), "Converted from "+file+".")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, file+".yaml", y)
		d, _, err := ToDocker(conv(file))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, file+".docker.json", d)
	}
	spo, _, err := FromSPO(readTestdata(t, "spo-multi.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	y, err := ToYAML(spo, "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "spo-multi.yaml.yaml", y)

	r := confinedResolved(t)
	frag, _, err := ToOCI(r, OCIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "confined.oci.json", frag)
	bundle, _, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "rootfs", Args: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "confined.bundle.json", bundle)
	k, _, err := ToK8s(r, K8sOptions{Namespace: "apps", Image: "busybox:1.36"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "confined.k8s.yaml", k.Manifests())
	golden(t, "confined.localhost.json", k.Localhost)
}

// TestConversionsDeterministic: converting twice gives the same bytes
// (maps and sets must not leak their iteration order into outputs).
func TestConversionsDeterministic(t *testing.T) {
	r := confinedResolved(t)
	a, _, _ := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "r"})
	b, _, _ := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "r"})
	k1, _, _ := ToK8s(r, K8sOptions{})
	k2, _, _ := ToK8s(r, K8sOptions{})
	if !bytes.Equal(a, b) || !bytes.Equal(k1.Manifests(), k2.Manifests()) {
		t.Fatal("two conversions of one profile differ")
	}
}
