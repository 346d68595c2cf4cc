package schema

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
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
		checkScanEstimates(t, data)
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

// checkScanEstimates holds the pre-scan to its promise: its depth estimate
// is never below the depth yaml.v3 builds, and its value count not far
// below the nodes. Only small inputs the pre-scan passes are parsed.
func checkScanEstimates(t *testing.T, data []byte) {
	t.Helper()
	depth, _, nodes := scanYAML(data)
	if len(data) > 1<<16 || depth > maxDepth || nodes > maxNodes {
		return
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return
	}
	realDepth, realNodes := treeShape(&doc, 0)
	// The document node itself is not a level of the profile.
	if realDepth-1 > depth {
		t.Errorf("depth estimate %d below the real depth %d", depth, realDepth-1)
	}
	if realNodes > 3*nodes+3 {
		t.Errorf("value estimate %d far below the real count %d", nodes, realNodes)
	}
}

func treeShape(n *yaml.Node, level int) (depth, nodes int) {
	depth, nodes = level, 1
	for _, c := range n.Content {
		d, k := treeShape(c, level+1)
		depth = max(depth, d)
		nodes += k
	}
	return depth, nodes
}
