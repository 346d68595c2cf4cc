package convert

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
)

// ToYAML writes p as a profilec profile. The output is deterministic (the
// same profile gives the same bytes) and loads back with schema.LoadBytes to
// an equal profile; header, when not empty, becomes a leading comment.
func ToYAML(p *schema.Profile, header string) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("write yaml: no profile")
	}
	var doc yaml.Node
	if err := doc.Encode(p); err != nil {
		return nil, fmt.Errorf("write yaml: %w", err)
	}
	doc.HeadComment = header
	if doc.Kind == yaml.MappingNode {
		seccompLast(&doc)
	}
	styleNode(&doc, "")
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write yaml: %w", err)
	}
	return b.Bytes(), nil
}

// flowLists are the lists of words written inline ([read, write]): Docker's
// default profile has a rule of 360 names, which one per line would bury.
var flowLists = map[string]bool{
	"names": true, "caps": true, "arches": true, "architectures": true,
	"subArchitectures": true, "flags": true, "add": true, "drop": true,
	"ambient": true, "extends": true, "groups": true,
}

// styleNode makes the output read like a hand-written profile: word lists
// inline, and argument values that are bit masks or flag sets in hex.
func styleNode(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if c.Kind == yaml.MappingNode {
				seccompLast(c)
			}
			styleNode(c, "")
		}
	case yaml.SequenceNode:
		if flowLists[key] {
			n.Style = yaml.FlowStyle
		}
		for _, c := range n.Content {
			styleNode(c, "")
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
				styleNumber(key, k.Value, v)
			}
			// A namespace that is only switched on or off reads best as
			// `pid: true`, as profiles are written by hand.
			if key == "namespaces" && v.Kind == yaml.MappingNode && len(v.Content) == 2 && v.Content[0].Value == "enabled" {
				*v = *v.Content[1]
			}
			styleNode(v, k.Value)
		}
	}
}

// seccompLast moves the seccomp section, usually by far the longest, after
// the short ones, so capabilities and limits are seen at a glance.
func seccompLast(m *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "seccomp" {
			pair := []*yaml.Node{m.Content[i], m.Content[i+1]}
			m.Content = append(append(m.Content[:i:i], m.Content[i+2:]...), pair...)
			return
		}
	}
}

// styleNumber writes a number as a person would: argument masks in hex,
// RLIM_INFINITY as unlimited, memory sizes in Ki/Mi/Gi when they are whole.
// The loader reads all three spellings back to the same value.
func styleNumber(parent, key string, v *yaml.Node) {
	x, err := strconv.ParseUint(v.Value, 10, 64)
	if err != nil {
		return
	}
	switch {
	case key == "value" || key == "valueTwo":
		if x > 0xffff {
			v.Value = "0x" + strconv.FormatUint(x, 16)
		}
	case (key == "soft" || key == "hard") && x == math.MaxUint64:
		v.Value, v.Tag = "unlimited", "!!str"
	case parent == "memory" && (key == "max" || key == "high" || key == "swapMax") && x > 0:
		for _, u := range []struct {
			suffix string
			size   uint64
		}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
			if x%u.size == 0 {
				v.Value, v.Tag = strconv.FormatUint(x/u.size, 10)+u.suffix, "!!str"
				break
			}
		}
	}
}
