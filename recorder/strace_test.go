package recorder_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
)

// straceLine matches one syscall in strace -f output: an optional pid,
// then the name. Continuations ("<... read resumed>") and signal or exit
// lines do not match.
var straceLine = regexp.MustCompile(`^(?:\d+\s+)?([a-z_0-9]+)\(`)

// The recorder, through either tracer, counts exactly what strace, a tracer
// written independently on ptrace, sees: each syscall of single-process commands once, and none
// of the recorder's own.
func TestAgreesWithStrace(t *testing.T) {
	needBusybox(t)
	testenv.RequireCommand(t, "strace")
	for _, argv := range [][]string{
		{busybox, "true"},
		{busybox, "ls", "-l", "/usr/include"},
		{busybox, "cat", "/etc/hostname", "/proc/self/status"},
	} {
		t.Run(filepath.Base(argv[1]), func(t *testing.T) {
			counts := map[recorder.Tracer]map[string]uint64{}
			for _, tr := range []recorder.Tracer{recorder.TracerNotify, recorder.TracerPtrace} {
				rec, _ := record(t, argv, recorder.Options{Tracer: tr})
				counts[tr] = map[string]uint64{}
				for name, s := range rec.Syscalls {
					counts[tr][name] = s.Count
				}
			}
			log := filepath.Join(t.TempDir(), "strace.log")
			cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", log, "--"}, argv...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("strace: %v\n%s", err, out)
			}
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]uint64{}
			for _, line := range strings.Split(string(data), "\n") {
				if m := straceLine.FindStringSubmatch(line); m != nil {
					want[m[1]]++
				}
			}
			if len(want) == 0 {
				t.Fatalf("no syscalls in strace's log:\n%s", data)
			}
			for tr, got := range counts {
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("recorder (%s) vs strace (-strace +recorder):\n%s", tr, d)
				}
			}
		})
	}
}
