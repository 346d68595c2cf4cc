package review

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/schema"
)

// Options configure Review.
type Options struct {
	// Dir is a directory inside the git work tree; "" is the current one.
	Dir string
	// Base is the revision to compare with; "" means HEAD.
	Base string
	// Paths limit the review to these files and directories (relative to
	// Dir). A file named here is reviewed whatever its content; others
	// only when they look like profiles.
	Paths []string
	// Target is what both versions are resolved for.
	Target schema.Target
	// Schema configures loading (built-in bases).
	Schema schema.Options
	// Rater rates changes; nil means the built-in risk rules.
	Rater *Rater
	// Policies validate the new version of each profile.
	Policies policies.Options
	// NoValidate skips validation.
	NoValidate bool
}

// FileReview is the review of one changed profile.
type FileReview struct {
	// File is the profile's path now (its old path when deleted), relative
	// to the top of the work tree, as pull request annotations want it.
	File    string `json:"file"`
	OldFile string `json:"oldFile,omitempty"`
	// Status is added, modified, deleted, renamed, or affected: unchanged
	// itself, but it extends a changed profile.
	Status string `json:"status"`
	// Changes are what the change lets the program do, rated.
	Changes []Change `json:"changes"`
	// Findings are the validation findings of the new version, including
	// its load errors (ids schema.CODE).
	Findings []policies.Finding `json:"findings"`
}

// Report is a review of every changed profile.
type Report struct {
	Base  string       `json:"base"`
	Files []FileReview `json:"files"`
}

// Max returns the highest risk of any change in the report, "" for none.
func (r *Report) Max() string {
	m := ""
	for _, f := range r.Files {
		if x := Max(f.Changes); RiskRank(x) > RiskRank(m) {
			m = x
		}
	}
	return m
}

// Denied reports whether any new version is refused: a load error or an
// unwaived deny.
func (r *Report) Denied() bool {
	for _, f := range r.Files {
		if policies.Denied(f.Findings) {
			return true
		}
	}
	return false
}

// Review finds the profiles changed between opts.Base and the work tree
// (committed or not) and reviews each: a semantic diff against its base
// version, rated, and the validation findings of its new version.
func Review(ctx context.Context, opts Options) (*Report, error) {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	base := opts.Base
	if base == "" {
		base = "HEAD"
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("find repository: %w", err)
	}
	top := strings.TrimSpace(string(out))
	if _, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", base+"^{commit}"); err != nil {
		return nil, fmt.Errorf("find base revision: %q is not a commit in %s (a shallow clone may lack it: fetch it, or check out with fetch-depth 0)", base, top)
	}
	// Pathspecs are relative to dir, as the user wrote them; git prints
	// paths relative to the top of the work tree.
	args := []string{"diff", "--name-status", "-z", "-M", "--no-ext-diff", base, "--"}
	args = append(args, opts.Paths...)
	out, err = git(ctx, dir, args...)
	if err != nil {
		return nil, fmt.Errorf("list changed files: %w", err)
	}
	changed, err := parseNameStatus(out)
	if err != nil {
		return nil, err
	}
	named, under, err := namedPaths(dir, top, opts.Paths)
	if err != nil {
		return nil, err
	}
	// Under a PATH, a YAML file with a version is a profile even without
	// fields of its own (version and name only, or extends alone).
	loose := func(f string) bool {
		return slices.ContainsFunc(under, func(d string) bool { return d == "." || strings.HasPrefix(f, d+"/") })
	}

	rater := opts.Rater
	if rater == nil {
		if rater, err = NewRater(nil); err != nil {
			return nil, err
		}
	}
	rep := &Report{Base: base, Files: []FileReview{}}
	var oldTree string
	for _, f := range changed {
		isProfile := named[f.new] || named[f.old]
		if !isProfile && f.new != "" {
			isProfile = looksLikeProfile(filepath.Join(top, f.new), loose(f.new))
		}
		if !isProfile && f.old != "" {
			if oldTree == "" {
				if oldTree, err = baseTree(ctx, top, base); err != nil {
					return nil, err
				}
				defer os.RemoveAll(oldTree)
			}
			isProfile = looksLikeProfile(filepath.Join(oldTree, f.old), loose(f.old))
		}
		if !isProfile {
			continue
		}
		if f.old != "" && oldTree == "" {
			if oldTree, err = baseTree(ctx, top, base); err != nil {
				return nil, err
			}
			defer os.RemoveAll(oldTree)
		}
		fr, err := reviewFile(ctx, f, top, oldTree, rater, opts)
		if err != nil {
			return nil, err
		}
		rep.Files = append(rep.Files, fr)
	}
	if len(rep.Files) > 0 {
		affected, err := affectedProfiles(ctx, dir, top, changed, rep.Files, opts)
		if err != nil {
			return nil, err
		}
		for _, f := range affected {
			if oldTree == "" {
				if oldTree, err = baseTree(ctx, top, base); err != nil {
					return nil, err
				}
				defer os.RemoveAll(oldTree)
			}
			fr, err := reviewFile(ctx, f, top, oldTree, rater, opts)
			if err != nil {
				return nil, err
			}
			// Unchanged in effect (a child overriding what its base
			// changed) is no news; broken by the change is.
			broken := len(fr.Findings) > 0 && strings.HasPrefix(fr.Findings[0].ID, "schema.")
			if len(fr.Changes) > 0 || broken {
				rep.Files = append(rep.Files, fr)
			}
		}
	}
	slices.SortFunc(rep.Files, func(a, b FileReview) int { return strings.Compare(a.File, b.File) })
	return rep, nil
}

// affectedProfiles finds the profiles not changed themselves that extend
// a changed one: what their program may do changes all the same.
func affectedProfiles(ctx context.Context, dir, top string, changed []fileStatus, reviewed []FileReview, opts Options) ([]fileStatus, error) {
	changedAbs := map[string]bool{}
	for _, f := range changed {
		for _, p := range []string{f.old, f.new} {
			if p != "" {
				changedAbs[filepath.Join(top, p)] = true
			}
		}
	}
	done := map[string]bool{}
	for _, f := range reviewed {
		done[f.File] = true
	}
	args := append([]string{"ls-files", "-z", "--full-name", "--"}, opts.Paths...)
	out, err := git(ctx, dir, args...)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var list []fileStatus
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" || done[f] {
			continue
		}
		abs := filepath.Join(top, f)
		if !looksLikeProfile(abs, false) {
			continue
		}
		var sources []string
		if chain, err := schema.LoadChain(abs, opts.Schema); err == nil {
			for _, p := range chain[:len(chain)-1] {
				sources = append(sources, p.File)
			}
		} else if p, err := schema.Load(abs, opts.Schema); err == nil {
			// The chain breaks (a base deleted or broken by this change?):
			// its direct extends still say whether the change is to blame,
			// and the review then reports the load errors.
			for _, e := range p.Extends {
				sources = append(sources, filepath.Join(filepath.Dir(abs), e))
			}
		}
		if slices.ContainsFunc(sources, func(s string) bool { return changedAbs[s] }) {
			list = append(list, fileStatus{status: "affected", old: f, new: f})
		}
	}
	return list, nil
}

func baseTree(ctx context.Context, top, base string) (string, error) {
	dir, err := os.MkdirTemp("", "profilec-review-")
	if err != nil {
		return "", fmt.Errorf("extract base revision: %w", err)
	}
	if err := extractTree(ctx, top, base, dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// namedPaths returns the files paths name and the directories they name,
// relative to top in git's spelling ("." for top itself).
func namedPaths(dir, top string, paths []string) (files map[string]bool, dirs []string, err error) {
	files = map[string]bool{}
	absTop, err := filepath.EvalSymlinks(top)
	if err != nil {
		return nil, nil, fmt.Errorf("find repository: %w", err)
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if st, err := os.Stat(abs); err == nil && st.IsDir() {
			if d, err := filepath.EvalSymlinks(abs); err == nil {
				if rel, err := filepath.Rel(absTop, d); err == nil && filepath.IsLocal(rel) {
					dirs = append(dirs, filepath.ToSlash(rel))
				}
			}
			continue
		}
		// The file may be gone (deleted since base): resolve its directory.
		d, err := filepath.EvalSymlinks(filepath.Dir(abs))
		if err != nil {
			d = filepath.Dir(abs)
		}
		rel, err := filepath.Rel(absTop, filepath.Join(d, filepath.Base(abs)))
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		files[filepath.ToSlash(rel)] = true
	}
	return files, dirs, nil
}

// profileFields are the top-level keys only a profilec profile has
// together with version.
var profileFields = []string{"seccomp", "capabilities", "namespaces", "cgroups", "rlimits", "noNewPrivileges", "user", "extends", "policyExceptions"}

// looksLikeProfile reports whether path is a YAML file with a top-level
// version and a profilec field (or just the version, when loose), so other
// YAML in the repository (CI workflows, Kubernetes manifests) is left
// alone.
func looksLikeProfile(path string, loose bool) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
	default:
		return false
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() > schema.DefaultMaxBytes {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return false
	}
	hasVersion, hasField := false, false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		hasVersion = hasVersion || k == "version"
		hasField = hasField || slices.Contains(profileFields, k)
	}
	return hasVersion && (hasField || loose)
}

func reviewFile(ctx context.Context, f fileStatus, top, oldTree string, rater *Rater, opts Options) (FileReview, error) {
	fr := FileReview{File: f.new, Status: f.status, Changes: []Change{}, Findings: []policies.Finding{}}
	if f.status == "deleted" {
		fr.File = f.old
	}
	if f.status == "renamed" {
		fr.OldFile = f.old
	}
	var newR, oldR *schema.Resolved
	if f.new != "" {
		r, err := load(filepath.Join(top, f.new), opts)
		if err != nil {
			fr.Findings = policies.LoadFindings(f.new, err)
		} else {
			newR = r
		}
	}
	if f.old != "" {
		// A base version that does not load has nothing to compare with:
		// the file is reviewed as new.
		if r, err := load(filepath.Join(oldTree, f.old), opts); err == nil {
			oldR = r
		}
	}
	switch {
	case f.status == "deleted":
		fr.Changes = append(fr.Changes, Change{Kind: KindProfileDeleted, Subject: f.old,
			Message: "profile deleted", Pos: schema.Pos{File: f.old, Line: 1, Col: 1}})
	case newR == nil:
		// Load errors are the findings; there are no semantics to compare.
	case oldR == nil:
		fr.Changes = append(fr.Changes, Change{Kind: KindProfileAdded, Subject: f.new,
			Message: "new profile", Pos: schema.Pos{File: f.new, Line: 1, Col: 1}})
	default:
		d, err := Diff(oldR, newR)
		if err != nil {
			return fr, fmt.Errorf("review %s: %w", f.new, err)
		}
		fr.Changes = d.Changes
	}
	if newR != nil && !opts.NoValidate {
		fs, err := policies.Validate(ctx, newR, opts.Policies)
		if err != nil {
			return fr, fmt.Errorf("review %s: %w", f.new, err)
		}
		fr.Findings = fs
	}
	if err := rater.Rate(ctx, fr.Changes); err != nil {
		return fr, fmt.Errorf("review %s: %w", fr.File, err)
	}
	sortByRisk(fr.Changes)
	rel := func(p *schema.Pos) {
		if r, err := filepath.Rel(top, p.File); err == nil && filepath.IsAbs(p.File) && filepath.IsLocal(r) {
			p.File = filepath.ToSlash(r)
		}
	}
	for i := range fr.Changes {
		rel(&fr.Changes[i].Pos)
	}
	for i := range fr.Findings {
		rel(&fr.Findings[i].Pos)
		fr.Findings[i].Message = strings.ReplaceAll(fr.Findings[i].Message, top+string(filepath.Separator), "")
	}
	return fr, nil
}

func load(path string, opts Options) (*schema.Resolved, error) {
	chain, err := schema.LoadChain(path, opts.Schema)
	if err != nil {
		return nil, err
	}
	return schema.Resolve(chain, opts.Target)
}

// Compare is Diff as a one-file Report, rated (rater nil: the built-in
// rules), so `profilec diff` prints what review prints. oldName and
// newName are how the two versions are shown.
func Compare(ctx context.Context, old, new *schema.Resolved, oldName, newName string, rater *Rater) (*Report, error) {
	d, err := Diff(old, new)
	if err != nil {
		return nil, err
	}
	if rater == nil {
		if rater, err = NewRater(nil); err != nil {
			return nil, err
		}
	}
	if err := rater.Rate(ctx, d.Changes); err != nil {
		return nil, err
	}
	sortByRisk(d.Changes)
	fr := FileReview{File: newName, Status: "modified", Changes: d.Changes, Findings: []policies.Finding{}}
	if oldName != newName {
		fr.OldFile = oldName
	}
	return &Report{Base: oldName, Files: []FileReview{fr}}, nil
}
