package review

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// git runs the git CLI in dir and returns its standard output. Its
// standard error becomes the error, so "unknown revision" reaches the user.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Quoted paths and pagers would garble what is parsed here.
	cmd.Env = append(os.Environ(), "GIT_PAGER=cat", "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

// fileStatus is one line of git diff --name-status.
type fileStatus struct {
	status   string // added, modified, deleted, renamed
	old, new string // paths relative to the top of the work tree
}

// parseNameStatus reads `git diff --name-status -z` output: a status
// letter (R and C with a similarity score) and one path, two for R and C.
func parseNameStatus(out []byte) ([]fileStatus, error) {
	fields := strings.Split(string(out), "\x00")
	var list []fileStatus
	for i := 0; i < len(fields); {
		st := fields[i]
		if st == "" {
			i++
			continue
		}
		var f fileStatus
		n := 1
		switch st[0] {
		case 'A':
			f.status = "added"
		case 'M', 'T':
			f.status = "modified"
		case 'D':
			f.status = "deleted"
		case 'R':
			f.status, n = "renamed", 2
		case 'C':
			f.status, n = "added", 2 // a copy is a new file
		default:
			// U (unmerged) and X have nothing to compare.
			f.status = ""
		}
		if i+n >= len(fields) {
			return nil, fmt.Errorf("parse git diff: truncated entry %q", st)
		}
		f.old, f.new = fields[i+1], fields[i+n]
		if st[0] == 'C' {
			f.old = ""
		}
		if f.status == "deleted" {
			f.new = ""
		}
		if f.status == "added" {
			f.old = ""
		}
		if f.status != "" {
			list = append(list, f)
		}
		i += n + 1
	}
	return list, nil
}

// maxTreeFile bounds the files extracted from the base revision, as the
// loader bounds profiles.
const maxTreeFile = 4 << 20

// extractTree writes rev's YAML and JSON files under dir, so profiles at
// rev load with their extends as they were at rev, not as they are now.
// The archive is streamed: a large repository is never held in memory.
func extractTree(ctx context.Context, top, rev, dir string) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", top, "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	defer func() {
		if err != nil {
			// Nothing more is wanted: stop git rather than drain it.
			cancel()
			_ = cmd.Wait()
			return
		}
		// An archive that ended early is git's failure, reported as such.
		_, _ = io.Copy(io.Discard, out)
		if werr := cmd.Wait(); werr != nil {
			err = fmt.Errorf("git archive: %s", strings.TrimSpace(stderr.String()))
		}
	}()
	tr := tar.NewReader(out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s tree: %w", rev, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size > maxTreeFile || !interesting(h.Name) {
			continue
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("extract %s tree: %w", rev, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("read %s tree: %w", rev, err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("extract %s tree: %w", rev, err)
		}
	}
}

func interesting(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
