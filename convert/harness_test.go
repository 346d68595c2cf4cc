package convert

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/profilec/profilec/schema"
)

// capture is a testing.TB that keeps failures instead of failing, so a
// test can check that the harness fails when it should.
type capture struct {
	testing.TB
	errs []string
}

func (c *capture) Helper() {}
func (c *capture) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}
func (c *capture) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	runtime.Goexit()
}

func (c *capture) run(f func(testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(c)
	}()
	<-done
	return c.errs
}

// TestHarnessCatchesChanges makes sure the verdict comparison is not
// vacuous: a changed errno, a changed argument value in its high half, a
// dropped architecture and a lost condition must each be caught.
func TestHarnessCatchesChanges(t *testing.T) {
	orig := loadDocker(t, "old-name.json")
	for _, c := range []struct {
		what   string
		change func(p *schema.Profile)
		want   string
	}{
		{"errno", func(p *schema.Profile) {
			v := uint(1)
			p.Seccomp.Syscalls[6].ErrnoRet = &v // mkdir: EACCES -> EPERM
		}, "(mkdir)"},
		{"high half of an argument", func(p *schema.Profile) {
			p.Seccomp.Syscalls[4].Args[0].Value = 0x1ffffffff // personality
		}, "(personality)"},
		{"architecture", func(p *schema.Profile) {
			p.Seccomp.Architectures = p.Seccomp.Architectures[:2] // no x32
		}, "x32"},
		{"condition", func(p *schema.Profile) {
			p.Seccomp.Syscalls[7].Includes = nil // ptrace without CAP_SYS_PTRACE
		}, "(ptrace)"},
	} {
		t.Run(c.what, func(t *testing.T) {
			changed := loadDocker(t, "old-name.json")
			c.change(changed)
			r1 := resolve(t, orig, "SCMP_ARCH_X86_64", "6.1")
			r2 := resolve(t, changed, "SCMP_ARCH_X86_64", "6.1")
			errs := (&capture{TB: t}).run(func(tb testing.TB) {
				sameVerdicts(tb, c.what, r1.Seccomp.Architectures, [][]schema.SyscallRule{r1.Seccomp.Syscalls, r2.Seccomp.Syscalls},
					progRunner(compileFor(t, r1)), progRunner(compileFor(t, r2)))
			})
			if len(errs) == 0 {
				t.Fatal("the harness found no difference")
			}
			if all := strings.Join(errs, "\n"); !strings.Contains(all, c.want) {
				t.Errorf("the report does not mention %q:\n%s", c.want, all)
			}
		})
	}
}
