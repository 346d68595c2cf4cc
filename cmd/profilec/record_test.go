package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// -o names a FIFO: the profile goes through it, and it stays a FIFO (a
// rename over it would have replaced it, as it once replaced /dev/null).
// -o names a symlink: the file it points to gets the profile, and the link
// stays.
func TestWriteRecordedKeepsSpecialFilesAndLinks(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	a := &app{stdout: io.Discard}
	if err := writeRecorded(fifo, []byte("version: 1\n"), a); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		// The reader would wait for a writer for ever.
		t.Fatalf("FIFO after the write: %v, %v", st.Mode(), err)
	}
	if b := <-got; string(b) != "version: 1\n" {
		t.Errorf("read %q through the FIFO", b)
	}

	real := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "link.yaml")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := writeRecorded(link, []byte("new"), a); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); !bytes.Equal(b, []byte("new")) {
		t.Errorf("target holds %q", b)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link after the write: %v, %v", st.Mode(), err)
	}
	if err := writeRecorded(dir, []byte("x"), a); err == nil {
		t.Error("no error writing to a directory")
	}
}
