//go:build cgo

package libseccomp

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
)

// TestHarnessLibseccompSelf runs the harness on libseccomp against itself
// (binary tree against priority order) on Docker's default profile: two
// programs of very different shape that must agree everywhere.
func TestHarnessLibseccompSelf(t *testing.T) {
	s, err := mobyDefault(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	prio, err := oracleProgram(s, "SCMP_ARCH_X86_64", optimizePriority)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := oracleProgram(s, "SCMP_ARCH_X86_64", optimizeBinaryTree)
	if err != nil {
		t.Fatal(err)
	}
	n := differential(t, s, "SCMP_ARCH_X86_64", prio, candidate{name: "libseccomp binary tree", prog: tree}, nil)
	t.Logf("%d inputs", n)
}

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) do(f func(testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.errs
}

// TestHarnessCatchesDifferences makes sure the harness fails, and says where,
// when a candidate differs from libseccomp: in a syscall's verdict, in an
// argument's high half, or on a foreign arch.
func TestHarnessCatchesDifferences(t *testing.T) {
	s, err := mobyDefault(dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := oracleProgram(s, "SCMP_ARCH_X86_64", optimizePriority)
	if err != nil {
		t.Fatal(err)
	}
	// wrap puts a check in front of the oracle's own program.
	wrap := func(pre ...plan.Instruction) []plan.Instruction {
		return append(pre, oracle...)
	}
	ld := func(k uint32) plan.Instruction { return plan.Instruction{Code: clsLD | sizeW | modeABS, K: k} }
	jeq := func(k uint32, jt, jf uint8) plan.Instruction {
		return plan.Instruction{Code: clsJMP | jmpJEQ | srcK, Jt: jt, Jf: jf, K: k}
	}
	ret := func(k uint32) plan.Instruction { return plan.Instruction{Code: clsRET | retK, K: k} }
	for _, c := range []struct {
		what string
		prog []plan.Instruction
		want []string
	}{
		{"execve denied on x86_64",
			wrap(ld(4), jeq(auditX86_64, 0, 3), ld(0), jeq(59, 0, 1), ret(actErrno|1)),
			[]string{"arch x86_64 (0xc000003e) nr 59 (execve): broken ERRNO(1) (0x00050001), libseccomp ALLOW (0x7fff0000)", "on 1 of"}},
		{"aarch64 allowed",
			wrap(ld(4), jeq(auditAarch64, 0, 1), ret(actAllow)),
			[]string{"arch aarch64 (0xc00000b7) nr 0 (io_setup): broken ALLOW", "libseccomp KILL_PROCESS", "foreign arch"}},
		{"high half compared on i386",
			wrap(ld(4), jeq(auditI386, 0, 5), ld(0), jeq(136, 0, 3), ld(20), jeq(0, 1, 0), ret(actErrno|1)),
			[]string{"arch x86 (0x40000003) nr 136 (personality) args [0x100000000 0x0", "broken ERRNO(1) (0x00050001), libseccomp ALLOW"}},
		{"personality's high half ignored",
			wrap(ld(0), jeq(135, 0, 3), ld(16), jeq(0, 0, 1), ret(actAllow)),
			[]string{"nr 135 (personality) args [0x100000000 0x0", "broken ALLOW (0x7fff0000), libseccomp ERRNO(1)", "rule"}},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := &recorder{TB: t}
			errs := r.do(func(tb testing.TB) {
				differential(tb, s, "SCMP_ARCH_X86_64", oracle, candidate{name: "broken", prog: c.prog}, nil)
			})
			all := strings.Join(errs, "\n")
			if len(errs) == 0 {
				t.Fatal("the harness found no difference")
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("report lacks %q:\n%s", w, all)
				}
			}
		})
	}
}
