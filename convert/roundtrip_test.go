package convert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	mseccomp "github.com/moby/profiles/seccomp"

	"github.com/profilec/profilec/schema"
)

// dockerInputs are the Docker profiles every round trip runs on: moby's
// default (as the module in go.mod marshals it) and the variants in
// testdata/convert.
func dockerInputs(t *testing.T) map[string][]byte {
	t.Helper()
	moby, err := json.Marshal(mseccomp.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	in := map[string][]byte{"moby-default": moby}
	for _, f := range []string{"old-name.json", "archmap.json", "containers-common.json"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "convert", f))
		if err != nil {
			t.Fatal(err)
		}
		in[f] = data
	}
	return in
}

// TestDockerYAMLDockerVerdicts converts Docker -> YAML -> Docker and checks
// that the filter profilec compiles from the result answers every input as
// the one from the original does, on every target.
func TestDockerYAMLDockerVerdicts(t *testing.T) {
	for name, data := range dockerInputs(t) {
		t.Run(name, func(t *testing.T) {
			orig, err := FromDocker(data)
			if err != nil {
				t.Fatal(err)
			}
			viaYAML := reload(t, orig)
			out, _, err := ToDocker(viaYAML)
			if err != nil {
				t.Fatal(err)
			}
			back, err := FromDocker(out)
			if err != nil {
				t.Fatalf("read back the exported profile: %v\n%s", err, out)
			}
			for _, tg := range targets {
				r1 := resolve(t, orig, tg.Arch, tg.Kernel)
				r2 := resolve(t, back, tg.Arch, tg.Kernel)
				if len(r1.Seccomp.Syscalls) == 0 {
					t.Fatalf("%v: no rules survived resolution; the comparison would be vacuous", targetName(tg))
				}
				n := sameVerdicts(t, name+" "+targetName(tg).String(), r1.Seccomp.Architectures,
					[][]schema.SyscallRule{r1.Seccomp.Syscalls, r2.Seccomp.Syscalls},
					progRunner(compileFor(t, r1)), progRunner(compileFor(t, r2)))
				if n < 300 {
					t.Errorf("%v: only %d inputs compared", targetName(tg), n)
				}
			}
		})
	}
}

func loadDocker(t testing.TB, file string) *schema.Profile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "convert", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := FromDocker(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return p
}
