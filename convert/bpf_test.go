package convert

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
)

func TestToBPFBytes(t *testing.T) {
	r := confinedResolved(t)
	raw, notes, err := ToBPF(r, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prog := compileFor(t, r)
	if len(raw) != 8*len(prog) || len(notes) == 0 {
		t.Fatalf("%d bytes for %d instructions", len(raw), len(prog))
	}
	for i, in := range prog {
		b := raw[8*i:]
		if binary.NativeEndian.Uint16(b) != in.Code || b[2] != in.Jt || b[3] != in.Jf || binary.NativeEndian.Uint32(b[4:]) != in.K {
			t.Fatalf("instruction %d differs", i)
		}
	}
	if _, _, err := ToBPF(&schema.Resolved{}, compiler.Options{}); err == nil {
		t.Error("a profile without seccomp gave a program")
	}
}

// TestToBPFInKernel hands the raw program to bwrap, which installs it with
// seccomp(2) before running busybox: the kernel must accept it and deny
// mkdir with EPERM while allowing the rest.
func TestToBPFInKernel(t *testing.T) {
	testenv.RequireRoot(t)
	bwrap := testenv.RequireCommand(t, "bwrap")
	testenv.RequireFile(t, "/bin/busybox")
	tg, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	p, err := schema.LoadBytes("confined.yaml", readTestdata(t, "confined.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := schema.Resolve([]*schema.Profile{p}, tg)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := ToBPF(r, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "filter.bpf")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(bwrap, append([]string{"--bind", "/", "/", "--seccomp", "3", "/bin/busybox"}, args...)...)
		cmd.ExtraFiles = []*os.File{f}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		return out.String(), err
	}
	out, err := run("mkdir", filepath.Join(dir, "made"))
	if err == nil || !strings.Contains(out, "Operation not permitted") {
		t.Errorf("mkdir under the filter: %v: %s", err, out)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "made")); statErr == nil {
		t.Error("the directory was made")
	}
	if out, err := run("cat", file); err != nil || len(out) != len(raw) {
		t.Errorf("cat under the filter: %v (%d bytes of %d)", err, len(out), len(raw))
	}
}
