package recorder_test

import (
	"bytes"
	"context"
	"flag"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/recorder"
)

var overheadRuns = flag.Int("overhead-runs", 1, "runs of each side in TestRecordOverhead; docs/benchmarks.md uses 21")

// overheadWorkload is syscall-heavy: a newfstatat and getdents64 stream
// over a few thousand files, through a pipe.
var overheadWorkload = []string{busybox, "sh", "-c", "/bin/busybox find /usr/include -type f | /bin/busybox wc -l"}

// TestRecordOverhead times the workload run plainly and recorded each way
// (ptrace with its seccomp filter, as auto records here; seccomp user
// notification; ptrace syscall stops), alternating, and logs the medians
// side by side (go test -v). It checks that recording changes nothing the
// workload prints; it asserts no timing.
func TestRecordOverhead(t *testing.T) {
	needBusybox(t)
	testenv.RequireFile(t, "/usr/include")
	ways := []struct {
		name  string
		tr    recorder.Tracer
		stops bool
		times []time.Duration
	}{
		{name: "profilec record (auto: ptrace, seccomp stops)", tr: recorder.TracerAuto},
		{name: "profilec record --tracer notify", tr: recorder.TracerNotify},
		{name: "profilec record, ptrace syscall stops", tr: recorder.TracerPtrace, stops: true},
	}
	var plain, straced []time.Duration
	// strace -f, when installed, is the ptrace-based yardstick: an extra
	// column, not a requirement.
	strace, _ := exec.LookPath("strace")
	var calls uint64
	var want string
	for i := 0; i < max(*overheadRuns, 1); i++ {
		var out bytes.Buffer
		cmd := exec.Command(overheadWorkload[0], overheadWorkload[1:]...)
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("plain run: %v", err)
		}
		plain = append(plain, time.Since(start))
		if want == "" {
			want = out.String()
		} else if out.String() != want {
			t.Fatalf("the workload is not stable: %q then %q", want, out.String())
		}
		for w := range ways {
			way := &ways[w]
			out.Reset()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			noPtraceFilterFor(t, way.stops)
			start = time.Now()
			res, err := recorder.Record(ctx, overheadWorkload, recorder.Options{Stdout: &out, Tracer: way.tr})
			d := time.Since(start)
			cancel()
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("%s: %v (exit %v)", way.name, err, res)
			}
			if res.SyscallStops != way.stops {
				t.Fatalf("%s: recorded with syscall stops %v", way.name, res.SyscallStops)
			}
			way.times = append(way.times, d)
			if out.String() != want {
				t.Fatalf("%s printed %q, plain %q", way.name, out.String(), want)
			}
			if w == 0 {
				calls = 0
				for _, n := range res.Recording.Arches {
					calls += n
				}
			}
		}
		noPtraceFilterFor(t, false)
		if strace != "" {
			cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null"}, overheadWorkload...)...)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("strace run: %v", err)
			}
			straced = append(straced, time.Since(start))
		}
	}
	if calls < 1000 {
		t.Fatalf("only %d syscalls recorded for a find over /usr/include", calls)
	}
	mp := median(plain)
	t.Logf("%s (%s files, %d syscalls, %d runs each): plain median %v",
		overheadWorkload[3], strings.TrimSpace(want), calls, len(plain), mp.Round(time.Microsecond))
	for _, way := range ways {
		m := median(way.times)
		perCall := time.Duration(0)
		if m > mp {
			perCall = (m - mp) / time.Duration(calls)
		}
		t.Logf("%s: median %v, %.1fx, ~%v per syscall", way.name, m.Round(time.Microsecond), float64(m)/float64(mp), perCall)
	}
	if len(straced) > 0 {
		ms := median(straced)
		t.Logf("strace -f -o /dev/null, same workload: median %v, %.1fx", ms.Round(time.Microsecond), float64(ms)/float64(mp))
	}
}

// noPtraceFilterFor switches syscall stops on or off for the next Record.
func noPtraceFilterFor(t *testing.T, on bool) {
	if on {
		recorder.ForceSyscallStops()
	} else {
		recorder.AllowPtraceFilter()
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
