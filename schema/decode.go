package schema

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// aliasBudget is how many nodes alias references may add to the document in
// total. Profiles rarely use aliases at all; an alias bomb needs millions.
const aliasBudget = 10000

// decoder walks yaml.v3 nodes by hand so that every problem carries a
// position and a field path, and so that all problems of a file are
// collected instead of stopping at the first.
type decoder struct {
	file string
	errs ErrorList

	aliasUsed   int
	aliasBroken bool

	hints map[string]string
}

// hint returns a suggestion for an unknown name of some kind, computed once
// per name, and none once the error list is full: a file of 100,000
// misspelt names must not cost 100,000 searches of the syscall table.
func (d *decoder) hint(kind, name string, compute func() string) string {
	if len(d.errs) >= maxErrors {
		return ""
	}
	key := kind + "\x00" + name
	if h, ok := d.hints[key]; ok {
		return h
	}
	if d.hints == nil {
		d.hints = map[string]string{}
	}
	h := compute()
	d.hints[key] = h
	return h
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil || n.Line == 0 {
		return Pos{File: d.file, Line: 1, Col: 1}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) add(n *yaml.Node, path, code, suggestion, format string, args ...any) {
	d.errs = append(d.errs, &Error{
		Code:       code,
		Msg:        fmt.Sprintf(format, args...),
		Path:       path,
		Pos:        d.pos(n),
		Suggestion: suggestion,
	})
}

// deref follows an alias, charging the nodes it expands to against one
// budget for the whole file, so that nested aliases cannot make the walk
// exponential. It returns nil (and reports once) when the budget is spent.
func (d *decoder) deref(n *yaml.Node, path string) *yaml.Node {
	if n == nil || n.Kind != yaml.AliasNode {
		return n
	}
	if d.aliasBroken {
		return nil
	}
	target := n.Alias
	for hops := 0; target != nil && target.Kind == yaml.AliasNode && hops <= aliasBudget; hops++ {
		target = target.Alias
	}
	if target == nil {
		d.add(n, path, CodeSyntax, "", "alias *%s refers to no anchor", n.Value)
		return nil
	}
	left := aliasBudget - d.aliasUsed
	d.aliasUsed += countNodes(target, left+1)
	if d.aliasUsed > aliasBudget || target.Kind == yaml.AliasNode {
		d.aliasBroken = true
		d.add(n, path, CodeAliasBudget, "", "aliases expand to more than %d values; refusing (alias bomb?)", aliasBudget)
		return nil
	}
	return target
}

// countNodes counts the nodes a subtree expands to, aliases included, but
// stops once it has seen limit, so the count costs no more than the budget
// it guards, even for an alias inside its own anchor.
func countNodes(n *yaml.Node, limit int) int {
	count := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || count >= limit {
			return
		}
		count++
		if n.Kind == yaml.AliasNode {
			walk(n.Alias)
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return count
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!str":
			return "a string"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "an alias"
}

// fields iterates a mapping's known keys with non-null values in document
// order. Unknown keys get
// the nearest known name as a suggestion; duplicate keys are errors (yaml.v3
// only catches them when decoding into Go maps).
func (d *decoder) fields(n *yaml.Node, path string, known []string, f func(key string, k, v *yaml.Node, path string)) bool {
	n = d.deref(n, path)
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, CodeType, "", "must be a mapping, not %s", kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		k = d.deref(k, path)
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, path, CodeType, "", "field name must be a string, not %s", kindName(k))
			continue
		}
		key := k.Value
		kp := joinPath(path, key)
		if key == "<<" && k.Tag == "!!merge" {
			d.add(k, path, CodeUnknownField, "", "YAML merge keys (<<) are not supported; write the fields out")
			continue
		}
		if seen[key] {
			d.add(k, kp, CodeDuplicate, "", "field %q is given twice", key)
			continue
		}
		seen[key] = true
		if !contains(known, key) {
			sug := d.hint("field:"+strings.Join(known, ","), key, func() string {
				if sug := suggest(key, known, nil); sug != "" || path != "" {
					return sug
				}
				return misplaced(key)
			})
			d.add(k, kp, CodeUnknownField, sug, "unknown field %q", key)
			continue
		}
		// A null value leaves the field out, as in Docker's JSON ("archMap":
		// null); a required field left out is then reported as missing.
		if vn := d.deref(v, kp); vn == nil || isNull(vn) {
			continue
		}
		f(key, k, v, kp)
	}
	return true
}

// misplaced finds where a top-level key belongs: a Docker seccomp profile
// pasted without its seccomp: wrapper, or a limit outside its section.
func misplaced(key string) string {
	for _, sec := range []struct {
		name   string
		fields []string
	}{
		{"seccomp", seccompFields},
		{"capabilities", capabilitiesFields},
		{"namespaces", namespacesFields},
		{"cgroups", cgroupsFields},
		{"rlimits", rlimitNames},
	} {
		if contains(sec.fields, key) {
			return sec.name + "." + key
		}
	}
	return ""
}

// list iterates a sequence.
func (d *decoder) list(n *yaml.Node, path string, f func(i int, item *yaml.Node, path string)) {
	n = d.deref(n, path)
	if n == nil {
		return
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, CodeType, "", "must be a list, not %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		f(i, item, fmt.Sprintf("%s[%d]", path, i))
	}
}

// scalar returns a dereferenced scalar node, or nil after reporting.
func (d *decoder) scalar(n *yaml.Node, path, what string) *yaml.Node {
	n = d.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.add(n, path, CodeType, "", "must be %s, not %s", what, kindName(n))
		return nil
	}
	return n
}

// str decodes a string. Free text (names, comments) accepts any scalar, so
// `name: 2024` is not an error; identifiers must be YAML strings.
func (d *decoder) str(n *yaml.Node, path string, freeText bool) (string, *yaml.Node, bool) {
	s := d.scalar(n, path, "a string")
	if s == nil {
		return "", n, false
	}
	if !freeText && s.Tag != "!!str" {
		d.add(s, path, CodeType, "", "must be a string, not %s", kindName(s))
		return "", s, false
	}
	return s.Value, s, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	s := d.scalar(n, path, "true or false")
	if s == nil {
		return false, false
	}
	if s.Tag != "!!bool" {
		sug := ""
		switch strings.ToLower(s.Value) {
		case "yes", "y", "on":
			sug = "true"
		case "no", "n", "off":
			sug = "false"
		}
		d.add(s, path, CodeType, sug, "must be true or false, not %s", kindName(s))
		return false, false
	}
	b, err := strconv.ParseBool(s.Value)
	if err != nil {
		d.add(s, path, CodeType, "", "must be true or false, not %q", s.Value)
		return false, false
	}
	return b, true
}

// parseUint reads decimal, 0x hex, 0o octal and 0b binary, with optional
// underscores, up to math.MaxUint64. A leading 0 alone does not mean octal
// (YAML 1.2 reads 010 as ten).
func parseUint(s string) (uint64, error) {
	t := strings.ReplaceAll(s, "_", "")
	if len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' {
		return strconv.ParseUint(t, 10, 64)
	}
	if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	return strconv.ParseUint(t, 0, 64)
}

// uint decodes a non-negative integer no larger than max.
func (d *decoder) uint(n *yaml.Node, path string, max uint64) (uint64, bool) {
	return d.number(n, path, max, false)
}

// uintOrString also takes the number as a string ("0xffffffff"), which
// JSON tools that lose precision above 2^53 need for 64-bit argument values.
func (d *decoder) uintOrString(n *yaml.Node, path string, max uint64) (uint64, bool) {
	return d.number(n, path, max, true)
}

func (d *decoder) number(n *yaml.Node, path string, max uint64, quoted bool) (uint64, bool) {
	s := d.scalar(n, path, "a non-negative integer")
	if s == nil {
		return 0, false
	}
	if s.Tag != "!!int" && !(quoted && s.Tag == "!!str") && !(s.Tag == "!!float" && isDigits(s.Value)) {
		d.add(s, path, CodeType, "", "must be a non-negative integer, not %s", kindName(s))
		return 0, false
	}
	v, err := parseUint(s.Value)
	if err != nil {
		if strings.HasPrefix(strings.TrimSpace(s.Value), "-") {
			d.add(s, path, CodeValue, "", "must be a non-negative integer, not %s", s.Value)
		} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			d.add(s, path, CodeValue, "", "%s does not fit in 64 bits", s.Value)
		} else {
			d.add(s, path, CodeType, "", "must be a non-negative integer (decimal, 0x hex or 0o octal), not %q", s.Value)
		}
		return 0, false
	}
	if v > max {
		d.add(s, path, CodeValue, "", "%s is larger than %d", s.Value, max)
		return 0, false
	}
	return v, true
}

// isDigits reports a plain decimal too long for an int, which YAML resolves
// to a float.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
