package review

import (
	"fmt"
	"io"

	"github.com/profilec/profilec/policies"
)

// riskLevel is the SARIF level of a risk: SARIF has error, warning and
// note; info and low are notes.
func riskLevel(risk string) string {
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
	known := map[string]string{}
	for _, r := range policies.Rules() {
		known[r.ID] = r.Summary
	}
	run := policies.NewSARIFRun()
	for _, f := range rep.Files {
		for _, c := range f.Changes {
			id := "review/" + c.Kind
			summary := kindSummaries[c.Kind]
			if summary == "" {
				summary = c.Kind
			}
			p := at(f.File, c.Pos)
			run.Results = append(run.Results, policies.SARIFResult{
				RuleID:     id,
				RuleIndex:  run.Rule(id, "warning", summary, ""),
				Level:      riskLevel(c.Risk),
				Message:    policies.SARIFMessage{Text: fmt.Sprintf("%s%s (%s risk: %s)", c.Message, archSuffix(c), c.Risk, c.Reason)},
				Locations:  policies.SARIFLocations(policies.SARIFURIRef(p.File), p.Line, p.Col),
				Properties: map[string]string{"risk": c.Risk},
			})
		}
		for _, x := range f.Findings {
			summary := known[x.ID]
			if summary == "" {
				summary = x.ID
			}
			level := policies.SARIFLevel(x.Severity)
			p := at(f.File, x.Pos)
			res := policies.SARIFResult{
				RuleID:    x.ID,
				RuleIndex: run.Rule(x.ID, level, summary, ""),
				Level:     level,
				Message:   policies.SARIFMessage{Text: x.Message},
				Locations: policies.SARIFLocations(policies.SARIFURIRef(p.File), p.Line, p.Col),
			}
			if x.Waived {
				res.Suppressions = policies.SARIFWaived(x.WaiverReason)
			}
			run.Results = append(run.Results, res)
		}
	}
	return policies.WriteSARIF(w, run, false)
}
