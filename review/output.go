package review

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/profilec/profilec/policies"
	"github.com/profilec/profilec/schema"
)

// Formats lists what Write accepts.
var Formats = []string{"text", "markdown", "json", "sarif", "github"}

// Write prints rep in format: text for a terminal, markdown for a pull
// request comment, json, sarif (SARIF 2.1.0 for code scanning) or github
// (workflow command annotations on the changed lines).
func Write(w io.Writer, format string, rep *Report) error {
	var err error
	switch format {
	case "text":
		err = writeText(w, rep)
	case "markdown":
		err = writeMarkdown(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	case "sarif":
		err = writeSARIF(w, rep)
	case "github":
		err = writeGitHub(w, rep)
	default:
		return fmt.Errorf("write review: unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("write review: %w", err)
	}
	return nil
}

// at is where an annotation goes: the change's own place, else the top of
// the file under review.
func at(file string, p schema.Pos) schema.Pos {
	if p.File == "" || strings.HasPrefix(p.File, "builtin:") {
		p = schema.Pos{File: file, Line: 1, Col: 1}
	}
	p.Line, p.Col = max(p.Line, 1), max(p.Col, 1)
	return p
}

func archSuffix(c Change) string {
	if len(c.Arches) == 0 {
		return ""
	}
	return " [" + strings.Join(c.Arches, ", ") + "]"
}

func counts(changes []Change) [4]int {
	var n [4]int
	for _, c := range changes {
		if r := RiskRank(c.Risk); r >= 0 {
			n[r]++
		}
	}
	return n
}

func writeText(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, f := range rep.Files {
		title := f.File
		if f.OldFile != "" {
			title = f.OldFile + " -> " + f.File
		}
		fmt.Fprintf(&b, "%s (%s)\n", title, f.Status)
		if len(f.Changes) == 0 && len(f.Findings) == 0 {
			b.WriteString("  no semantic change\n")
		}
		for _, c := range f.Changes {
			p := at(f.File, c.Pos)
			fmt.Fprintf(&b, "  %-6s %s%s\n         %s (line %d)\n", c.Risk, c.Message, archSuffix(c), c.Reason, p.Line)
		}
		for _, x := range f.Findings {
			fmt.Fprintf(&b, "  %s %s: %s (line %d)\n", x.Severity, x.ID, x.Message, at(f.File, x.Pos).Line)
		}
	}
	n := [4]int{}
	for _, f := range rep.Files {
		c := counts(f.Changes)
		for i := range n {
			n[i] += c[i]
		}
	}
	fmt.Fprintf(&b, "%d %s reviewed: %d high, %d medium, %d low, %d info\n",
		len(rep.Files), plural(len(rep.Files), "profile", "profiles"), n[3], n[2], n[1], n[0])
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps text from breaking a table cell or starting markup.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "`", "'", "*", `\*`, "_", `\_`).Replace(s)
}

func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func writeMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	b.WriteString("## profilec review\n\n")
	if len(rep.Files) == 0 {
		fmt.Fprintf(&b, "No profile changed since %s.\n", code(shortRev(rep.Base)))
		_, err := io.WriteString(w, b.String())
		return err
	}
	total := [4]int{}
	for _, f := range rep.Files {
		c := counts(f.Changes)
		for i := range total {
			total[i] += c[i]
		}
	}
	max := rep.Max()
	if max == "" {
		max = "none"
	}
	affected := 0
	for _, f := range rep.Files {
		if f.Status == "affected" {
			affected++
		}
	}
	changed := len(rep.Files) - affected
	what := fmt.Sprintf("%d %s changed", changed, plural(changed, "profile", "profiles"))
	if affected > 0 {
		what += fmt.Sprintf(" and %d affected through extends", affected)
	}
	fmt.Fprintf(&b, "%s since %s. Highest risk: **%s**.\n\n", what, code(shortRev(rep.Base)), max)
	b.WriteString("| Profile | Status | High | Medium | Low | Info | Findings |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, f := range rep.Files {
		c := counts(f.Changes)
		name := code(f.File)
		if f.OldFile != "" {
			name = code(f.OldFile) + " → " + code(f.File)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s |\n", name, f.Status, c[3], c[2], c[1], c[0], findingSummary(f.Findings))
	}
	for _, f := range rep.Files {
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code>: %d %s, %d %s</summary>\n\n",
			mdEscape(f.File), len(f.Changes), plural(len(f.Changes), "change", "changes"),
			len(f.Findings), plural(len(f.Findings), "finding", "findings"))
		if len(f.Changes) == 0 {
			b.WriteString("No semantic change: the profile confines a program exactly as before.\n")
		} else {
			b.WriteString("| Risk | Change | Why | Line |\n|---|---|---|---:|\n")
			for _, c := range f.Changes {
				p := at(f.File, c.Pos)
				fmt.Fprintf(&b, "| %s | %s%s | %s | %d |\n", c.Risk, mdEscape(c.Message), mdEscape(archSuffix(c)), mdEscape(c.Reason), p.Line)
			}
		}
		if len(f.Findings) > 0 {
			b.WriteString("\n| Finding | Rule | Message | Line |\n|---|---|---|---:|\n")
			for _, x := range f.Findings {
				sev := x.Severity
				if x.Waived {
					sev += " (waived)"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %d |\n", sev, code(x.ID), mdEscape(x.Message), at(f.File, x.Pos).Line)
			}
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortRev abbreviates a full commit id, as GitHub shows one.
func shortRev(rev string) string {
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		return rev[:12]
	}
	return rev
}

func findingSummary(fs []policies.Finding) string {
	var deny, warn, waived int
	for _, f := range fs {
		switch {
		case f.Waived:
			waived++
		case f.Severity == policies.SeverityDeny:
			deny++
		default:
			warn++
		}
	}
	if deny+warn+waived == 0 {
		return "none"
	}
	var parts []string
	if deny > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", deny, plural(deny, "denial", "denials")))
	}
	if warn > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", warn, plural(warn, "warning", "warnings")))
	}
	if waived > 0 {
		parts = append(parts, fmt.Sprintf("%d waived", waived))
	}
	return strings.Join(parts, ", ")
}

// ghLevel maps a risk to a workflow command: high errors, medium warns,
// the rest are notices.
func ghLevel(risk string) string {
	switch risk {
	case RiskHigh:
		return "error"
	case RiskMedium:
		return "warning"
	}
	return "notice"
}

// GitHub's workflow command escaping: data escapes %, CR and LF;
// properties also ':' and ','.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// writeGitHub prints one annotation per change, then the findings as
// validate prints them (policies.Write), so both read alike.
func writeGitHub(w io.Writer, rep *Report) error {
	var b strings.Builder
	var results []policies.FileResult
	for _, f := range rep.Files {
		for _, c := range f.Changes {
			p := at(f.File, c.Pos)
			fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d,title=%s::%s%s (%s risk: %s)\n",
				ghLevel(c.Risk), ghProperty(p.File), p.Line, p.Col, ghProperty("profilec review: "+c.Kind),
				ghData(c.Message), ghData(archSuffix(c)), c.Risk, ghData(c.Reason))
		}
		if len(f.Findings) > 0 {
			results = append(results, policies.FileResult{File: f.File, Findings: f.Findings})
		}
	}
	if len(results) > 0 {
		var fb strings.Builder
		if err := policies.Write(&fb, "github", results); err != nil {
			return err
		}
		// A finding about a shared base file is reported once per profile
		// extending it; the pull request needs it once.
		seen := map[string]bool{}
		for _, line := range strings.SplitAfter(fb.String(), "\n") {
			if line != "" && !seen[line] {
				seen[line] = true
				b.WriteString(line)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
