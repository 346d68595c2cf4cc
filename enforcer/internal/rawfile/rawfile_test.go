package rawfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	big := bytes.Repeat([]byte("0123456789"), 1000) // past the first buffer
	if err := WriteFile(p, big, os.O_CREATE); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("ReadFile = %d bytes, %v; want %d bytes", len(got), err, len(big))
	}
	// procfs files report size 0 and are read to EOF all the same.
	if b, err := ReadFile("/proc/self/status"); err != nil || !strings.Contains(string(b), "VmRSS") {
		t.Errorf("/proc/self/status: %v %q", err, b)
	}
	_, err = ReadFile(filepath.Join(dir, "missing"))
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "missing"), []byte("x"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write without O_CREATE to a missing file: %v", err)
	}
}
