package schema

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
			var list ErrorList
			errors.As(err, &list)
			lines := yamlLines(data)
			for _, e := range list {
				if e.Pos.Line > lines {
					t.Errorf("error at line %d of a %d-line input: %v", e.Pos.Line, lines, e)
				}
			}
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
	seen := map[string]bool{}
	for _, e := range list {
		// One mistake, one report: the same place and path twice means a
		// check repeated what another already said.
		key := e.Pos.String() + " " + e.Path
		if seen[key] && e.Code != CodeTooManyErrors {
			t.Errorf("two errors at %s: %v", key, err)
		}
		seen[key] = true
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

// mutationSeeds are the example profiles FuzzMutate starts from.
var mutationSeeds = []string{"every-field.yaml", "spellings.yaml", "chain-app.yaml", "web-server.yaml", "conditions.yaml"}

// FuzzMutate replaces one node of a real profile with a value of another
// kind or content, reaching the type checks of every field far more often
// than byte mutations do. Invariants as FuzzLoad.
func FuzzMutate(f *testing.F) {
	docs := make([]*yaml.Node, len(mutationSeeds))
	for i, name := range mutationSeeds {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "profiles", name))
		if err != nil {
			f.Fatal(err)
		}
		docs[i] = &yaml.Node{}
		if err := yaml.Unmarshal(b, docs[i]); err != nil {
			f.Fatal(err)
		}
	}
	for i := range mutationSeeds {
		for k := byte(0); k < 7; k++ {
			f.Add(byte(i), uint16(7*int(k)+3), k, "x")
		}
	}
	f.Add(byte(0), uint16(40), byte(0), "-1")
	f.Add(byte(1), uint16(90), byte(1), "18446744073709551616")
	f.Add(byte(2), uint16(12), byte(5), "ALL")
	f.Fuzz(func(t *testing.T, seed byte, at uint16, kind byte, value string) {
		doc := cloneNode(docs[int(seed)%len(docs)])
		var nodes []*yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			nodes = append(nodes, n)
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(doc.Content[0])
		n := nodes[int(at)%len(nodes)]
		switch kind % 7 {
		case 0:
			*n = yaml.Node{Kind: yaml.ScalarNode, Value: value}
		case 1:
			*n = yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: value}
		case 2:
			*n = yaml.Node{Kind: yaml.SequenceNode}
		case 3:
			*n = yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: "value"}, {Kind: yaml.ScalarNode, Value: value}}}
		case 4:
			*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		case 5:
			*n = yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: value}}}
		case 6:
			if n.Kind == yaml.ScalarNode {
				n.Value = value
			}
		}
		out, err := yaml.Marshal(doc)
		if err != nil {
			return // a mutation yaml.v3 cannot write is no profile
		}
		checkScanEstimates(t, out)
		p, err := LoadBytes("fuzz.yaml", out, Options{MaxBytes: 1 << 20})
		if err != nil {
			checkPositioned(t, err)
			return
		}
		if _, err := Resolve([]*Profile{p}, x86); err != nil {
			checkPositioned(t, err)
		}
		// What the loader reads, the editor's schema must not flag
		// (nulls aside: the loader reads them as absent, the schema as
		// mistakes still being typed).
		var v any
		if yaml.Unmarshal(out, &v) != nil || hasNull(v) {
			return
		}
		s, defs := schemaForFuzz(t)
		if errs := validate(s, v, defs, "profile"); len(errs) > 0 {
			t.Errorf("the loader reads it but the JSON Schema rejects it:\n%s\n%s", strings.Join(errs, "\n"), out)
		}
	})
}

var (
	fuzzSchemaOnce sync.Once
	fuzzSchema     map[string]any
)

func schemaForFuzz(t *testing.T) (map[string]any, map[string]any) {
	fuzzSchemaOnce.Do(func() { fuzzSchema = loadSchema(t) })
	defs, _ := fuzzSchema["definitions"].(map[string]any)
	return fuzzSchema, defs
}

func hasNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, c := range x {
			if hasNull(c) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if hasNull(c) {
				return true
			}
		}
	}
	return false
}

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = cloneNode(x)
	}
	return &c
}

// yamlLines counts lines as yaml.v3 does: \r\n, \r, \n, NEL, LS and PS
// each end one.
func yamlLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			n++
		case data[i] == '\n':
			n++
		case bytes.HasPrefix(data[i:], []byte("\u0085")), bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			n++
		}
	}
	return n
}
