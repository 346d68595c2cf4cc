package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostile runs load and asserts that it fails with code, within loose time
// and memory bounds. The time bound only catches hangs; the memory bound is
// the acceptance limit (100 MiB), measured as bytes allocated during load.
func hostile(t *testing.T, name, code string, load func() error) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() { done <- load() }()
	var err error
	start := time.Now()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still loading after 5s", name)
	}
	runtime.ReadMemStats(&after)
	t.Logf("%s: refused in %v, %d KiB allocated", name, time.Since(start).Round(time.Microsecond), (after.TotalAlloc-before.TotalAlloc)>>10)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("%s: allocated %d MiB, want under 100 MiB", name, alloc>>20)
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("%s: error %v, want an ErrorList", name, err)
	}
	if list[0].Code != code {
		t.Errorf("%s: code %q, want %q: %v", name, list[0].Code, code, err)
	}
	for _, e := range list {
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("%s: error without a position: %v", name, e)
		}
	}
}

func TestHostileTooLarge(t *testing.T) {
	big := []byte("version: 1\ndescription: \"" + strings.Repeat("x", 10<<20) + "\"\n")
	hostile(t, "10 MiB bytes", CodeTooLarge, func() error {
		_, err := LoadBytes("big.yaml", big, Options{})
		return err
	})
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	hostile(t, "10 MiB file", CodeTooLarge, func() error {
		_, err := LoadChain(path, Options{})
		return err
	})
	// A file that never ends must not be read to its end.
	hostile(t, "/dev/zero", CodeTooLarge, func() error {
		_, err := Load("/dev/zero", Options{})
		return err
	})
	// Under the byte limit, but millions of values would cost yaml.v3
	// half a GiB.
	for name, doc := range map[string]string{
		"flow values":  "version: 1\nx: [" + strings.Repeat("a,", 2<<20-20) + "]\n",
		"block values": "version: 1\nx:\n" + strings.Repeat("- a\n", 1<<20-20),
		"map values":   "version: 1\nx: {" + strings.Repeat("a: 1, ", 600000) + "}\n",
	} {
		hostile(t, name, CodeTooLarge, func() error {
			_, err := LoadBytes("values.yaml", []byte(doc), Options{})
			return err
		})
	}
	hostile(t, "custom limit", CodeTooLarge, func() error {
		_, err := LoadBytes("small.yaml", []byte("version: 1\nname: twenty-five bytes\n"), Options{MaxBytes: 10})
		return err
	})
}

func TestHostileDeep(t *testing.T) {
	const n = 10000
	cases := map[string]string{
		"flow sequences": "version: 1\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"flow mappings":  "version: 1\nx: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n",
		"compact seqs":   "version: 1\nx:\n" + strings.Repeat("- ", n) + "x\n",
		"unclosed":       strings.Repeat("[", n),
		"mixed":          "version: 1\nx:\n" + strings.Repeat("- [", n/2) + "\n",
		"in a list":      "version: 1\nseccomp:\n  syscalls:\n    - names: " + strings.Repeat("[", n) + "\n",
	}
	var block strings.Builder
	block.WriteString("version: 1\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&block, "%sk:\n", strings.Repeat(" ", i))
	}
	cases["indentation"] = block.String()
	cases["indentation, CR line ends"] = strings.ReplaceAll(block.String(), "\n", "\r")
	cases["indentation, LS line ends"] = strings.ReplaceAll(block.String(), "\n", "\u2028")
	for name, doc := range cases {
		hostile(t, name, CodeTooDeep, func() error {
			_, err := LoadBytes("deep.yaml", []byte(doc), Options{MaxBytes: 8 << 20})
			return err
		})
	}
}

func TestHostileAliases(t *testing.T) {
	// The billion laughs: nine levels of nine aliases each.
	var b strings.Builder
	b.WriteString("version: 1\nanchors:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  - &l%d [", i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	bomb := b.String()
	for name, doc := range map[string]string{
		"as syscall names": bomb + "seccomp: {defaultAction: allow, syscalls: [{names: *l9, action: allow}]}\n",
		"as a list":        bomb + "seccomp: {defaultAction: allow, syscalls: *l9}\n",
		"as groups":        bomb + "user: {uid: 1, gid: 1, groups: *l9}\n",
		"as caps":          bomb + "capabilities: {add: *l9}\n",
	} {
		hostile(t, name, CodeAliasBudget, func() error {
			// The anchors hang off an unknown field, which is an error
			// too; the bomb's must be the first.
			doc := strings.Replace(doc, "anchors:", "description: x\nz-anchors:", 1)
			_, err := LoadBytes("bomb.yaml", []byte(doc), Options{})
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					if e.Code == CodeAliasBudget {
						return ErrorList{e}
					}
				}
			}
			return err
		})
	}
	bomb2 := walkedBomb(20000)
	hostile(t, "walked bomb", CodeAliasBudget, func() error {
		_, err := LoadBytes("walked.yaml", bomb2, Options{})
		return err
	})
	// An alias inside its own anchor is a cycle, not an infinite walk.
	hostile(t, "self alias", CodeAliasBudget, func() error {
		_, err := LoadBytes("self.yaml", []byte("version: 1\nuser: &u {uid: 1, gid: 1, groups: [*u]}\n"), Options{})
		var list ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				if e.Code == CodeAliasBudget {
					return ErrorList{e}
				}
			}
		}
		return err
	})
}

// TestAliasesAllowed checks that modest, honest use of anchors still works.
func TestAliasesAllowed(t *testing.T) {
	doc := `version: 1
seccomp:
  defaultAction: errno
  syscalls:
    - names: &io [read, write, close]
      action: allow
      args: &a0 [{index: 0, value: 1, op: eq}]
    - names: [openat]
      action: allow
      args: *a0
capabilities: {add: *io-caps}
`
	_, err := LoadBytes("alias.yaml", []byte(strings.Replace(doc, "capabilities: {add: *io-caps}\n", "", 1)), Options{})
	if err != nil {
		t.Fatalf("anchors and aliases: %v", err)
	}
	_, err = LoadBytes("alias.yaml", []byte(doc), Options{})
	list := wantCodes(t, err, CodeSyntax)
	if len(list) == 1 && (list[0].Pos.Line != 11 || list[0].Pos.Col != 21) {
		t.Errorf("unknown alias reported at %v, want 11:21", list[0].Pos)
	}
}

// TestNestingDepthRealProfiles keeps the pre-scan from refusing real
// profiles: its estimate must stay far below maxDepth for all of them.
func TestNestingDepthRealProfiles(t *testing.T) {
	files, _ := filepath.Glob("../testdata/profiles/*.yaml")
	more, _ := filepath.Glob("../policies/bases/*.yaml")
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("found only %d profiles", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d, line, nodes := scanYAML(b); d > maxDepth/2 || nodes > maxNodes/20 {
			t.Errorf("%s: depth estimate %d at line %d, %d values; want at most %d and %d", f, d, line, nodes, maxDepth/2, maxNodes/20)
		}
	}
	for _, c := range []struct {
		doc  string
		want int
	}{
		{"a: 1\n", 3},
		{"a:\n  b:\n    c: 1\n", 7},
		{"a: [[[1]]]\n", 6},
		{"a: '[[[['\nb: \"{{{{\"\n", 3},
		{"a: |\n  [[[[[[\n      {{{{{{\n  - - - -\nb: 1\n", 3},
		{"# [[[[[[[\na: 1 # {{{{{\n", 3},
		{"- - - - x\n", 6},
	} {
		if d, _ := nestingDepth([]byte(c.doc)); d != c.want {
			t.Errorf("nestingDepth(%q) = %d, want %d", c.doc, d, c.want)
		}
	}
}

// TestLineEndings: Windows line endings and a byte order mark load, with
// the same positions.
func TestLineEndings(t *testing.T) {
	doc := "version: 1\ndescription: |\n  text\n    more\nseccomp:\n  defaultAction: allow\n  syscalls:\n    - {names: [opne], action: allow}\n"
	for name, data := range map[string]string{
		"lf":   doc,
		"crlf": strings.ReplaceAll(doc, "\n", "\r\n"),
		"bom":  "\ufeff" + doc,
	} {
		_, err := LoadBytes(name, []byte(data), Options{})
		list := wantCodes(t, err, CodeUnknownName)
		if len(list) == 1 && (list[0].Pos.Line != 8 || list[0].Pos.Col != 16) {
			t.Errorf("%s: error at %v, want 8:16", name, list[0].Pos)
		}
		if d, _ := nestingDepth([]byte(data)); d > 12 {
			t.Errorf("%s: depth estimate %d", name, d)
		}
	}
}

// walkedBomb is an alias bomb made of what the decoder really walks: n
// aliases to a rule whose names are n entries, n*n names in all. Nested
// lists would stop at the first type error; this would not.
func walkedBomb(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nseccomp:\n  defaultAction: allow\n  syscalls:\n    - &r {action: allow, names: [")
	b.WriteString(strings.TrimSuffix(strings.Repeat("read, ", n), ", "))
	b.WriteString("]}\n")
	for i := 0; i < n; i++ {
		b.WriteString("    - *r\n")
	}
	return []byte(b.String())
}

// hostileInputs builds each hostile document in the process that loads it.
var hostileInputs = map[string]func() []byte{
	"baseline":    func() []byte { return []byte("version: 2\n") },
	"walked-bomb": func() []byte { return walkedBomb(20000) },
	"many-values": func() []byte { return []byte("version: 1\nx: [" + strings.Repeat("a,", 2<<20-20) + "]\n") },
	"large": func() []byte {
		return []byte("version: 1\ndescription: \"" + strings.Repeat("x", 10<<20) + "\"\n")
	},
	"deep": func() []byte {
		return []byte("version: 1\nx: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n")
	},
	"deep-block": func() []byte {
		return []byte("version: 1\nx:\n" + strings.Repeat("- ", 10000) + "x\n")
	},
	"bomb": func() []byte {
		var b strings.Builder
		b.WriteString("version: 1\nz:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&b, "  - &l%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
		}
		b.WriteString("user: {uid: 1, gid: 1, groups: *l12}\n")
		return []byte(b.String())
	},
}

// TestHostileMaxRSS loads each hostile input in a fresh process and reads
// the kernel's account of its peak memory, which counts everything the
// process touched, not only Go allocations. Linux carries the spawning
// process's resident size into the child's peak across exec, so the figure
// is an upper bound; "baseline" shows that floor.
func TestHostileMaxRSS(t *testing.T) {
	if kind := os.Getenv("PROFILEC_HOSTILE"); kind != "" {
		_, err := LoadBytes("hostile.yaml", hostileInputs[kind](), Options{})
		var list ErrorList
		if !errors.As(err, &list) {
			fmt.Println("NOT REFUSED", err)
			os.Exit(3)
		}
		for _, e := range list {
			fmt.Println(e.Code)
		}
		os.Exit(0)
	}
	want := map[string]string{"baseline": CodeVersion, "walked-bomb": CodeAliasBudget, "many-values": CodeTooLarge, "large": CodeTooLarge, "deep": CodeTooDeep, "deep-block": CodeTooDeep, "bomb": CodeAliasBudget}
	for kind, code := range want {
		// The deadline only catches a hang; the timing is not asserted.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileMaxRSS$")
		cmd.Env = append(os.Environ(), "PROFILEC_HOSTILE="+kind)
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v: %s", kind, err, out)
		}
		elapsed := time.Since(start)
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			t.Fatalf("%s: no rusage", kind)
		}
		rss := ru.Maxrss >> 10 // KiB to MiB
		t.Logf("%s: %q, peak RSS %d MiB, %v including process start", kind, strings.Fields(string(out)), rss, elapsed.Round(time.Millisecond))
		if codes := strings.Fields(string(out)); !slices.Contains(codes, code) {
			t.Errorf("%s: child reported %q, want %q among them", kind, codes, code)
		}
		if rss >= 100 && !raceEnabled {
			t.Errorf("%s: peak RSS %d MiB, want under 100 MiB", kind, rss)
		}
	}
}

// TestManyMisspellings: suggestions are searched for at most the errors
// that are shown, so a file of misspelt names costs no more than a file.
func TestManyMisspellings(t *testing.T) {
	var names []string
	for i := 0; i < 40000; i++ {
		names = append(names, fmt.Sprintf("fsetxat%d", i%1000))
	}
	doc := "version: 1\nseccomp: {defaultAction: allow, syscalls: [{action: allow, names: [" + strings.Join(names, ", ") + "]}]}\n"
	hostile(t, "misspellings", CodeUnknownName, func() error {
		_, err := LoadBytes("typos.yaml", []byte(doc), Options{})
		return err
	})
	_, err := LoadBytes("typos.yaml", []byte(doc), Options{})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d shown and a summary", len(list), maxErrors)
	}
	if list[0].Suggestion != "fsetxattr" {
		t.Errorf("first error suggests %q, want fsetxattr", list[0].Suggestion)
	}
	if last := list[maxErrors]; last.Code != CodeTooManyErrors || !strings.Contains(last.Msg, fmt.Sprint(40000-maxErrors)) {
		t.Errorf("summary %v", last)
	}
}

// TestMaxBytesAppliesToBases: the size limit holds for every file a chain
// reaches, not only the first.
func TestMaxBytesAppliesToBases(t *testing.T) {
	dir := writeProfiles(t, map[string]string{
		"top.yaml": "version: 1\nextends: big.yaml\n",
		"big.yaml": "version: 1\ndescription: " + strings.Repeat("x", 2000) + "\n",
	})
	_, err := LoadChain(filepath.Join(dir, "top.yaml"), Options{MaxBytes: 1000})
	list := wantCodes(t, err, CodeTooLarge)
	if len(list) == 1 && list[0].Pos.File != filepath.Join(dir, "big.yaml") {
		t.Errorf("reported in %s, want big.yaml", list[0].Pos.File)
	}
	if _, err := LoadChain(filepath.Join(dir, "top.yaml"), Options{MaxBytes: 3000}); err != nil {
		t.Errorf("within the limit: %v", err)
	}
}
