package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/profilec/profilec/convert"
)

// dockerJSON recognises a bare Docker seccomp profile (a JSON object with
// defaultAction or syscalls at the top and no profile version) and wraps it
// into a profile that holds it under seccomp, with Docker's default
// capabilities, so includes.caps resolve as Docker would resolve them for a
// container started with no --cap-add. The JSON stays on its own lines, so
// positions in errors still point into the user's file: that is why this
// does not go through convert.FromDocker, whose profile has no positions.
func dockerJSON(path string) ([]byte, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(trimmed, &top) != nil {
		return nil, false
	}
	_, hasVersion := top["version"]
	_, hasDefault := top["defaultAction"]
	_, hasSyscalls := top["syscalls"]
	if hasVersion || !(hasDefault || hasSyscalls) {
		return nil, false
	}
	caps, err := json.Marshal(convert.DockerDefaultCapabilities())
	if err != nil {
		return nil, false
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version": 1, "name": %q, "noNewPrivileges": false, "capabilities": {"add": %s}, "seccomp": `, name, caps)
	b.Write(data)
	b.WriteString("\n}\n")
	return b.Bytes(), true
}
