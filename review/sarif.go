package review

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/profilec/profilec/policies"
)

// SARIF 2.1.0, the subset code scanning reads. policies writes the same
// shape for validate but keeps it unexported; this adds risk levels.
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
	Properties   map[string]string  `json:"properties,omitempty"`
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

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifLevel: SARIF has error, warning and note; info and low are notes.
func sarifLevel(risk string) string {
	switch risk {
	case RiskHigh:
		return "error"
	case RiskMedium:
		return "warning"
	}
	return "note"
}

// kindSummaries describe each kind of change for SARIF rule metadata.
var kindSummaries = map[string]string{
	KindSeccompDisabled: "The seccomp filter was removed",
	KindSeccompEnabled:  "A seccomp filter was added",
	KindDefaultAction:   "The seccomp default action changed",
	KindArchAdded:       "The filter covers another architecture",
	KindArchRemoved:     "The filter no longer covers an architecture",
	KindFlags:           "Seccomp filter flags changed",
	KindSyscallAllowed:  "A system call is newly allowed",
	KindSyscallDenied:   "A system call is no longer allowed",
	KindSyscallWidened:  "A system call is allowed for more arguments",
	KindSyscallNarrowed: "A system call is allowed for fewer arguments",
	KindSyscallAction:   "A refused system call fails another way",
	KindCapAdded:        "A capability was added",
	KindCapRemoved:      "A capability was removed",
	KindNSAdded:         "The program gets its own namespace",
	KindNSDropped:       "The program shares a namespace with the host",
	KindNSChanged:       "Namespace settings changed",
	KindLimitLoosened:   "A resource limit was loosened",
	KindLimitTightened:  "A resource limit was tightened",
	KindLimitRemoved:    "A resource limit was removed",
	KindLimitAdded:      "A resource limit was added",
	KindNNPDisabled:     "noNewPrivileges was switched off",
	KindNNPEnabled:      "noNewPrivileges was switched on",
	KindUserChanged:     "The user the program runs as changed",
	KindProfileAdded:    "A profile was added",
	KindProfileDeleted:  "A profile was deleted",
}

func writeSARIF(w io.Writer, rep *Report) error {
	driver := sarifDriver{Name: "profilec", InformationURI: "https://github.com/profilec/profilec", Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(id, level, summary string) int {
		if i, ok := index[id]; ok {
			return i
		}
		r := sarifRule{ID: id, ShortDescription: sarifMessage{Text: summary}}
		r.DefaultConfig.Level = level
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, r)
		return index[id]
	}
	known := map[string]string{}
	for _, r := range policies.Rules() {
		known[r.ID] = r.Summary
	}
	run := sarifRun{Results: []sarifResult{}}
	loc := func(file string, line, col int) []sarifLocation {
		var l sarifLocation
		l.PhysicalLocation.ArtifactLocation.URI = sarifURI(file)
		l.PhysicalLocation.Region.StartLine = line
		l.PhysicalLocation.Region.StartColumn = col
		return []sarifLocation{l}
	}
	for _, f := range rep.Files {
		for _, c := range f.Changes {
			id := "review/" + c.Kind
			summary := kindSummaries[c.Kind]
			if summary == "" {
				summary = c.Kind
			}
			p := at(f.File, c.Pos)
			run.Results = append(run.Results, sarifResult{
				RuleID:     id,
				RuleIndex:  addRule(id, "warning", summary),
				Level:      sarifLevel(c.Risk),
				Message:    sarifMessage{Text: fmt.Sprintf("%s%s (%s risk: %s)", c.Message, archSuffix(c), c.Risk, c.Reason)},
				Locations:  loc(p.File, p.Line, p.Col),
				Properties: map[string]string{"risk": c.Risk},
			})
		}
		for _, x := range f.Findings {
			summary := known[x.ID]
			if summary == "" {
				summary = x.ID
			}
			level := "warning"
			if x.Severity == policies.SeverityDeny {
				level = "error"
			}
			p := at(f.File, x.Pos)
			res := sarifResult{
				RuleID:    x.ID,
				RuleIndex: addRule(x.ID, level, summary),
				Level:     level,
				Message:   sarifMessage{Text: x.Message},
				Locations: loc(p.File, p.Line, p.Col),
			}
			if x.Waived {
				res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: x.WaiverReason}}
			}
			run.Results = append(run.Results, res)
		}
	}
	run.Tool.Driver = driver
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Version: "2.1.0", Schema: sarifSchema, Runs: []sarifRun{run}})
}

// sarifURI turns a path relative to the repository into a URI reference,
// which code scanning resolves against the repository root; an absolute
// path becomes a file URI.
func sarifURI(path string) string {
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
