package schema

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

const docsFile = "../docs/profile.md"

// yamlBlocks returns the ```yaml blocks of a Markdown file with the line
// each starts on.
func yamlBlocks(t *testing.T, file string) (blocks []string, lines []int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	var cur *strings.Builder
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		// A fence with a stray info string would swallow the prose after
		// it when rendered.
		if f := strings.TrimSpace(l); strings.HasPrefix(f, "```") && f != "```" && f != "```yaml" && f != "```text" {
			t.Errorf("%s:%d: unexpected fence %q", file, n, f)
		}
		switch {
		case cur == nil && strings.TrimSpace(l) == "```yaml":
			cur = &strings.Builder{}
			lines = append(lines, n+1)
		case cur != nil && strings.TrimSpace(l) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: unterminated ```yaml block", file)
	}
	return blocks, lines
}

// TestDocsExamples loads and resolves every ```yaml example in
// docs/profile.md; examples extend the built-in bases as users would.
func TestDocsExamples(t *testing.T) {
	testenv.RequireFile(t, "../policies/bases/docker-default.yaml")
	testenv.RequireFile(t, "../policies/bases/default.yaml")
	blocks, lines := yamlBlocks(t, docsFile)
	if len(blocks) < 10 {
		t.Fatalf("found only %d yaml examples in %s", len(blocks), docsFile)
	}
	schemaDoc := loadSchema(t)
	schemaDefs, _ := schemaDoc["definitions"].(map[string]any)
	dir := t.TempDir()
	names := map[string]int{}
	claimsLeft := map[string]bool{}
	for n := range docsClaims {
		claimsLeft[n] = true
	}
	defer func() {
		for n := range claimsLeft {
			t.Errorf("no example named %q in %s", n, docsFile)
		}
	}()
	for i, b := range blocks {
		name := fmt.Sprintf("profile.md:%d", lines[i])
		path := filepath.Join(dir, fmt.Sprintf("example-%d.yaml", i))
		if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		// Editors check the same examples against the JSON Schema.
		if errs := validate(schemaDoc, yamlValue(t, []byte(b)), schemaDefs, name); len(errs) > 0 {
			t.Errorf("%s: the JSON Schema rejects the example:\n%s", name, strings.Join(errs, "\n"))
		}
		r, err := LoadResolved(path, x86, Options{Bases: diskBases})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Name == "" {
			t.Errorf("%s: example has no name", name)
		}
		if check, ok := docsClaims[r.Name]; ok {
			if msg := check(r); msg != "" {
				t.Errorf("%s (%s): %s", name, r.Name, msg)
			}
			delete(claimsLeft, r.Name)
		}
		if prev, ok := names[r.Name]; ok {
			t.Errorf("%s: name %q already used by the example at line %d", name, r.Name, prev)
		}
		names[r.Name] = lines[i]
	}
}

// TestDocsThreeMistakes keeps the documented error output true.
func TestDocsThreeMistakes(t *testing.T) {
	data, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadChain(filepath.Join(profilesDir, "three-mistakes.yaml"), Options{})
	if err == nil {
		t.Fatal("three-mistakes.yaml loads")
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimPrefix(l, profilesDir+"/")
		if !bytes.Contains(data, []byte(l)) {
			t.Errorf("%s does not show the error line %q", docsFile, l)
		}
	}
}

// docsClaims checks what the prose around some examples says about them.
var docsClaims = map[string]func(*Resolved) string{
	"conditional": func(r *Resolved) string {
		got := strings.Join(ruleNames(r), " ")
		if want := "ALLOW:read,write,exit_group ALLOW:ptrace ALLOW:arch_prctl"; got != want {
			return fmt.Sprintf("rules %q, want %q", got, want)
		}
		return ""
	},
	"docker-like": func(r *Resolved) string {
		if len(r.Capabilities.Bounding) != 13 || slicesContains(r.Capabilities.Bounding, "CAP_NET_RAW") {
			return fmt.Sprintf("capabilities %v, want Docker's 14 minus NET_RAW", r.Capabilities.Bounding)
		}
		return ""
	},
	"quiet-docker": func(r *Resolved) string {
		for _, s := range r.Seccomp.Syscalls {
			for _, n := range s.Names {
				if (n == "ptrace" || n == "personality") && (s.Action != "SCMP_ACT_ERRNO" || s.ErrnoRet == nil || *s.ErrnoRet != 1) {
					return fmt.Sprintf("%s still has an inherited rule %s", n, s.Action)
				}
			}
		}
		return ""
	},
	"bind-only": func(r *Resolved) string {
		if strings.Join(r.Capabilities.Bounding, ",") != "CAP_NET_BIND_SERVICE" || strings.Join(r.Capabilities.Ambient, ",") != "CAP_NET_BIND_SERVICE" {
			return fmt.Sprintf("capabilities %+v", r.Capabilities)
		}
		return ""
	},
	"arch-map": func(r *Resolved) string {
		if got := strings.Join(r.Seccomp.Architectures, ","); got != "SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32" {
			return "architectures " + got
		}
		return ""
	},
	"limited": func(r *Resolved) string {
		c := r.Cgroups
		if *c.Memory.Max != 512<<20 || *c.CPU.Max != 1.5 || c.IO.Max[0].RBps != 50<<20 || !c.Optional {
			return fmt.Sprintf("cgroups %+v", c)
		}
		return ""
	},
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
