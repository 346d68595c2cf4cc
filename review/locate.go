package review

import (
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
)

// locator finds where a change is written in the new version's own file,
// so annotations land on a line a reviewer can act on. Values from
// built-in bases or other files of the chain fall back to the place in the
// profile that pulls them in.
type locator struct {
	r    *schema.Resolved
	file string
	root *yaml.Node
}

func newLocator(r *schema.Resolved) *locator {
	l := &locator{r: r}
	if len(r.Sources) > 0 {
		l.file = r.Sources[len(r.Sources)-1]
	}
	if data, err := os.ReadFile(l.file); err == nil && len(data) <= schema.DefaultMaxBytes {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			l.root = doc.Content[0]
		}
	}
	return l
}

func (l *locator) top() schema.Pos { return schema.Pos{File: l.file, Line: 1, Col: 1} }

// key returns the position of the deepest key of path the file writes,
// else of extends, else the top of the file.
func (l *locator) key(path ...string) schema.Pos {
	for n := len(path); n > 0; n-- {
		if k := find(l.root, path[:n]); k != nil {
			return schema.Pos{File: l.file, Line: k.Line, Col: k.Column}
		}
	}
	if k := find(l.root, []string{"extends"}); k != nil {
		return schema.Pos{File: l.file, Line: k.Line, Col: k.Column}
	}
	return l.top()
}

// item returns where a list under path names value (any case, with or
// without prefix), or key(path...) when none does.
func (l *locator) item(value, prefix string, path ...string) schema.Pos {
	if k := find(l.root, path); k != nil {
		if v := valueAt(l.root, path); v != nil && v.Kind == yaml.SequenceNode {
			want := strings.TrimPrefix(strings.ToUpper(value), prefix)
			for _, it := range v.Content {
				if strings.TrimPrefix(strings.ToUpper(it.Value), prefix) == want {
					return schema.Pos{File: l.file, Line: it.Line, Col: it.Column}
				}
			}
		}
	}
	return l.key(path...)
}

// rule returns where rule i of the resolved seccomp names syscall name,
// when that rule is written in the profile's own file.
func (l *locator) rule(i int, name string) (schema.Pos, bool) {
	if i < 0 || i >= len(l.r.Seccomp.Syscalls) {
		return schema.Pos{}, false
	}
	r := l.r.Seccomp.Syscalls[i]
	if r.Pos.File != l.file || r.Pos.Line == 0 {
		return schema.Pos{}, false
	}
	for j, n := range r.Names {
		if n == name && j < len(r.NamePos) && r.NamePos[j].Line > 0 {
			return r.NamePos[j], true
		}
	}
	return r.Pos, true
}

// find returns the key node of path in a mapping tree, nil if absent.
func find(n *yaml.Node, path []string) *yaml.Node {
	var key *yaml.Node
	for _, k := range path {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				key, next = n.Content[i], n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return key
}

// valueAt returns the value node of path.
func valueAt(n *yaml.Node, path []string) *yaml.Node {
	for _, k := range path {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
