package recorder

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema/systab"
)

// WriteOptions shape the profile written from a recording.
type WriteOptions struct {
	Name        string
	Description string
	// Command is quoted in the header comment.
	Command []string
	// Base, when set, is written as the profile's extends: syscalls the base
	// allowed every time they were made are left to it, and defaultAction
	// and architectures are inherited from it.
	Base string
}

// enosys is the errno the recorder and the profile answer clone3 with.
const enosys = 38

// Profile renders r as a profilec YAML profile. The output depends only on
// r and o: rules are sorted by name, values by number.
func (r *Recording) Profile(o WriteOptions) ([]byte, error) {
	doc := mapping()
	var head []string
	head = append(head, "Recorded by profilec record.")
	if len(o.Command) > 0 {
		head = append(head, "Command: "+strings.Join(o.Command, " "))
	}
	arches := slices.Sorted(maps.Keys(r.Arches))
	for _, a := range arches {
		head = append(head, fmt.Sprintf("%s: %d syscalls seen", a, r.Arches[a]))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Unknown)) {
		head = append(head, fmt.Sprintf("not in the profile (no name for it): %s seen %s", k, times(r.Unknown[k])))
	}
	doc.HeadComment = strings.Join(head, "\n")
	add(doc, "version", scalar("1", "!!int"))
	name := o.Name
	if name == "" {
		name = "recorded"
	}
	add(doc, "name", str(name))
	if o.Description != "" {
		add(doc, "description", str(o.Description))
	}
	if o.Base != "" {
		add(doc, "extends", seq(str(o.Base)))
	}
	sc := mapping()
	if o.Base == "" {
		add(sc, "defaultAction", str("SCMP_ACT_ERRNO"))
		if len(arches) == 0 {
			arches = []string{systab.NativeArch().Name}
		}
		as := seq()
		for _, a := range arches {
			as.Content = append(as.Content, str(a))
		}
		as.Style = yaml.FlowStyle
		add(sc, "architectures", as)
	}
	rules := seq()
	for _, name := range r.names() {
		s := r.Syscalls[name]
		if o.Base != "" && !s.NotInBase {
			continue
		}
		switch {
		case s.Refused:
			rule := ruleNode(name, "SCMP_ACT_ERRNO", s.Count)
			// errnoRet before comment, as Docker writes it.
			rule.Content = slices.Insert(rule.Content, 4, str("errnoRet"), scalar(strconv.Itoa(enosys), "!!int"))
			rule.Content[len(rule.Content)-1].Value += "; refused with ENOSYS so that libc falls back to clone, whose flags the filter can check"
			rules.Content = append(rules.Content, rule)
		case s.Values == nil:
			rules.Content = append(rules.Content, ruleNode(name, "SCMP_ACT_ALLOW", s.Count))
		default:
			for _, v := range slices.Sorted(maps.Keys(s.Values)) {
				rule := ruleNode(name, "SCMP_ACT_ALLOW", s.Values[v])
				arg := mapping()
				add(arg, "index", scalar(strconv.FormatUint(uint64(s.ArgIndex), 10), "!!int"))
				add(arg, "value", scalar(strconv.FormatUint(v, 10), "!!int"))
				add(arg, "op", str("SCMP_CMP_EQ"))
				arg.Style = yaml.FlowStyle
				rule.Content[len(rule.Content)-1].Value += " with 0x" + strconv.FormatUint(v, 16)
				args := seq(arg)
				rule.Content = slices.Insert(rule.Content, 4, str("args"), args)
				rules.Content = append(rules.Content, rule)
			}
		}
	}
	if len(rules.Content) > 0 {
		add(sc, "syscalls", rules)
	} else if o.Base != "" {
		doc.HeadComment += "\nEverything seen is allowed by " + o.Base + "."
	}
	if len(sc.Content) > 0 {
		add(doc, "seccomp", sc)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode profile: %w", err)
	}
	return buf.Bytes(), nil
}

func ruleNode(name, action string, count uint64) *yaml.Node {
	r := mapping()
	names := seq(str(name))
	names.Style = yaml.FlowStyle
	add(r, "names", names)
	add(r, "action", str(action))
	add(r, "comment", str("seen "+times(count)))
	return r
}

func times(n uint64) string {
	if n == 1 {
		return "1 time"
	}
	return strconv.FormatUint(n, 10) + " times"
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func scalar(v, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

func str(v string) *yaml.Node { return scalar(v, "!!str") }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}
