package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// spoDoc is one SeccompProfile object, v1 or v1beta1. errnoRet is a node
// because v1beta1 wrote it as a string for a while and as a number since.
type spoDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		BaseProfileName  string       `yaml:"baseProfileName"`
		Disabled         bool         `yaml:"disabled"`
		DefaultAction    string       `yaml:"defaultAction"`
		Architectures    []string     `yaml:"architectures"`
		ListenerPath     string       `yaml:"listenerPath"`
		ListenerMetadata string       `yaml:"listenerMetadata"`
		Syscalls         []spoSyscall `yaml:"syscalls"`
		Flags            []string     `yaml:"flags"`
	} `yaml:"spec"`

	line int
	seq  int // document number, 1-based
}

type spoSyscall struct {
	Names    []string  `yaml:"names"`
	Action   string    `yaml:"action"`
	ErrnoRet yaml.Node `yaml:"errnoRet"`
	Args     []struct {
		Index    *uint  `yaml:"index"`
		Value    uint64 `yaml:"value"`
		ValueTwo uint64 `yaml:"valueTwo"`
		Op       string `yaml:"op"`
	} `yaml:"args"`
}

// maxBaseDepth bounds baseProfileName chains; real ones are one deep.
const maxBaseDepth = 16

// SPONames lists the SeccompProfile objects in data, in document order.
func SPONames(data []byte) ([]string, error) {
	docs, err := readSPO(data)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.Metadata.Name
	}
	return names, nil
}

// FromSPO reads security-profiles-operator SeccompProfile objects (v1 or
// v1beta1, one or many YAML documents) and returns the one called name as a
// profilec profile, with baseProfileName resolved against the other
// documents: the base's rules come first, then the profile's own, as the
// operator unions them. With name "" the input must hold exactly one
// profile that no other one uses as its base.
func FromSPO(data []byte, name string) (*schema.Profile, []Note, error) {
	docs, err := readSPO(data)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]*spoDoc{}
	for _, d := range docs {
		if d.Metadata.Name == "" {
			return nil, nil, fmt.Errorf("read seccompprofile: document %d (line %d): metadata.name is required", d.seq, d.line)
		}
		if _, dup := byName[d.Metadata.Name]; dup {
			return nil, nil, fmt.Errorf("read seccompprofile: document %d (line %d): a second SeccompProfile called %q", d.seq, d.line, d.Metadata.Name)
		}
		byName[d.Metadata.Name] = d
	}
	var pick *spoDoc
	if name != "" {
		pick = byName[name]
		if pick == nil {
			return nil, nil, fmt.Errorf("read seccompprofile: no SeccompProfile called %q (the input has %s)", name, strings.Join(docNames(docs), ", "))
		}
	} else {
		isBase := map[string]bool{}
		for _, d := range docs {
			isBase[d.Spec.BaseProfileName] = true
		}
		var leaves []*spoDoc
		for _, d := range docs {
			if !isBase[d.Metadata.Name] {
				leaves = append(leaves, d)
			}
		}
		if len(leaves) != 1 {
			return nil, nil, fmt.Errorf("read seccompprofile: the input holds %d profiles (%s); say which one to convert", len(docs), strings.Join(docNames(docs), ", "))
		}
		pick = leaves[0]
	}
	var ns notes
	in, err := flattenSPO(pick, byName, &ns)
	if err != nil {
		return nil, nil, err
	}
	s, err := seccompFromDocker(in, "seccompprofile "+pick.Metadata.Name, "spec")
	if err != nil {
		return nil, nil, err
	}
	if pick.Spec.Disabled {
		ns.add("spec.disabled", "the SeccompProfile is disabled (the operator does not install it); converted anyway")
	}
	ns.add("capabilities", "a SeccompProfile grants no capabilities; wrote the 14 a container gets by default from Docker and containerd")
	nnp := false
	return &schema.Profile{
		Version:         1,
		Name:            pick.Metadata.Name,
		Description:     fmt.Sprintf("Converted from the SeccompProfile %s.", pick.Metadata.Name),
		Seccomp:         s,
		Capabilities:    &schema.Capabilities{Add: DockerDefaultCapabilities()},
		NoNewPrivileges: &nnp,
	}, ns, nil
}

func docNames(docs []*spoDoc) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Metadata.Name)
	}
	return out
}

// flattenSPO unions a profile with its bases into one Docker-shaped
// profile; errno names and numbers are both accepted.
func flattenSPO(d *spoDoc, byName map[string]*spoDoc, ns *notes) (*dockerIn, error) {
	chain := []*spoDoc{d}
	seen := map[string]bool{d.Metadata.Name: true}
	for cur := d; cur.Spec.BaseProfileName != ""; {
		base := cur.Spec.BaseProfileName
		if strings.HasPrefix(base, "oci://") {
			return nil, fmt.Errorf("read seccompprofile %s: baseProfileName %s: pulling base profiles from a registry is not supported; put the base in the same file", cur.Metadata.Name, base)
		}
		next := byName[base]
		if next == nil {
			return nil, fmt.Errorf("read seccompprofile %s: baseProfileName %q: no SeccompProfile of that name in the input (the operator looks it up in the cluster; add it to the file)", cur.Metadata.Name, base)
		}
		if seen[base] {
			return nil, fmt.Errorf("read seccompprofile %s: baseProfileName %q leads back to itself", cur.Metadata.Name, base)
		}
		if len(chain) >= maxBaseDepth {
			return nil, fmt.Errorf("read seccompprofile %s: more than %d base profiles deep", d.Metadata.Name, maxBaseDepth)
		}
		seen[base] = true
		chain = append(chain, next)
		cur = next
	}
	out := &dockerIn{
		DefaultAction:    d.Spec.DefaultAction,
		ListenerPath:     d.Spec.ListenerPath,
		ListenerMetadata: d.Spec.ListenerMetadata,
	}
	addUnique := func(list []string, items ...string) []string {
		for _, it := range items {
			dup := false
			for _, x := range list {
				if strings.EqualFold(x, it) {
					dup = true
					break
				}
			}
			if !dup {
				list = append(list, it)
			}
		}
		return list
	}
	// Bases first: their rules come before the profile's own.
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		var archs []string
		for _, a := range c.Spec.Architectures {
			if strings.EqualFold(a, "SCMP_ARCH_NATIVE") {
				a = nativeArchName()
			}
			archs = append(archs, a)
		}
		out.Architectures = addUnique(out.Architectures, archs...)
		out.Flags = addUnique(out.Flags, c.Spec.Flags...)
		for j, sc := range c.Spec.Syscalls {
			r := &dockerRule{Names: sc.Names, Action: sc.Action}
			if n := &sc.ErrnoRet; n.Kind != 0 && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
				v, name, err := spoErrno(n)
				if err != nil {
					return nil, fmt.Errorf("read seccompprofile %s: spec.syscalls[%d].errnoRet: %w", c.Metadata.Name, j, err)
				}
				r.ErrnoRet, r.Errno = v, name
			}
			for _, a := range sc.Args {
				r.Args = append(r.Args, &dockerArg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: a.Op})
			}
			if c != d {
				r.Comment = "from base profile " + c.Metadata.Name
			}
			out.Syscalls = append(out.Syscalls, r)
		}
		if c != d {
			ns.add("spec.baseProfileName", "the rules of %s come first, then those of %s", c.Metadata.Name, d.Metadata.Name)
		}
	}
	return out, nil
}

func nativeArchName() string {
	if a := systab.NativeArch(); a.Name != "" {
		return a.Name
	}
	return "SCMP_ARCH_NATIVE"
}

// spoErrno reads errnoRet written as a number, a numeric string, or an
// errno name.
func spoErrno(n *yaml.Node) (*uint, string, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, "", fmt.Errorf("must be a number or an errno name")
	}
	s := strings.TrimSpace(n.Value)
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		u := uint(v)
		return &u, "", nil
	}
	if _, ok := systab.Errno(s); ok {
		return nil, s, nil
	}
	return nil, "", fmt.Errorf("%q is neither a number nor an errno name", n.Value)
}

func readSPO(data []byte) ([]*spoDoc, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("read seccompprofile: %d bytes is more than the %d a profile may have", len(data), maxInput)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*spoDoc
	for seq := 1; ; seq++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read seccompprofile: %w", err)
		}
		top := topMapping(&node)
		if top == nil {
			continue
		}
		for _, m := range listItems(top) {
			api, kind := "", ""
			if v := mappingValue(m, "apiVersion"); v != nil {
				api = v.Value
			}
			if v := mappingValue(m, "kind"); v != nil {
				kind = v.Value
			}
			if kind != "SeccompProfile" || !strings.HasPrefix(api, spoGroup+"/") {
				// Other objects (a Namespace, a Pod) often share the file.
				continue
			}
			switch strings.TrimPrefix(api, spoGroup+"/") {
			case "v1", "v1beta1", "v1alpha1":
			default:
				return nil, fmt.Errorf("read seccompprofile: document %d (line %d): apiVersion %s is not one this reader knows (v1, v1beta1)", seq, m.Line, api)
			}
			d := &spoDoc{line: m.Line, seq: seq}
			if err := strictNode(m, d); err != nil {
				return nil, fmt.Errorf("read seccompprofile: document %d: %w", seq, err)
			}
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("read seccompprofile: the input holds no SeccompProfile (apiVersion %s/v1beta1, kind SeccompProfile)", spoGroup)
	}
	return docs, nil
}

// strictNode decodes a SeccompProfile object, refusing unknown fields in
// spec (the operator's CRD prunes them, so a typo there never took effect
// and should not vanish silently here either). metadata and status are
// Kubernetes' and may hold anything.
func strictNode(m *yaml.Node, d *spoDoc) error {
	if spec := mappingValue(m, "spec"); spec != nil {
		if err := knownFields(spec, "spec", spoFields); err != nil {
			return err
		}
	}
	return m.Decode(d)
}

// spoField lists the fields of one level of a SeccompProfile spec, and the
// levels below the fields that have them.
type spoField struct {
	names []string
	below map[string]*spoField
}

var spoFields = &spoField{
	names: []string{"baseProfileName", "disabled", "defaultAction", "architectures", "listenerPath", "listenerMetadata", "syscalls", "flags"},
	below: map[string]*spoField{
		"syscalls": {
			names: []string{"names", "action", "errnoRet", "args"},
			below: map[string]*spoField{"args": {names: []string{"index", "value", "valueTwo", "op"}}},
		},
	},
}

// knownFields walks a spec node and names, with its line, the first field
// the CRD does not have.
func knownFields(n *yaml.Node, path string, f *spoField) error {
	if n.Kind != yaml.MappingNode {
		return nil // yaml's decoder reports wrong kinds
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(f.names, k.Value) {
			return fmt.Errorf("line %d: unknown field %q in %s", k.Line, k.Value, path)
		}
		sub := f.below[k.Value]
		if sub == nil || v.Kind != yaml.SequenceNode {
			continue
		}
		for j, it := range v.Content {
			if err := knownFields(it, fmt.Sprintf("%s.%s[%d]", path, k.Value, j), sub); err != nil {
				return err
			}
		}
	}
	return nil
}
