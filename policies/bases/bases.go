package bases

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

// FS holds every built-in base as NAME.yaml.
//
//go:embed *.yaml
var FS embed.FS

// Names returns the names of the built-in bases, sorted.
func Names() []string {
	ents, err := fs.ReadDir(FS, ".")
	if err != nil {
		// The embedded tree cannot fail to read; an empty list is the
		// honest answer if it ever did.
		return nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Get returns the YAML of the base called name (without ".yaml").
func Get(name string) ([]byte, bool) {
	// A name is a plain word: no path, so "../x" or "a/b" never reach FS.
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, false
	}
	b, err := FS.ReadFile(name + ".yaml")
	if err != nil {
		return nil, false
	}
	return b, true
}
