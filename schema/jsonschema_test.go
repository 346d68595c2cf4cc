package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(JSONSchema(), &s); err != nil {
		t.Fatalf("JSONSchema is not JSON: %v", err)
	}
	return s
}

func TestJSONSchemaHeader(t *testing.T) {
	s := loadSchema(t)
	if s["$schema"] != "http://json-schema.org/draft-07/schema#" || s["$id"] != SchemaID {
		t.Errorf("$schema %v, $id %v", s["$schema"], s["$id"])
	}
	// Callers get their own copy.
	a := JSONSchema()
	a[0] = 'x'
	if JSONSchema()[0] != '{' {
		t.Error("JSONSchema returns shared bytes")
	}
}

// schemaExtras are fields the language accepts beyond the Go types: Docker's
// old single name, folded into names, and containers/common's errno names,
// folded into the numbers.
var schemaExtras = map[reflect.Type][]string{
	reflect.TypeFor[SyscallRule](): {"name", "errno"},
	reflect.TypeFor[Seccomp]():     {"defaultErrno"},
}

// decoderFields maps each Go type to the decoder's field list, so that Go
// types, decoder and schema are all checked against each other.
var decoderFields = map[reflect.Type][]string{
	reflect.TypeFor[Profile]():         profileFields,
	reflect.TypeFor[Seccomp]():         seccompFields,
	reflect.TypeFor[ArchMapEntry]():    archMapFields,
	reflect.TypeFor[SyscallRule]():     syscallFields,
	reflect.TypeFor[Arg]():             argFields,
	reflect.TypeFor[Filter]():          filterFields,
	reflect.TypeFor[Capabilities]():    capabilitiesFields,
	reflect.TypeFor[Namespaces]():      namespacesFields,
	reflect.TypeFor[NS]():              nsFields,
	reflect.TypeFor[UTSNS]():           utsFields,
	reflect.TypeFor[UserNS]():          userNSFields,
	reflect.TypeFor[IDMap]():           idMapFields,
	reflect.TypeFor[Cgroups]():         cgroupsFields,
	reflect.TypeFor[MemoryLimits]():    memoryFields,
	reflect.TypeFor[CPULimits]():       cpuFields,
	reflect.TypeFor[PidsLimits]():      pidsFields,
	reflect.TypeFor[IOLimits]():        ioFields,
	reflect.TypeFor[IODevice]():        ioDeviceFields,
	reflect.TypeFor[Rlimit]():          rlimitFields,
	reflect.TypeFor[User]():            userFields,
	reflect.TypeFor[PolicyException](): exceptionFields,
}

// TestJSONSchemaMatchesTypes walks the Go types from Profile and the schema
// side by side: every YAML field of a type is a property of the matching
// schema object and the decoder's list, and vice versa.
func TestJSONSchemaMatchesTypes(t *testing.T) {
	s := loadSchema(t)
	defs, _ := s["definitions"].(map[string]any)
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, node any, where string)
	walk = func(typ reflect.Type, node any, where string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if n, ok := resolveRef(node, defs).(map[string]any); ok && n["items"] != nil && typ.Kind() != reflect.Slice {
				node = n["items"]
			}
		}
		if typ.Kind() == reflect.Map {
			// rlimits: every name has the same schema; check one.
			props := schemaProps(t, resolveRef(node, defs), defs, where)
			var names []string
			for k := range props {
				names = append(names, k)
			}
			sort.Strings(names)
			if d := cmp.Diff(sortedStrings(rlimitNames), names); d != "" {
				t.Errorf("%s: rlimit names differ from the schema (-decoder +schema):\n%s", where, d)
			}
			walk(typ.Elem(), props[names[0]], where+"."+names[0])
			return
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[Pos]() {
			return
		}
		seen[typ] = true
		props := schemaProps(t, resolveRef(node, defs), defs, where)
		var goFields []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				t.Errorf("%s.%s has no yaml tag", typ.Name(), f.Name)
				continue
			}
			goFields = append(goFields, name)
			sub, ok := props[name]
			if !ok {
				t.Errorf("%s (%s): Go field %s is not in the schema", where, typ.Name(), name)
				continue
			}
			walk(f.Type, sub, where+"."+name)
		}
		want := append(append([]string(nil), goFields...), schemaExtras[typ]...)
		var got []string
		for k := range props {
			got = append(got, k)
		}
		if d := cmp.Diff(sortedStrings(want), sortedStrings(got)); d != "" {
			t.Errorf("%s (%s): fields differ (-Go +schema):\n%s", where, typ.Name(), d)
		}
		if df, ok := decoderFields[typ]; !ok {
			t.Errorf("%s: no decoder field list registered", typ.Name())
		} else if d := cmp.Diff(sortedStrings(want), sortedStrings(df)); d != "" {
			t.Errorf("%s (%s): fields differ (-Go +decoder):\n%s", where, typ.Name(), d)
		}
	}
	walk(reflect.TypeFor[Profile](), s, "profile")
	for typ := range decoderFields {
		if !seen[typ] {
			t.Errorf("type %s is never reached from Profile", typ.Name())
		}
	}
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func resolveRef(node any, defs map[string]any) any {
	for {
		m, ok := node.(map[string]any)
		if !ok {
			return node
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return node
		}
		node = defs[strings.TrimPrefix(r, "#/definitions/")]
	}
}

// schemaProps finds the object alternative of a schema node (directly, or
// in oneOf or items) and returns its properties.
func schemaProps(t *testing.T, node any, defs map[string]any, where string) map[string]any {
	t.Helper()
	m, _ := resolveRef(node, defs).(map[string]any)
	if p, ok := m["properties"].(map[string]any); ok {
		return p
	}
	if items, ok := m["items"]; ok {
		return schemaProps(t, items, defs, where)
	}
	if alts, ok := m["oneOf"].([]any); ok {
		for _, a := range alts {
			am, _ := resolveRef(a, defs).(map[string]any)
			if _, ok := am["properties"]; ok {
				return am["properties"].(map[string]any)
			}
		}
	}
	t.Fatalf("%s: schema node has no object: %v", where, m)
	return nil
}

// validate checks v against the subset of draft-07 JSONSchema uses. It
// returns one message per violation.
func validate(node any, v any, defs map[string]any, path string) []string {
	s, _ := resolveRef(node, defs).(map[string]any)
	if s == nil {
		return nil
	}
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	if typ, ok := s["type"]; ok && !typeMatches(typ, v) {
		bad("want type %v, got %T", typ, v)
		return errs
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		bad("want %v, got %v", c, v)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || x == v
		}
		if !found {
			bad("%v is not one of the %d allowed values", v, len(e))
		}
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := v.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
	}
	if n, ok := toFloat(v); ok {
		if min, ok := s["minimum"].(float64); ok && n < min {
			bad("%v < minimum %v", n, min)
		}
		if max, ok := s["maximum"].(float64); ok && n > max {
			bad("%v > maximum %v", n, max)
		}
		if min, ok := s["exclusiveMinimum"].(float64); ok && n <= min {
			bad("%v <= exclusiveMinimum %v", n, min)
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		matched := false
		for _, a := range alts {
			matched = matched || len(validate(a, v, defs, path)) == 0
		}
		if !matched {
			bad("%v matches none of the anyOf alternatives", v)
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		matched := 0
		for _, a := range alts {
			if len(validate(a, v, defs, path)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			bad("matches %d of the oneOf alternatives, want exactly 1", matched)
		}
	}
	if not, ok := s["not"]; ok && len(validate(not, v, defs, path)) == 0 {
		bad("matches a forbidden schema")
	}
	if m, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := m[r.(string)]; !ok {
				bad("missing required %s", r)
			}
		}
		patterns, _ := s["patternProperties"].(map[string]any)
		for k, x := range m {
			matched := false
			if sub, ok := props[k]; ok {
				matched = true
				errs = append(errs, validate(sub, x, defs, path+"."+k)...)
			}
			for p, sub := range patterns {
				if regexp.MustCompile(p).MatchString(k) {
					matched = true
					errs = append(errs, validate(sub, x, defs, path+"."+k)...)
				}
			}
			if !matched && s["additionalProperties"] == false {
				bad("property %s is not allowed", k)
			}
		}
	}
	if min, ok := s["minItems"].(float64); ok {
		if l, ok := v.([]any); ok && float64(len(l)) < min {
			bad("%d items, want at least %v", len(l), min)
		}
	}
	if l, ok := v.([]any); ok && s["items"] != nil {
		for i, x := range l {
			errs = append(errs, validate(s["items"], x, defs, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

func asSlice(v any) []any {
	l, _ := v.([]any)
	return l
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func typeMatches(typ any, v any) bool {
	if l, ok := typ.([]any); ok {
		for _, x := range l {
			if typeMatches(x, v) {
				return true
			}
		}
		return false
	}
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "integer":
		f, ok := toFloat(v)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := toFloat(v)
		return ok
	}
	return false
}

// yamlValue decodes a YAML document into plain JSON-like values.
func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJSONSchemaValidatesProfiles checks the schema accepts every valid
// profile in testdata and the built-in bases, and rejects broken ones.
func TestJSONSchemaValidatesProfiles(t *testing.T) {
	s := loadSchema(t)
	defs, _ := s["definitions"].(map[string]any)
	files, _ := filepath.Glob("../testdata/profiles/*.yaml")
	bases, _ := filepath.Glob("../policies/bases/*.yaml")
	checked := 0
	for _, f := range append(files, bases...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBytes(f, data, Options{}); err != nil {
			continue // the broken examples are checked below
		}
		if errs := validate(s, yamlValue(t, data), defs, filepath.Base(f)); len(errs) > 0 {
			t.Errorf("%s is valid but the schema rejects it:\n%s", f, strings.Join(errs, "\n"))
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("validated only %d profiles", checked)
	}
	for _, doc := range []string{
		"version: 1\nseccomp: {defaultAction: Errno, defaultErrnoRet: eperm, flags: [Spec-Allow], architectures: [X86_64]}\n",
		"version: 1\nrlimits: {RLIMIT_NOFILE: 1, Core: 0}\ncapabilities: {add: [cap_Chown, all]}\n",
		"version: 1\nseccomp: {defaultAction: allow, architectures: [x86_64], archMap: []}\n",
		"version: 1\nseccomp: {defaultAction: allow, architectures: [], archMap: [{architecture: x86_64}]}\n",
	} {
		if errs := validate(s, yamlValue(t, []byte(doc)), defs, "doc"); len(errs) > 0 {
			t.Errorf("schema rejects %q: %v", doc, errs)
		}
		if _, err := LoadBytes("doc.yaml", []byte(doc), Options{}); err != nil {
			t.Errorf("loader rejects %q: %v", doc, err)
		}
	}
	for _, doc := range []string{
		"name: no-version\n",
		"version: 1\nseccomp: {defaultAction: allow, syscals: []}\n",
		"version: 1\nseccomp: {defaultAction: allow, architectures: [x86_64], archMap: [{architecture: x86_64}]}\n",
		"version: 1\nseccomp: {syscalls: [{names: [read], name: write, action: allow}]}\n",
		"version: 1\ncapabilities: {add: [CAP_NOPE]}\n",
		"version: 1\nseccomp: {syscalls: [{names: [opne], action: allow}]}\n",
		"version: 1\ncgroups: {memory: {max: 1Q}}\n",
		"version: 1\nnamespaces: {pid: {enabled: true, hostname: x}}\n",
		"version: 2\n",
		"version: 1\nseccomp: {defaultAction: alow}\n",
		"version: 1\nseccomp: {defaultAction: scmp_cmp_eq}\n",
		"version: 1\nrlimits: {NOFILES: 1}\n",
		"version: 1\nseccomp: {defaultAction: errno, defaultErrnoRet: EPRM}\n",
		"version: 1\nseccomp: {defaultAction: allow, architectures: [x86_65]}\n",
		"version: 1\ncapabilities: {ambient: [ALL]}\n",
	} {
		if len(validate(s, yamlValue(t, []byte(doc)), defs, "doc")) == 0 {
			t.Errorf("schema accepts %q", doc)
		}
		if _, err := LoadBytes("doc.yaml", []byte(doc), Options{}); err == nil {
			t.Errorf("loader accepts %q", doc)
		}
	}
}

// TestJSONSchemaGolden pins the schema's structure, so a change to the
// language shows up in review as a diff. Enums generated from systab's
// tables are elided, so a new syscall in x/sys does not touch this file.
func TestJSONSchemaGolden(t *testing.T) {
	s := loadSchema(t)
	var elide func(v any)
	elide = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if e, ok := x["enum"].([]any); ok && len(e) > 40 {
				x["enum"] = []any{"(generated from schema/systab)"}
			}
			if p, ok := x["pattern"].(string); ok && len(p) > 400 {
				x["pattern"] = "(generated from schema/systab)"
			}
			for _, c := range x {
				elide(c)
			}
		case []any:
			for _, c := range x {
				elide(c)
			}
		}
	}
	elide(s)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "profile.schema.golden.json"), append(b, '\n'))
}
