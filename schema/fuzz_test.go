package schema

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, every
// error must carry a position in the named file, and whatever loads must
// resolve without panicking either.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../testdata/profiles/*.yaml")
	docker, _ := filepath.Glob("testdata/docker/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, file := range docker {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte("version: 1\nseccomp: "), b...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadBytes("fuzz.yaml", data, Options{MaxBytes: 1 << 20})
		if err != nil {
			checkPositioned(t, err)
			return
		}
		if p == nil {
			t.Fatal("LoadBytes returned neither a profile nor an error")
		}
		for _, tgt := range []Target{x86, {Arch: "aarch64", Kernel: "4.0"}} {
			r, err := Resolve([]*Profile{p}, tgt)
			if err != nil {
				checkPositioned(t, err)
				continue
			}
			if r.Seccomp.Enabled && r.Seccomp.DefaultAction == "" {
				t.Errorf("resolved seccomp without a default action")
			}
			if len(r.Seccomp.Architectures) == 0 && r.Seccomp.Enabled {
				t.Errorf("resolved seccomp without architectures")
			}
		}
	})
}

func checkPositioned(t *testing.T, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
	}
	for _, e := range list {
		if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Code == "" || e.Msg == "" {
			t.Errorf("error without a full position or code: %#v", e)
		}
	}
}
