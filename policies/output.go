package policies

import (
	"encoding/json"
	"fmt"
	"io"
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

// rulesHelp documents every built-in rule; code scanning links to it.
const rulesHelp = "https://github.com/profilec/profilec/blob/main/docs/policies.md#built-in-rules"

func writeSARIF(w io.Writer, results []FileResult) error {
	known := map[string]Rule{}
	for _, r := range Rules() {
		known[r.ID] = r
	}
	run := NewSARIFRun()
	for _, fr := range results {
		for _, f := range fr.Findings {
			summary, help := f.ID, ""
			if r, ok := known[f.ID]; ok {
				summary, help = r.Summary, rulesHelp
			}
			p := where(fr.File, f)
			res := SARIFResult{
				RuleID:    f.ID,
				RuleIndex: run.Rule(f.ID, SARIFLevel(f.Severity), summary, help),
				Level:     SARIFLevel(f.Severity),
				Message:   SARIFMessage{Text: f.Message},
				Locations: SARIFLocations(sarifURI(p.File), p.Line, p.Col),
			}
			if f.Waived {
				res.Suppressions = SARIFWaived(f.WaiverReason)
			}
			run.Results = append(run.Results, res)
		}
	}
	return WriteSARIF(w, run, true)
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
