package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotSyscall(t *testing.T) {
	for name, want := range map[string]bool{
		"arch_specific_syscall": true, "syscall_mask": true, "reserved221": true, "unused18": true,
		"read": false, "reserved": false, "unused": false, "syscall": false, "reservedx1": false,
	} {
		if got := notSyscall(name); got != want {
			t.Errorf("notSyscall(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestX32Table(t *testing.T) {
	if len(x32Compat) != 547-512+1 {
		t.Fatalf("x32Compat has %d entries, the kernel's range 512..547 has 36", len(x32Compat))
	}
	var amd64 []entry
	for i, n := range x86_64Only {
		amd64 = append(amd64, entry{name: n, nr: int64(1000 + i)})
	}
	amd64 = append(amd64, entry{name: "read", nr: 0})
	x32, err := x32Table(amd64)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, e := range x32 {
		if _, dup := got[e.name]; dup {
			t.Errorf("%s twice", e.name)
		}
		got[e.name] = e.nr
	}
	if got["read"] != 0x40000000 || got["rt_sigaction"] != 0x40000000|512 || got["pwritev2"] != 0x40000000|547 {
		t.Errorf("x32 = %v", got)
	}
	if _, ok := got["uselib"]; ok {
		t.Error("x32 has uselib")
	}
	// A 64-bit-only name missing from the amd64 table means the inputs
	// disagree: refuse rather than guess.
	if _, err := x32Table(amd64[1:]); err == nil || !strings.Contains(err.Error(), x86_64Only[0]) {
		t.Errorf("x32Table without %s: err = %v", x86_64Only[0], err)
	}
}

func TestGenerateBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := generate(dir, ""); err == nil {
		t.Error("generate on an empty directory succeeded")
	}
	// Files that parse but hold no tables are refused too.
	for _, f := range []string{"zerrors_linux.go", "zerrors_linux_amd64.go", "zsysnum_linux_amd64.go"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("package unix\nconst (\n\tSYS_READ = 0\n\tAUDIT_ARCH_X86_64 = 1\n)\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := generate(dir, ""); err == nil {
		t.Error("generate on near-empty tables succeeded")
	}
	if err := os.WriteFile(filepath.Join(dir, "zerrors_linux.go"), []byte("package unix\nconst ("), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(dir, ""); err == nil || !strings.Contains(err.Error(), "parse") {
		t.Errorf("generate on a broken file: err = %v", err)
	}
}
