package policies

import (
	"os"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
)

// Positions live beside the values they locate, in fields the JSON input
// omits (json:"-"), so policies can only name a place by its YAML path. A
// locator maps those paths back to FILE:LINE:COL.
type locator struct {
	pos     map[string]schema.Pos
	file    string   // the profile itself, for paths nothing records
	sources []string // the extends chain, the profile last
	docs    map[string]*yaml.Node
}

var posType = reflect.TypeFor[schema.Pos]()

// newLocator walks r and records every position it carries under the YAML
// path of the value it belongs to. It reads any Pos field, and any XPos
// []Pos field as the positions of the elements of the sibling slice Xs
// (NamePos for Names), so positions the loader adds later are found too.
func newLocator(r *schema.Resolved) *locator {
	l := &locator{pos: map[string]schema.Pos{}, sources: r.Sources, docs: map[string]*yaml.Node{}}
	if len(r.Sources) > 0 {
		l.file = r.Sources[len(r.Sources)-1]
	}
	l.walk(reflect.ValueOf(r).Elem(), "")
	return l
}

func (l *locator) walk(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			l.walk(v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			l.walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		for _, k := range v.MapKeys() {
			l.walk(v.MapIndex(k), join(path, k.String()))
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			fv := v.Field(i)
			switch {
			case sf.Type == posType:
				p := fv.Interface().(schema.Pos)
				if p.Line == 0 {
					continue
				}
				if sf.Name == "Pos" {
					l.pos[path] = p
				} else if target, ok := sibling(t, strings.TrimSuffix(sf.Name, "Pos")); ok {
					l.pos[join(path, jsonName(target))] = p
				}
			case sf.Type.Kind() == reflect.Slice && sf.Type.Elem() == posType:
				target, ok := sibling(t, strings.TrimSuffix(sf.Name, "Pos"))
				if !ok {
					continue
				}
				base := join(path, jsonName(target))
				for j := 0; j < fv.Len(); j++ {
					if p := fv.Index(j).Interface().(schema.Pos); p.Line > 0 {
						l.pos[base+"["+strconv.Itoa(j)+"]"] = p
					}
				}
			default:
				if name := jsonName(sf); name != "" {
					l.walk(fv, join(path, name))
				}
			}
		}
	}
}

// sibling finds the field an XPos field locates: X itself, or its plural
// (NamePos locates Names, AmbientPos Ambient).
func sibling(t reflect.Type, name string) (reflect.StructField, bool) {
	if name == "" {
		return reflect.StructField{}, false
	}
	if f, ok := t.FieldByName(name); ok && jsonName(f) != "" {
		return f, true
	}
	if f, ok := t.FieldByName(name + "s"); ok && jsonName(f) != "" {
		return f, true
	}
	return reflect.StructField{}, false
}

func jsonName(sf reflect.StructField) string {
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return sf.Name
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// locate returns the position of path, or of its nearest enclosing value
// that has one. Recorded positions come first; a path of map keys only
// (seccomp.defaultAction) is then looked up in the profile's own files, the
// profile first, as a later file overrides what it extends. Indexed paths
// never are: an index counts the resolved list, not the one a file writes.
//
// Built-in bases are not searched: a value they supply is reported at the
// extends that brought it in, the line a user can act on (and parsing
// docker-default would cost more than the rest of the lookup).
func (l *locator) locate(path string) schema.Pos {
	for p := path; p != ""; p = parent(p) {
		if pos, ok := l.pos[p]; ok {
			return pos
		}
		if strings.Contains(p, "[") {
			continue
		}
		for i := len(l.sources) - 1; i >= 0; i-- {
			if isBuiltin(l.sources[i]) {
				continue
			}
			if pos, ok := l.inSource(l.sources[i], p); ok {
				return pos
			}
		}
	}
	for i := len(l.sources) - 1; i >= 0; i-- {
		if !isBuiltin(l.sources[i]) {
			if pos, ok := l.inSource(l.sources[i], "extends"); ok {
				return pos
			}
		}
	}
	return schema.Pos{File: l.file, Line: 1, Col: 1}
}

func isBuiltin(file string) bool { return strings.HasPrefix(file, "builtin:") }

// inSource finds the dotted key path in file: a scalar's value, or the key
// of anything larger.
func (l *locator) inSource(file, path string) (schema.Pos, bool) {
	key, n := l.nodeAt(file, path)
	if n == nil {
		return schema.Pos{}, false
	}
	at := key
	if n.Kind == yaml.ScalarNode || key == nil {
		at = n
	}
	return schema.Pos{File: file, Line: at.Line, Col: at.Column}, true
}

// nodeAt returns the key and value nodes of the dotted key path in file.
func (l *locator) nodeAt(file, path string) (key, n *yaml.Node) {
	doc, ok := l.docs[file]
	if !ok {
		doc = parseSource(file)
		l.docs[file] = doc
	}
	// A bare Docker seccomp file is the seccomp section itself.
	if isDockerJSON(doc) {
		if path == "seccomp" {
			return nil, doc
		}
		rest, ok := strings.CutPrefix(path, "seccomp.")
		if !ok {
			return nil, nil
		}
		path = rest
	}
	n = doc
	for _, k := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				key, next = n.Content[i], n.Content[i+1]
				break
			}
		}
		for next != nil && next.Kind == yaml.AliasNode {
			next = next.Alias
		}
		n = next
	}
	if key == nil {
		return nil, nil
	}
	return key, n
}

// locateValue locates value in the list at path, as a profile writes it
// (SYS_ADMIN, cap_sys_admin or CAP_SYS_ADMIN for CAP_SYS_ADMIN), falling
// back to the list itself: a capability granted by ALL has no entry of its
// own.
func (l *locator) locateValue(path, value string) schema.Pos {
	if value != "" && !strings.Contains(path, "[") {
		for i := len(l.sources) - 1; i >= 0; i-- {
			if isBuiltin(l.sources[i]) {
				continue
			}
			_, n := l.nodeAt(l.sources[i], path)
			if n == nil || n.Kind != yaml.SequenceNode {
				continue
			}
			for _, e := range n.Content {
				if e.Kind == yaml.ScalarNode && sameName(e.Value, value) {
					return schema.Pos{File: l.sources[i], Line: e.Line, Col: e.Column}
				}
			}
		}
	}
	return l.locate(path)
}

// sameName compares names the way the loader canonicalises capabilities:
// case aside, with or without the CAP_ prefix.
func sameName(a, b string) bool {
	strip := func(s string) string {
		s = strings.ToUpper(strings.TrimSpace(s))
		return strings.TrimPrefix(s, "CAP_")
	}
	return strip(a) == strip(b)
}

// isDockerJSON reports whether doc is a Docker seccomp profile rather than
// a profilec one: defaultAction at the top, no seccomp section.
func isDockerJSON(doc *yaml.Node) bool {
	if doc == nil || doc.Kind != yaml.MappingNode {
		return false
	}
	var action, seccomp bool
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "defaultAction":
			action = true
		case "seccomp":
			seccomp = true
		}
	}
	return action && !seccomp
}

// parseSource reads a profile file as a YAML node tree, nil when it
// cannot: locations are a courtesy, never a failure.
func parseSource(file string) *yaml.Node {
	data, _ := os.ReadFile(file)
	return parseYAML(data)
}

func parseYAML(data []byte) *yaml.Node {
	if len(data) == 0 || len(data) > 4<<20 {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	n := doc.Content[0]
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// parent drops the last element of a path: a.b[2].c -> a.b[2] -> a.b -> a.
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
