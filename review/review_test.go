package review

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

// repo is a git repository built by a test.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	testenv.RequireCommand(t, "git")
	// Nothing from the user's or the machine's git configuration.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (r *repo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

const (
	appV1 = `version: 1
name: app
extends: ../base/common.yaml
seccomp:
  syscalls:
    - names: [openat]
      action: allow
`
	appV2 = `version: 1
name: app
extends: ../base/common.yaml
seccomp:
  syscalls:
    - names: [openat]
      action: allow
    - names: [bpf]
      action: allow
capabilities:
  add: [NET_ADMIN]
`
	commonV1 = `version: 1
name: common
seccomp:
  defaultAction: errno
  syscalls:
    - names: [read, write, exit_group]
      action: allow
`
	stable = `version: 1
name: stable
seccomp:
  defaultAction: errno
  syscalls:
    - names: [read, write, exit_group, getpid, gettid, futex, nanosleep]
      action: allow
rlimits:
  nofile: 1024
`
	gone = `version: 1
name: gone
noNewPrivileges: true
`
	fresh = `version: 1
name: fresh
seccomp:
  defaultAction: allow
`
	broken = `version: 1
name: broken
seccomp:
  defaultAction: allow
  syscalls:
    - names: [raed]
      action: errno
`
	workflow = `name: ci
on: [push]
jobs:
  test: {runs-on: ubuntu-latest, steps: [{run: make}]}
`
)

// TestReview builds a repository with one commit of each kind of profile
// change and reviews the second commit against the first.
func TestReview(t *testing.T) {
	r := newRepo(t)
	r.write("profiles/app.yaml", appV1)
	r.write("base/common.yaml", commonV1)
	r.write("profiles/stable.yaml", stable)
	r.write("profiles/gone.yaml", gone)
	r.write("profiles/broken.yaml", strings.Replace(broken, "raed", "read", 1))
	r.write(".github/workflows/ci.yml", workflow)
	// child.yaml never changes, but it extends common.yaml, which does.
	r.write("profiles/child.yaml", "version: 1\nname: child\nextends: ../base/common.yaml\n")
	// orphan.yaml never changes either, but the base it extends is deleted.
	r.write("base/doomed.yaml", gone)
	r.write("profiles/orphan.yaml", "version: 1\nname: orphan\nextends: [../base/doomed.yaml]\n")
	r.commit("first")
	r.write("profiles/app.yaml", appV2)
	r.git("mv", "profiles/stable.yaml", "profiles/renamed.yaml")
	r.git("rm", "-q", "profiles/gone.yaml", "base/doomed.yaml")
	r.write("profiles/fresh.yml", fresh)
	r.write("profiles/broken.yaml", broken)
	r.write(".github/workflows/ci.yml", workflow+"# touched\n")
	r.commit("second")
	// app.yaml extends common.yaml: what common.yaml lets through since
	// is part of what app.yaml lets through, shown at its extends.
	r.write("base/common.yaml", strings.Replace(commonV1, "exit_group]", "exit_group, getppid]", 1))
	r.commit("third")

	rep, err := Review(context.Background(), Options{
		Dir: r.dir, Base: "HEAD~2", Target: target, Schema: schema.Options{Bases: bases.Get},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, "text", rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("review:\n%s", b.String())
	got := map[string]FileReview{}
	for _, f := range rep.Files {
		got[f.File] = f
	}
	want := map[string]string{
		"base/common.yaml":      "modified",
		"profiles/app.yaml":     "modified",
		"profiles/renamed.yaml": "renamed",
		"profiles/gone.yaml":    "deleted",
		"profiles/fresh.yml":    "added",
		"profiles/broken.yaml":  "modified",
		"profiles/child.yaml":   "affected",
		"profiles/orphan.yaml":  "affected",
		"base/doomed.yaml":      "deleted",
	}
	if len(got) != len(want) {
		t.Errorf("reviewed %d files, want %d (the workflow is no profile)", len(got), len(want))
	}
	for f, st := range want {
		if got[f].Status != st {
			t.Errorf("%s: status %q, want %q", f, got[f].Status, st)
		}
	}
	if f := got["profiles/renamed.yaml"]; f.OldFile != "profiles/stable.yaml" || len(f.Changes) != 0 {
		t.Errorf("renamed profile: old %q, changes %+v; want stable.yaml and none", f.OldFile, f.Changes)
	}
	app := got["profiles/app.yaml"]
	wantChange(t, app.Changes, KindSyscallAllowed, "bpf", RiskHigh, "bpf: newly allowed")
	wantChange(t, app.Changes, KindCapAdded, "CAP_NET_ADMIN", RiskHigh, "CAP_NET_ADMIN added")
	wantChange(t, app.Changes, KindSyscallAllowed, "getppid", RiskLow, "getppid: newly allowed")
	for _, c := range app.Changes {
		if c.Subject == "getppid" && c.Pos.Line != 3 {
			t.Errorf("inherited change at %s, want line 3, the extends", c.Pos)
		}
		if c.Pos.File != "profiles/app.yaml" {
			t.Errorf("%s points at %q, want profiles/app.yaml", c.Message, c.Pos.File)
		}
	}
	wantChange(t, got["base/common.yaml"].Changes, KindSyscallAllowed, "getppid", RiskLow, "getppid: newly allowed")
	wantChange(t, got["profiles/child.yaml"].Changes, KindSyscallAllowed, "getppid", RiskLow, "getppid: newly allowed")
	if cs := got["profiles/child.yaml"].Changes; len(cs) != 1 || cs[0].Pos.Line != 3 {
		t.Errorf("child.yaml: %+v, want getppid alone, at its extends (line 3)", cs)
	}
	if cs := got["profiles/app.yaml"].Changes; len(cs) != 3 {
		t.Errorf("app.yaml: %d changes, want 3: %+v", len(cs), cs)
	}
	wantChange(t, got["profiles/gone.yaml"].Changes, KindProfileDeleted, "profiles/gone.yaml", RiskLow, "profile deleted")
	wantChange(t, got["profiles/fresh.yml"].Changes, KindProfileAdded, "profiles/fresh.yml", RiskInfo, "new profile")
	// The new profile allows everything: validation says so.
	if len(got["profiles/fresh.yml"].Findings) == 0 {
		t.Error("fresh.yml: no validation findings for an allow-all profile")
	}
	if fs := got["profiles/orphan.yaml"].Findings; len(fs) == 0 || fs[0].ID != "schema.extends" {
		t.Errorf("orphan.yaml findings %+v, want schema.extends: its base is gone", fs)
	}
	br := got["profiles/broken.yaml"]
	if len(br.Findings) != 1 || br.Findings[0].ID != "schema.unknown-name" || br.Findings[0].Pos.File != "profiles/broken.yaml" {
		t.Errorf("broken.yaml findings: %+v, want one schema.unknown-name in profiles/broken.yaml", br.Findings)
	}
	if !rep.Denied() || rep.Max() != RiskHigh {
		t.Errorf("Denied %v, Max %q; want true, high", rep.Denied(), rep.Max())
	}

	for _, format := range []string{"markdown", "sarif", "github"} {
		var b bytes.Buffer
		if err := Write(&b, format, rep); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("../testdata/review/repo", "review."+ext(format)), b.Bytes())
	}
}

// TestReviewPaths: PATH arguments limit the review, and a file named
// there is reviewed whatever it looks like.
func TestReviewPaths(t *testing.T) {
	r := newRepo(t)
	r.write("a/one.yaml", gone)
	r.write("b/two.yaml", gone)
	r.commit("first")
	r.write("a/one.yaml", strings.Replace(gone, "true", "false", 1))
	r.write("b/two.yaml", strings.Replace(gone, "true", "false", 1))
	// Uncommitted changes are reviewed too: the work tree is the new side.
	rep, err := Review(context.Background(), Options{Dir: filepath.Join(r.dir, "a"), Paths: []string{"."}, Target: target, NoValidate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].File != "a/one.yaml" {
		t.Fatalf("files %+v, want a/one.yaml alone", rep.Files)
	}
	wantChange(t, rep.Files[0].Changes, KindNNPDisabled, "noNewPrivileges", RiskHigh, "noNewPrivileges switched off")

	// A profile without profilec fields of its own is found when named.
	r.write("c/bare.yaml", "version: 1\nname: bare\n")
	r.commit("second")
	r.write("c/bare.yaml", "version: 1\nname: bare\ndescription: now described\n")
	rep, err = Review(context.Background(), Options{Dir: r.dir, Target: target, NoValidate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 0 {
		t.Errorf("unnamed bare file reviewed: %+v", rep.Files)
	}
	rep, err = Review(context.Background(), Options{Dir: r.dir, Paths: []string{"c/bare.yaml"}, Target: target, NoValidate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || len(rep.Files[0].Changes) != 0 {
		t.Errorf("named bare file: %+v, want one file without changes", rep.Files)
	}
	rep, err = Review(context.Background(), Options{Dir: filepath.Join(r.dir, "c"), Paths: []string{"."}, Target: target, NoValidate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].File != "c/bare.yaml" {
		t.Errorf("bare file under a named directory: %+v, want c/bare.yaml", rep.Files)
	}
}

func TestReviewErrors(t *testing.T) {
	r := newRepo(t)
	r.write("p.yaml", gone)
	r.commit("first")
	if _, err := Review(context.Background(), Options{Dir: r.dir, Base: "no-such-ref", Target: target}); err == nil || !strings.Contains(err.Error(), `"no-such-ref" is not a commit`) {
		t.Errorf("unknown base: %v", err)
	}
	if _, err := Review(context.Background(), Options{Dir: t.TempDir(), Target: target}); err == nil || !strings.Contains(err.Error(), "find repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

func TestParseNameStatus(t *testing.T) {
	got, err := parseNameStatus([]byte("M\x00a.yaml\x00R087\x00old.yaml\x00new.yaml\x00D\x00gone.yaml\x00A\x00new file.yaml\x00C100\x00src.yaml\x00copy.yaml\x00U\x00x.yaml\x00"))
	if err != nil {
		t.Fatal(err)
	}
	want := []fileStatus{
		{"modified", "a.yaml", "a.yaml"},
		{"renamed", "old.yaml", "new.yaml"},
		{"deleted", "gone.yaml", ""},
		{"added", "", "new file.yaml"},
		{"added", "", "copy.yaml"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := parseNameStatus([]byte("R100\x00only-one.yaml")); err == nil {
		t.Error("a truncated rename gave no error")
	}
}

func TestExtractTree(t *testing.T) {
	r := newRepo(t)
	r.write("a/p.yaml", gone)
	r.write("b/c.json", "{}")
	r.write("README.md", "not extracted")
	r.commit("first")
	dir := t.TempDir()
	if err := extractTree(context.Background(), r.dir, "HEAD", dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a/p.yaml": true, "b/c.json": true, "README.md": false} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s extracted: %v, want %v", name, err == nil, want)
		}
	}
	if err := extractTree(context.Background(), r.dir, "no-such-rev", t.TempDir()); err == nil {
		t.Error("an unknown revision gave no error")
	}
}

func TestWriteEmptyAndUnknown(t *testing.T) {
	rep := &Report{Base: strings.Repeat("ab", 20), Files: []FileReview{}}
	var b bytes.Buffer
	if err := Write(&b, "markdown", rep); err != nil {
		t.Fatal(err)
	}
	if want := "No profile changed since `abababababab`.\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("markdown %q, want it to end %q", b.String(), want)
	}
	if err := Write(&b, "yaml", rep); err == nil || !strings.Contains(err.Error(), `unknown format "yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
	if rep.Max() != "" || rep.Denied() {
		t.Errorf("empty report: Max %q, Denied %v", rep.Max(), rep.Denied())
	}
}
