package policies

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/profilec/profilec/schema"
)

// FileResult is the findings of one profile file.
type FileResult struct {
	File     string    `json:"file"`
	Findings []Finding `json:"findings"`
}

// Formats lists what Write accepts.
var Formats = []string{"text", "json", "sarif", "github"}

// Write prints results in format: text for people, json, sarif (SARIF
// 2.1.0 for code scanning) or github (workflow command annotations).
func Write(w io.Writer, format string, results []FileResult) error {
	var err error
	switch format {
	case "", "text":
		err = writeText(w, results)
	case "json":
		err = writeJSON(w, results)
	case "sarif":
		err = writeSARIF(w, results)
	case "github":
		err = writeGitHub(w, results)
	default:
		return fmt.Errorf("write findings: unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	return nil
}

// where is the place a finding points at. Positions in built-in bases
// ("builtin:docker-default") are not files a reader can open; those fall
// back to the profile that pulled them in.
func where(file string, f Finding) schema.Pos {
	p := f.Pos
	if p.File == "" || strings.HasPrefix(p.File, "builtin:") {
		if p.File != file {
			p = schema.Pos{File: file, Line: 1, Col: 1}
		}
	}
	if p.Line < 1 {
		p.Line = 1
	}
	if p.Col < 1 {
		p.Col = 1
	}
	return p
}

func posString(p schema.Pos) string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

func writeText(w io.Writer, results []FileResult) error {
	var denies, warns, waived int
	var b strings.Builder
	for _, r := range results {
		for _, f := range r.Findings {
			loc := f.Pos
			if loc.File == "" {
				loc = where(r.File, f)
			}
			fmt.Fprintf(&b, "%s: %s %s: %s", posString(loc), f.Severity, f.ID, f.Message)
			switch {
			case f.Waived:
				waived++
				fmt.Fprintf(&b, " (waived: %s)", f.WaiverReason)
			case f.Severity == SeverityDeny:
				denies++
			default:
				warns++
			}
			if f.Source != SourceBuiltin && f.Source != "" {
				fmt.Fprintf(&b, " [%s]", f.Source)
			}
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "%d %s, %d %s, %d %s, %d waived\n",
		len(results), plural(len(results), "profile", "profiles"),
		denies, plural(denies, "denial", "denials"),
		warns, plural(warns, "warning", "warnings"), waived)
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeJSON(w io.Writer, results []FileResult) error {
	type fileJSON struct {
		File     string    `json:"file"`
		Denied   bool      `json:"denied"`
		Findings []Finding `json:"findings"`
	}
	out := struct {
		Results []fileJSON `json:"results"`
	}{Results: []fileJSON{}}
	for _, r := range results {
		fs := r.Findings
		if fs == nil {
			fs = []Finding{}
		}
		out.Results = append(out.Results, fileJSON{File: r.File, Denied: Denied(fs), Findings: fs})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// SARIF 2.1.0, the subset code scanning reads.
type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
	DefaultConfig    struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifMessage       `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine   int `json:"startLine"`
			StartColumn int `json:"startColumn"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// sarifSuppression reports a waiver: code scanning shows the result as
// dismissed with the reason, rather than hiding it.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// rulesHelp documents every built-in rule; code scanning links to it.
const rulesHelp = "https://github.com/profilec/profilec/blob/main/docs/policies.md#built-in-rules"

func sarifLevel(severity string) string {
	if severity == SeverityDeny {
		return "error"
	}
	return "warning"
}

func writeSARIF(w io.Writer, results []FileResult) error {
	driver := sarifDriver{Name: "profilec", InformationURI: "https://github.com/profilec/profilec", Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(id, severity, summary, help string) int {
		if i, ok := index[id]; ok {
			return i
		}
		r := sarifRule{ID: id, ShortDescription: sarifMessage{Text: summary}, HelpURI: help}
		r.DefaultConfig.Level = sarifLevel(severity)
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, r)
		return index[id]
	}
	known := map[string]Rule{}
	for _, r := range Rules() {
		known[r.ID] = r
	}
	run := sarifRun{Results: []sarifResult{}}
	for _, fr := range results {
		for _, f := range fr.Findings {
			summary, help := f.ID, ""
			if r, ok := known[f.ID]; ok {
				summary, help = r.Summary, rulesHelp
			}
			res := sarifResult{
				RuleID:    f.ID,
				RuleIndex: addRule(f.ID, f.Severity, summary, help),
				Level:     sarifLevel(f.Severity),
				Message:   sarifMessage{Text: f.Message},
			}
			p := where(fr.File, f)
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = sarifURI(p.File)
			loc.PhysicalLocation.Region.StartLine = p.Line
			loc.PhysicalLocation.Region.StartColumn = p.Col
			res.Locations = []sarifLocation{loc}
			if f.Waived {
				res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.WaiverReason}}
			}
			run.Results = append(run.Results, res)
		}
	}
	run.Tool.Driver = driver
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: "2.1.0", Schema: sarifSchema, Runs: []sarifRun{run}})
}

// sarifURI turns a path into a URI reference. Code scanning resolves
// relative ones against the repository root, so an absolute path under the
// working directory becomes relative; any other stays absolute, a file URI.
func sarifURI(path string) string {
	prefix := ""
	if filepath.IsAbs(path) {
		prefix = "file://"
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
				path, prefix = rel, ""
			}
		}
	}
	path = strings.TrimPrefix(filepath.ToSlash(path), "./")
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range []byte(path) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("%#?[]", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// writeGitHub prints workflow commands, which GitHub Actions turns into
// annotations on the lines of a pull request.
func writeGitHub(w io.Writer, results []FileResult) error {
	var b strings.Builder
	for _, fr := range results {
		for _, f := range fr.Findings {
			level := "warning"
			msg := f.Message
			switch {
			case f.Waived:
				level = "notice"
				msg = fmt.Sprintf("waived: %s (%s)", msg, f.WaiverReason)
			case f.Severity == SeverityDeny:
				level = "error"
			}
			p := where(fr.File, f)
			fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d,title=%s::%s\n",
				level, ghProperty(p.File), p.Line, p.Col, ghProperty(f.ID), ghData(msg))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// GitHub's workflow command escaping: data escapes %, CR and LF;
// properties also ':' and ','.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
