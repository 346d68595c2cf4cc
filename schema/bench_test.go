package schema

import (
	"os"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

// BenchmarkLoadResolveDockerDefault measures the largest real profile:
// decode, then resolve for x86_64.
func BenchmarkLoadResolveDockerDefault(b *testing.B) {
	const file = "../policies/bases/docker-default.yaml"
	testenv.RequireFile(b, file)
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := LoadBytes("docker-default.yaml", data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Resolve([]*Profile{p}, x86); err != nil {
			b.Fatal(err)
		}
	}
}
