package review

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestDocsRules: the organisation rules docs/review.md shows load and do
// what the page says, so the page cannot drift from the code.
func TestDocsRules(t *testing.T) {
	doc, err := os.ReadFile("../docs/review.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```rego\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no rego example in docs/review.md")
	}
	dir := t.TempDir()
	for i, b := range blocks {
		if err := os.WriteFile(filepath.Join(dir, "example"+string(rune('a'+i))+".rego"), b[1], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewRater([]string{dir})
	if err != nil {
		t.Fatalf("the example rules do not load: %v", err)
	}
	cs := []Change{
		{Kind: KindSyscallAllowed, Subject: "ptrace"},
		{Kind: KindCapAdded, Subject: "CAP_NET_RAW"},
	}
	if err := r.Rate(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	if cs[0].Risk != RiskLow || cs[1].Risk != RiskHigh {
		t.Errorf("ptrace %s, CAP_NET_RAW %s; the page says low and high", cs[0].Risk, cs[1].Risk)
	}
}
