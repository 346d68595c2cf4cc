package convert

import (
	"bytes"
	"fmt"

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
