package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Error codes are stable: tools and tests match on them, never on messages.
const (
	CodeSyntax        = "syntax"        // not YAML at all
	CodeTooLarge      = "too-large"     // file exceeds Options.MaxBytes
	CodeTooDeep       = "too-deep"      // nesting beyond maxDepth
	CodeAliasBudget   = "alias-budget"  // aliases expand beyond the budget
	CodeType          = "type"          // wrong YAML kind or scalar type
	CodeValue         = "value"         // right type, value out of range or malformed
	CodeRequired      = "required"      // a required field is missing
	CodeDuplicate     = "duplicate"     // a key written twice
	CodeConflict      = "conflict"      // two fields that exclude each other
	CodeVersion       = "version"       // unsupported language version
	CodeUnknownField  = "unknown-field" // no such field here
	CodeUnknownName   = "unknown-name"  // unknown syscall, capability, errno, arch, action, op, rlimit, flag
	CodeExtends       = "extends"       // an extends entry cannot be loaded
	CodeCycle         = "cycle"         // extends loops back to itself
	CodeIO            = "io"            // the file cannot be read
	CodeTooManyErrors = "too-many-errors"
)

// maxErrors bounds the list one load reports, so a hostile file cannot make
// the error list itself the memory problem.
const maxErrors = 200

// Error is one problem in a profile. Pos is always set (line 1, column 1 for
// problems of the file as a whole) so every message points somewhere.
type Error struct {
	Code       string `json:"code"`
	Msg        string `json:"msg"`
	Path       string `json:"path,omitempty"` // YAML path: seccomp.syscalls[3].names[0]
	Pos        Pos    `json:"pos"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Error formats the error as FILE:LINE:COL: PATH: MSG (did you mean X?).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %s?)", e.Suggestion)
	}
	return b.String()
}

// String formats a position as FILE:LINE:COL.
func (p Pos) String() string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

// ErrorList is every problem found, sorted by position. The loader returns it
// as a value, so callers recover it with
//
//	var list schema.ErrorList
//	if errors.As(err, &list) { ... }
type ErrorList []*Error

// Error prints one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the list by file, line, column, then path, so output is stable
// whatever order the checks ran in.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return l[i].Path < l[j].Path
	})
}

// err returns the sorted list as an error, or nil when empty. The list is
// capped at maxErrors entries plus one saying how many were left out.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	if len(l) > maxErrors {
		rest := len(l) - maxErrors
		last := l[maxErrors-1].Pos
		l = append(l[:maxErrors:maxErrors], &Error{
			Code: CodeTooManyErrors,
			Msg:  fmt.Sprintf("%d more errors not shown", rest),
			Pos:  last,
		})
	}
	return l
}

// suggest returns the candidate nearest to s, or "" when nothing is close
// enough to be a plausible typo. norm, if set, maps both sides to a canonical
// spelling first (so "cap_sys_admn" still finds CAP_SYS_ADMIN).
func suggest(s string, candidates []string, norm func(string) string) string {
	if norm == nil {
		norm = strings.ToLower
	}
	ns := norm(s)
	if ns == "" {
		return ""
	}
	// Half the word may be wrong at most, else "base" would suggest
	// "name"; more than three edits is a different word.
	limit := min(3, (len([]rune(ns))-1)/2)
	if limit < 1 {
		return ""
	}
	best, bestDist, bestLen := "", limit+1, 0
	for _, c := range candidates {
		nc := norm(c)
		// The length difference alone bounds the distance; skipping far
		// candidates keeps suggestions cheap over 400+ syscall names.
		ld := len(nc) - len(ns)
		if ld < 0 {
			ld = -ld
		}
		if ld > limit {
			continue
		}
		// On a tie a mistyped letter is likelier than a missing one
		// (clone4 is clone3, not clone), then the order is alphabetical.
		d := osaDistance(ns, nc)
		if d < bestDist || (d == bestDist && (ld < bestLen || (ld == bestLen && c < best))) {
			best, bestDist, bestLen = c, d, ld
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// osaDistance is the optimal string alignment (restricted Damerau-Levenshtein)
// distance: a swapped pair of letters, the commonest typo, costs one edit.
func osaDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
