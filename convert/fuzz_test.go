package convert

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// FuzzImport feeds arbitrary bytes to detection and every reader: bad input
// must give an error, never a panic or a hang, and whatever a reader
// accepts must be writable as YAML. The seeds are the test inputs, so `go
// test` runs them as a table.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "convert", "*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{}`, `{"defaultAction": null}`, `{"syscalls": [{}]}`, `{"linux": {"seccomp": {}}}`,
		`{"process": {"rlimits": [{}]}}`, "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n",
		"a: &a [*a, *a]\n", "version: 1\n", `{"archMap": [{"architecture": "x", "subArchitectures": null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, _, err := Import(data, "")
		if err != nil || p == nil {
			return
		}
		y, err := ToYAML(p, "")
		if err != nil {
			t.Fatalf("an imported profile cannot be written: %v", err)
		}
		// The strict loader may refuse it (an unknown syscall name, say),
		// but must not panic on it.
		q, err := schema.LoadBytes("fuzz.yaml", y, schema.Options{Bases: bases.Get})
		if err != nil || q.Seccomp == nil || q.Seccomp.DefaultAction == "" {
			return
		}
		// What loads must come back from Docker JSON as it went in.
		d, _, err := ToDocker(q)
		if err != nil {
			t.Fatalf("a loaded profile cannot be written as Docker JSON: %v", err)
		}
		back, err := FromDocker(d)
		if err != nil {
			t.Fatalf("the Docker JSON written cannot be read back: %v\n%s", err, d)
		}
		if diff := cmp.Diff(q.Seccomp, back.Seccomp, posFree); diff != "" {
			t.Fatalf("changed through Docker JSON (-in +out):\n%s", diff)
		}
	})
}
