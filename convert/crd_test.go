package convert

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

// oaSchema is the subset of OpenAPI v3 a CRD's structural schema uses.
type oaSchema struct {
	Type       string               `yaml:"type"`
	Required   []string             `yaml:"required"`
	Properties map[string]*oaSchema `yaml:"properties"`
	Items      *oaSchema            `yaml:"items"`
	Enum       []string             `yaml:"enum"`
	Pattern    string               `yaml:"pattern"`
	MaxLength  *int                 `yaml:"maxLength"`
	Minimum    *float64             `yaml:"minimum"`
	Maximum    *float64             `yaml:"maximum"`
	MinItems   *int                 `yaml:"minItems"`
	MaxItems   *int                 `yaml:"maxItems"`
	Format     string               `yaml:"format"`
}

func loadCRDSchema(t testing.TB) *oaSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "convert", "seccompprofile-crd-v1beta1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var s oaSchema
	if err := yaml.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// validate checks a YAML node against s as the API server would, and
// also refuses fields the schema does not know: the server would prune
// them, so a field written there would be lost without a word.
func validate(s *oaSchema, n *yaml.Node, path string) []string {
	if n.Kind == yaml.DocumentNode {
		return validate(s, n.Content[0], path)
	}
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	switch s.Type {
	case "object":
		if n.Kind != yaml.MappingNode {
			bad("want an object")
			return errs
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			seen[k] = true
			if s.Properties == nil {
				continue
			}
			sub, ok := s.Properties[k]
			if !ok {
				bad("unknown field %q (the API server prunes it)", k)
				continue
			}
			errs = append(errs, validate(sub, v, path+"."+k)...)
		}
		for _, r := range s.Required {
			if !seen[r] {
				bad("required field %q is missing", r)
			}
		}
	case "array":
		if n.Kind != yaml.SequenceNode {
			bad("want an array")
			return errs
		}
		if s.MinItems != nil && len(n.Content) < *s.MinItems {
			bad("%d items, at least %d", len(n.Content), *s.MinItems)
		}
		if s.MaxItems != nil && len(n.Content) > *s.MaxItems {
			bad("%d items, at most %d", len(n.Content), *s.MaxItems)
		}
		for i, it := range n.Content {
			errs = append(errs, validate(s.Items, it, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			bad("want a string, have %s %q", n.Tag, n.Value)
			return errs
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, n.Value) {
			bad("%q is not one of %v", n.Value, s.Enum)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(n.Value) {
			bad("%q does not match %s", n.Value, s.Pattern)
		}
		if s.MaxLength != nil && len(n.Value) > *s.MaxLength {
			bad("longer than %d", *s.MaxLength)
		}
	case "integer":
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			bad("want an integer, have %s %q", n.Tag, n.Value)
			return errs
		}
		v, ok := new(big.Int).SetString(n.Value, 0)
		if !ok {
			bad("%q is not an integer", n.Value)
			return errs
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		if s.Minimum != nil && f < *s.Minimum {
			bad("%s is below %v", n.Value, *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			bad("%s is above %v", n.Value, *s.Maximum)
		}
		if s.Format == "int64" && !v.IsInt64() {
			bad("%s does not fit int64", n.Value)
		}
	case "boolean":
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			bad("want a boolean, have %s %q", n.Tag, n.Value)
		}
	default:
		bad("schema type %q unknown to the test", s.Type)
	}
	return errs
}

func validateSeccompProfile(t testing.TB, data []byte) []string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	return validate(loadCRDSchema(t), &n, "")
}

// TestCRDValidatorCatches keeps the validator honest: objects the CRD
// refuses must be refused here too.
func TestCRDValidatorCatches(t *testing.T) {
	for _, c := range []struct{ what, doc string }{
		{"no defaultAction", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false}\n"},
		{"action not in enum", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_NOTIFY}\n"},
		{"errno as string", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO, syscalls: [{names: [x], action: SCMP_ACT_ERRNO, errnoRet: \"1\"}]}\n"},
		{"value beyond int64", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO, syscalls: [{names: [x], action: SCMP_ACT_ALLOW, args: [{index: 0, value: " + strconv.FormatUint(math.MaxUint64, 10) + ", op: SCMP_CMP_EQ}]}]}\n"},
		{"arch not in enum", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO, architectures: [SCMP_ARCH_LOONGARCH64]}\n"},
		{"unknown field", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO, defaultErrnoRet: 38}\n"},
		{"bad name", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: My_Profile}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO}\n"},
	} {
		if errs := validateSeccompProfile(t, []byte(c.doc)); len(errs) == 0 {
			t.Errorf("%s: accepted", c.what)
		}
	}
	ok := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {disabled: false, defaultAction: SCMP_ACT_ERRNO}\n"
	if errs := validateSeccompProfile(t, []byte(ok)); len(errs) > 0 {
		t.Errorf("a minimal valid object is refused: %v", errs)
	}
}
