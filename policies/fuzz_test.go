package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// FuzzValidate: any profile the loader accepts validates without an error
// or a panic, in every set, and every output format writes well-formed
// output for it. Normal test runs execute only the seeds: the testdata
// profiles and the built-in bases.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("../testdata/policies/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, name := range bases.Names() {
		data, _ := bases.Get(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := schema.LoadBytes("fuzz.yaml", data, schema.Options{Bases: bases.Get})
		if err != nil {
			return
		}
		chain := []*schema.Profile{p}
		for _, name := range p.Extends {
			src, ok := bases.Get(name)
			if !ok {
				return
			}
			b, err := schema.LoadBytes("builtin:"+name, src, schema.Options{Bases: bases.Get})
			if err != nil || len(b.Extends) > 0 {
				return
			}
			chain = append([]*schema.Profile{b}, chain...)
		}
		r, err := schema.Resolve(chain, x86)
		if err != nil {
			return
		}
		fs, err := Validate(context.Background(), r, Options{Sets: SetNames()})
		if err != nil {
			t.Fatalf("validate: %v", err)
		}
		res := []FileResult{{File: "fuzz.yaml", Findings: fs}}
		for _, format := range Formats {
			var b bytes.Buffer
			if err := Write(&b, format, res); err != nil {
				t.Fatalf("write %s: %v", format, err)
			}
			if (format == "json" || format == "sarif") && !json.Valid(b.Bytes()) {
				t.Fatalf("%s output is not JSON:\n%s", format, b.String())
			}
		}
		for _, f := range fs {
			if f.Pos.Line < 1 || f.Pos.Col < 1 {
				t.Errorf("%s at %s", f.ID, posString(f.Pos))
			}
		}
	})
}
