package policies

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// SARIFLog is a SARIF 2.1.0 log, the subset code scanning reads. validate
// and review both write one.
type SARIFLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of profilec: its results and the rules they cite.
type SARIFRun struct {
	Tool    SARIFTool     `json:"tool"`
	Results []SARIFResult `json:"results"`

	ruleIndex map[string]int
}

// SARIFTool names the tool of a run.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is the tool's name and its rules.
type SARIFDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule describes one rule id results cite by index.
type SARIFRule struct {
	ID               string       `json:"id"`
	ShortDescription SARIFMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
	DefaultConfig    struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

// SARIFMessage is a plain-text message.
type SARIFMessage struct {
	Text string `json:"text"`
}

// SARIFResult is one finding or change.
type SARIFResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      SARIFMessage       `json:"message"`
	Locations    []SARIFLocation    `json:"locations"`
	Suppressions []SARIFSuppression `json:"suppressions,omitempty"`
	Properties   map[string]string  `json:"properties,omitempty"`
}

// SARIFLocation is a place in a file.
type SARIFLocation struct {
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

// SARIFSuppression reports a waiver: code scanning shows the result as
// dismissed with the reason, rather than hiding it.
type SARIFSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// NewSARIFRun starts a run of profilec with no rules and no results.
func NewSARIFRun() *SARIFRun {
	return &SARIFRun{
		Tool:    SARIFTool{Driver: SARIFDriver{Name: "profilec", InformationURI: "https://github.com/profilec/profilec", Rules: []SARIFRule{}}},
		Results: []SARIFResult{},
	}
}

// Rule is the index of rule id among the run's rules, which it adds with
// level, summary and helpURI (may be empty) the first time it sees id.
func (r *SARIFRun) Rule(id, level, summary, helpURI string) int {
	if i, ok := r.ruleIndex[id]; ok {
		return i
	}
	if r.ruleIndex == nil {
		r.ruleIndex = map[string]int{}
	}
	rule := SARIFRule{ID: id, ShortDescription: SARIFMessage{Text: summary}, HelpURI: helpURI}
	rule.DefaultConfig.Level = level
	r.ruleIndex[id] = len(r.Tool.Driver.Rules)
	r.Tool.Driver.Rules = append(r.Tool.Driver.Rules, rule)
	return r.ruleIndex[id]
}

// WriteSARIF writes run as an indented SARIF log; escapeHTML is as
// json.Encoder's SetEscapeHTML.
func WriteSARIF(w io.Writer, run *SARIFRun, escapeHTML bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(escapeHTML)
	return enc.Encode(SARIFLog{Version: "2.1.0", Schema: sarifSchema, Runs: []SARIFRun{*run}})
}

// SARIFLocations is the one location of a result at line and column of
// the file at uri.
func SARIFLocations(uri string, line, col int) []SARIFLocation {
	var l SARIFLocation
	l.PhysicalLocation.ArtifactLocation.URI = uri
	l.PhysicalLocation.Region.StartLine = line
	l.PhysicalLocation.Region.StartColumn = col
	return []SARIFLocation{l}
}

// SARIFWaived is the suppression of a finding waived for reason.
func SARIFWaived(reason string) []SARIFSuppression {
	return []SARIFSuppression{{Kind: "inSource", Justification: reason}}
}

// SARIFLevel is the SARIF level of a finding of severity.
func SARIFLevel(severity string) string {
	if severity == SeverityDeny {
		return "error"
	}
	return "warning"
}

// SARIFURIRef turns a path into a URI reference as it stands: code
// scanning resolves a relative one against the repository root; an
// absolute one becomes a file URI.
func SARIFURIRef(path string) string {
	prefix := ""
	if filepath.IsAbs(path) {
		prefix = "file://"
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

// sarifURI is SARIFURIRef for a path given on the command line: an
// absolute path under the working directory becomes relative, as code
// scanning wants it; any other stays absolute, a file URI.
func sarifURI(path string) string {
	if filepath.IsAbs(path) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
				path = rel
			}
		}
	}
	return SARIFURIRef(path)
}
