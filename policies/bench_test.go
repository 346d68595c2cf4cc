package policies

import (
	"context"
	"testing"
)

// The costs of one validation of Docker's default profile, for
// docs/benchmarks.md: go test ./policies -run '^$' -bench .

func BenchmarkPrepareBuiltin(b *testing.B) {
	data, err := builtinData()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := prepareEmbedded("builtin.rego", builtinRego, "data.profilec.builtin.findings", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInputDockerDefault(b *testing.B) {
	r := loadBytes(b, "version: 1\nextends: docker-default\n")
	for b.Loop() {
		if _, err := inputValue(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateDockerDefault(b *testing.B) {
	r := loadBytes(b, "version: 1\nextends: docker-default\n")
	for b.Loop() {
		if _, err := Validate(context.Background(), r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
