package review

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// FuzzDiff: any two profiles that load diff without panicking, a profile
// against itself is no change, and every output format writes.
func FuzzDiff(f *testing.F) {
	files, _ := filepath.Glob("../testdata/review/*/*.yaml")
	for i := 0; i+1 < len(files); i += 2 {
		a, _ := os.ReadFile(files[i])
		b, _ := os.ReadFile(files[i+1])
		f.Add(a, b)
	}
	f.Add([]byte("version: 1\nseccomp:\n  defaultAction: errno\n  syscalls:\n    - {names: [clone], action: allow, args: [{index: 0, value: 0x7e020000, valueTwo: 0, op: masked_eq}]}\n"),
		[]byte("version: 1\nseccomp:\n  defaultAction: errno\n  architectures: [x86, x32]\n  syscalls:\n    - {names: [clone], action: allow, args: [{index: 0, value: 0x7e000000, valueTwo: 0, op: masked_eq}, {index: 0, value: 5, op: gt}]}\n"))
	rater, err := NewRater(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		load := func(src []byte) *schema.Resolved {
			chain, err := schema.LoadChainBytes("p.yaml", src, schema.Options{Bases: bases.Get})
			if err != nil {
				return nil
			}
			r, err := schema.Resolve(chain, target)
			if err != nil {
				return nil
			}
			return r
		}
		old, new := load(a), load(b)
		if old == nil || new == nil {
			return
		}
		if d, err := Diff(old, old); err == nil && len(d.Changes) != 0 {
			t.Fatalf("a profile against itself: %+v", d.Changes)
		}
		rep, err := Compare(context.Background(), old, new, "old.yaml", "new.yaml", rater)
		if err != nil {
			return // the compiler refuses one of them; that is its error to report
		}
		for _, c := range rep.Files[0].Changes {
			if c.Risk == "" || c.Reason == "" || c.Message == "" {
				t.Fatalf("change without risk, reason or message: %+v", c)
			}
		}
		for _, format := range Formats {
			if err := Write(io.Discard, format, rep); err != nil {
				t.Fatal(err)
			}
		}
	})
}
