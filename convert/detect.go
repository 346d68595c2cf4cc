package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind is an input format Detect recognises.
type Kind int

// The kinds of input convert reads. A bare OCI linux.seccomp object is a
// Docker profile without conditions, so it is KindDocker.
const (
	KindUnknown Kind = iota
	KindProfile      // a profilec YAML (or JSON) profile
	KindDocker       // Docker / containers/common seccomp JSON, or OCI linux.seccomp
	KindOCI          // an OCI runtime-spec config.json
	KindSPO          // security-profiles-operator SeccompProfile documents
)

var kindNames = map[Kind]string{
	KindUnknown: "unknown",
	KindProfile: "profilec",
	KindDocker:  "docker",
	KindOCI:     "oci",
	KindSPO:     "spo",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// spoGroup is the API group of security-profiles-operator objects.
const spoGroup = "security-profiles-operator.x-k8s.io"

// maxInput bounds what convert reads: the largest real profiles (Docker's
// default) are tens of kilobytes, and a bound keeps a hostile file from
// becoming a memory problem before any check runs.
const maxInput = 8 << 20

// Detect says what data is. It looks only at the top-level keys, so it is
// cheap and never fails on a profile's own mistakes: those are for the
// reader of that kind to report.
func Detect(data []byte) (Kind, error) {
	if len(data) > maxInput {
		return KindUnknown, fmt.Errorf("detect input: %d bytes is more than the %d a profile may have", len(data), maxInput)
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return KindUnknown, errors.New("detect input: the input is empty")
	}
	var top map[string]json.RawMessage
	jsonErr := errors.New("not JSON")
	if trimmed[0] == '{' {
		jsonErr = json.Unmarshal(trimmed, &top)
	}
	if jsonErr == nil {
		if k := kindOfKeys(func(key string) bool { _, ok := top[key]; return ok }, func(key string) string {
			var s string
			_ = json.Unmarshal(top[key], &s)
			return s
		}); k != KindUnknown {
			return k, nil
		}
		// A Kubernetes List (kubectl get -o json) is read below, as YAML.
	}
	// Not JSON: YAML, which also covers JSON-like flow mappings such as
	// {version: 1}.
	dec := yaml.NewDecoder(bytes.NewReader(trimmed))
	kind := KindUnknown
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if trimmed[0] == '{' {
				return KindUnknown, fmt.Errorf("detect input: not valid JSON: %w", jsonErr)
			}
			return KindUnknown, fmt.Errorf("detect input: not valid YAML: %w", err)
		}
		m := topMapping(&doc)
		if m == nil {
			continue
		}
		for _, obj := range listItems(m) {
			has := func(key string) bool { return mappingValue(obj, key) != nil }
			str := func(key string) string {
				if v := mappingValue(obj, key); v != nil && v.Kind == yaml.ScalarNode {
					return v.Value
				}
				return ""
			}
			k := kindOfKeys(has, str)
			if k == KindUnknown {
				continue
			}
			if kind != KindUnknown && kind != k {
				return KindUnknown, fmt.Errorf("detect input: document %d is a %s input but an earlier one is %s; convert reads one kind at a time", i+1, k, kind)
			}
			kind = k
		}
	}
	if kind == KindUnknown {
		return KindUnknown, errors.New("detect input: neither a profilec profile (version), a SeccompProfile (apiVersion " + spoGroup + "/...), a Docker seccomp profile nor an OCI config")
	}
	return kind, nil
}

// kindOfKeys classifies one top-level object by its keys.
func kindOfKeys(has func(string) bool, str func(string) string) Kind {
	if has("apiVersion") || has("kind") {
		if strings.HasPrefix(str("apiVersion"), spoGroup+"/") && str("kind") == "SeccompProfile" {
			return KindSPO
		}
		return KindUnknown
	}
	if has("ociVersion") || (has("linux") && !has("version")) || (has("process") && !has("version")) {
		return KindOCI
	}
	if has("version") {
		return KindProfile
	}
	if has("defaultAction") || has("syscalls") || has("archMap") || has("architectures") {
		return KindDocker
	}
	return KindUnknown
}

func topMapping(doc *yaml.Node) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// listItems returns the objects of a Kubernetes List (kubectl get -o yaml
// writes one, kind List or SeccompProfileList, holding items), or the
// mapping itself when it is not one.
func listItems(m *yaml.Node) []*yaml.Node {
	kind := mappingValue(m, "kind")
	items := mappingValue(m, "items")
	if kind == nil || !strings.HasSuffix(kind.Value, "List") || items == nil || items.Kind != yaml.SequenceNode {
		return []*yaml.Node{m}
	}
	var out []*yaml.Node
	for _, it := range items.Content {
		if it.Kind == yaml.MappingNode {
			out = append(out, it)
		}
	}
	return out
}
