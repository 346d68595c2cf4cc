package policies

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/policies/golden")

// TestGolden pins every output format for a few testdata profiles, so a
// change of wording, order or location shows up in review. Run with
// -update to rewrite them after a deliberate change.
func TestGolden(t *testing.T) {
	var res []FileResult
	for _, f := range []string{"exec-denied.yaml", "waived.yaml", "extends-docker.yaml", "kill-thread.yaml"} {
		file := "../testdata/policies/" + f
		fs, err := Validate(context.Background(), load(t, file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, FileResult{File: file, Findings: fs})
	}
	ext := map[string]string{"text": "txt", "json": "json", "sarif": "sarif", "github": "github"}
	for _, format := range Formats {
		var a, b bytes.Buffer
		if err := Write(&a, format, res); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, format, res); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two writes of the same results differ", format)
		}
		golden := filepath.Join("../testdata/policies/golden", "out."+ext[format])
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, a.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./policies -run TestGolden -update)", err)
		}
		if !bytes.Equal(a.Bytes(), want) {
			t.Errorf("%s output differs from %s (go test ./policies -run TestGolden -update rewrites it):\n%s", format, golden, a.String())
		}
	}
}
