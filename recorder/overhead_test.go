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

// TestRecordOverhead times the workload run plainly, recorded through user
// notification and recorded through ptrace, alternating, and logs the medians side by side (go test -v). It checks
// that recording changes nothing the workload prints; it asserts no timing.
func TestRecordOverhead(t *testing.T) {
	needBusybox(t)
	testenv.RequireFile(t, "/usr/include")
	var plain, recorded, ptraced, straced []time.Duration
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

		out.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		start = time.Now()
		res, err := recorder.Record(ctx, overheadWorkload, recorder.Options{Stdout: &out})
		d := time.Since(start)
		cancel()
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("recorded run: %v (exit %v)", err, res)
		}
		recorded = append(recorded, d)
		if out.String() != want {
			t.Fatalf("recorded run printed %q, plain %q", out.String(), want)
		}
		out.Reset()
		ctx, cancel = context.WithTimeout(context.Background(), 60*time.Second)
		start = time.Now()
		pres, err := recorder.Record(ctx, overheadWorkload, recorder.Options{Stdout: &out, Tracer: recorder.TracerPtrace})
		d = time.Since(start)
		cancel()
		if err != nil || pres.ExitCode != 0 {
			t.Fatalf("run recorded with ptrace: %v (exit %v)", err, pres)
		}
		ptraced = append(ptraced, d)
		if out.String() != want {
			t.Fatalf("run recorded with ptrace printed %q, plain %q", out.String(), want)
		}
		if strace != "" {
			cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null"}, overheadWorkload...)...)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("strace run: %v", err)
			}
			straced = append(straced, time.Since(start))
		}
		calls = 0
		for _, n := range res.Recording.Arches {
			calls += n
		}
	}
	if calls < 1000 {
		t.Fatalf("only %d syscalls recorded for a find over /usr/include", calls)
	}
	mp, mr := median(plain), median(recorded)
	perCall := time.Duration(0)
	if mr > mp {
		perCall = (mr - mp) / time.Duration(calls)
	}
	t.Logf("%s (%s files, %d syscalls, %d runs each): plain median %v, recorded median %v, %.1fx, ~%v per syscall",
		overheadWorkload[3], strings.TrimSpace(want), calls, len(plain),
		mp.Round(time.Microsecond), mr.Round(time.Microsecond), float64(mr)/float64(mp), perCall)
	mt := median(ptraced)
	t.Logf("profilec record --tracer ptrace, same workload: median %v, %.1fx", mt.Round(time.Microsecond), float64(mt)/float64(mp))
	if len(straced) > 0 {
		ms := median(straced)
		t.Logf("strace -f -o /dev/null, same workload: median %v, %.1fx", ms.Round(time.Microsecond), float64(ms)/float64(mp))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
