package convert

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the enforcer's init stage, as profilec's
	// main does, so the runc comparison can run `profilec exec` in-process.
	os.Exit(m.Run())
}

// observeScript prints, from inside the confinement, what the test
// compares: capability sets, no_new_privs, the hostname, whether mkdir is
// denied and with which error, the open-files limit and the pids and memory
// limits of its cgroup (under runc the cgroup directory is mounted at the
// controller's root, under profilec exec the host's tree is visible).
const observeScript = `
grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs):' /proc/self/status
echo "hostname=$(hostname)"
if err=$(mkdir "$1/made" 2>&1); then echo mkdir=allowed; else echo "mkdir=$err"; fi
if err=$(busybox unshare -m true 2>&1); then echo unshare=allowed; else echo "unshare=$err"; fi
if err=$(busybox hostname other 2>&1); then echo sethostname=allowed; else echo "sethostname=$err"; fi
grep 'Max open files' /proc/self/limits | tr -s ' '
p=$(grep ':pids:' /proc/self/cgroup | cut -d: -f3)
echo "pids.max=$(cat /sys/fs/cgroup/pids$p/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"
m=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)
echo "memory.limit=$(cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
set -- $(cat /proc/self/uid_map)
echo "uid_map=$1 $2 $3"
`

// busyboxRootfs makes a minimal root filesystem: busybox and the applets
// the script uses.
func busyboxRootfs(t *testing.T, dir string) {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, filepath.Join(dir, "tmp"), filepath.Join(dir, "proc"), filepath.Join(dir, "dev"), filepath.Join(dir, "sys")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"sh", "cat", "hostname", "id", "mkdir", "grep", "cut", "tr", "unshare"} {
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
}

// runRunc runs a bundle to completion and returns its output. The state
// directory is the test's own, the container id unique, and the container
// is deleted (with its cgroups) however the test ends.
func runRunc(t *testing.T, runc, bundle string) string {
	t.Helper()
	root := t.TempDir()
	id := fmt.Sprintf("profilec-convert-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		out, err := exec.Command(runc, "--root", root, "delete", "-f", id).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "does not exist") {
			t.Logf("runc delete: %v: %s", err, out)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, runc, "--root", root, "run", "--bundle", bundle, id)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = nil
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func loadConfined(t *testing.T, mutate func(*schema.Profile)) *schema.Resolved {
	t.Helper()
	p, err := schema.Load(filepath.Join("..", "testdata", "convert", "confined.yaml"), schema.Options{Bases: bases.Get})
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(p)
	}
	tg, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	r, err := schema.Resolve([]*schema.Profile{p}, tg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeBundle exports r as a runc bundle around a busybox rootfs, running
// the observation script.
func writeBundle(t *testing.T, r *schema.Resolved) string {
	t.Helper()
	bundle := t.TempDir()
	busyboxRootfs(t, filepath.Join(bundle, "rootfs"))
	cfg, notes, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "rootfs", Args: []string{"/bin/sh", "-c", observeScript, "sh", "/tmp"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Logf("note: %s", n)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// capMask is the /proc/PID/status hex of a capability set.
func capMask(t *testing.T, caps []string) string {
	t.Helper()
	var m uint64
	for _, c := range caps {
		n, ok := systab.Capability(c)
		if !ok {
			t.Fatalf("unknown capability %s", c)
		}
		m |= 1 << n
	}
	return fmt.Sprintf("%016x", m)
}

// observed parses the script's output into key=value facts.
func observed(out string) map[string]string {
	facts := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok && (strings.HasPrefix(k, "Cap") || k == "NoNewPrivs") {
			facts[k] = strings.TrimSpace(v)
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			facts[k] = v
			continue
		}
		if strings.HasPrefix(line, "Max open files") {
			facts["nofile"] = strings.TrimSpace(strings.TrimPrefix(line, "Max open files"))
		}
	}
	return facts
}

func requireRuncHost(t *testing.T) string {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireFile(t, "/bin/busybox")
	testenv.RequireFile(t, "/sys/fs/cgroup/pids")
	return testenv.RequireCommand(t, "runc")
}

// TestRuncBundle exports a profile as a runc bundle, runs it, and checks
// from inside that runc applied every part of it.
func TestRuncBundle(t *testing.T) {
	runc := requireRuncHost(t)
	r := loadConfined(t, nil)
	out := runRunc(t, runc, writeBundle(t, r))
	facts := observed(out)
	want := map[string]string{
		"CapEff":       capMask(t, r.Capabilities.Effective),
		"CapBnd":       capMask(t, r.Capabilities.Bounding),
		"CapPrm":       capMask(t, r.Capabilities.Permitted),
		"NoNewPrivs":   "1",
		"hostname":     "pc-confined",
		"mkdir":        "mkdir: can't create directory '/tmp/made': Operation not permitted",
		"nofile":       "512 1024 files",
		"pids.max":     "64",
		"memory.limit": "67108864",
	}
	for k, v := range want {
		if facts[k] != v {
			t.Errorf("%s = %q inside runc, want %q", k, facts[k], v)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestRuncBundleControl runs the same bundle without the mkdir rule: mkdir
// then succeeds, so the denial above is the seccomp filter's doing and not
// the rootfs's.
func TestRuncBundleControl(t *testing.T) {
	runc := requireRuncHost(t)
	r := loadConfined(t, func(p *schema.Profile) { p.Seccomp.Syscalls = p.Seccomp.Syscalls[1:] })
	out := runRunc(t, runc, writeBundle(t, r))
	if got := observed(out)["mkdir"]; got != "allowed" {
		t.Errorf("without the rule mkdir = %q, want allowed\n%s", got, out)
	}
}

// TestRuncMatchesExec runs a profile under runc (exported bundle) and
// under profilec's enforcer (compiled plan) and compares what the program
// sees: the same capabilities, no_new_privs, hostname, seccomp verdict and
// limits. It does so for the test profile and for the built-in default,
// Docker's whole filter with namespaces, cgroup limits and rlimits.
func TestRuncMatchesExec(t *testing.T) {
	runc := requireRuncHost(t)
	builtinDefault := func(t *testing.T) *schema.Resolved {
		tg, err := schema.DefaultTarget()
		if err != nil {
			t.Fatal(err)
		}
		chain, err := schema.LoadChainBytes("builtin:default", mustBase(t, "default"), schema.Options{Bases: bases.Get})
		if err != nil {
			t.Fatal(err)
		}
		r, err := schema.Resolve(chain, tg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name  string
		load  func(*testing.T) *schema.Resolved
		mkdir string // the end of mkdir's report under both
	}{
		{"confined", func(t *testing.T) *schema.Resolved { return loadConfined(t, nil) }, "Operation not permitted"},
		{"builtin default", builtinDefault, "allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.load(t)
			viaRunc := observed(runRunc(t, runc, writeBundle(t, r)))

			p, err := compiler.Compile(r, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := enforcer.Run(ctx, p, []string{"/bin/busybox", "sh", "-c", observeScript, "sh", dir},
				enforcer.Options{Stdout: &stdout, Stderr: &stderr, Timeout: 50 * time.Second})
			if err != nil {
				t.Fatalf("profilec exec: %v\n%s", err, stderr.String())
			}
			if res.ExitCode != 0 {
				t.Fatalf("profilec exec: exit %d (%s)\n%s\n%s", res.ExitCode, res.Report, stdout.String(), stderr.String())
			}
			viaExec := observed(stdout.String())
			t.Logf("runc: %v\nprofilec exec: %v", viaRunc, viaExec)
			for _, k := range []string{"CapEff", "CapBnd", "CapPrm", "NoNewPrivs", "hostname", "nofile", "pids.max", "memory.limit", "uid_map", "unshare", "sethostname"} {
				if viaRunc[k] == "" || viaRunc[k] != viaExec[k] {
					t.Errorf("%s: runc %q, profilec exec %q", k, viaRunc[k], viaExec[k])
				}
			}
			// The directories differ (the rootfs's /tmp, the test's temp
			// dir), the verdict must not.
			if !strings.HasSuffix(viaRunc["mkdir"], c.mkdir) || !strings.HasSuffix(viaExec["mkdir"], c.mkdir) {
				t.Errorf("mkdir: runc %q, profilec exec %q; want both to end in %q", viaRunc["mkdir"], viaExec["mkdir"], c.mkdir)
			}
		})
	}
}

func mustBase(t *testing.T, name string) []byte {
	t.Helper()
	data, ok := bases.Get(name)
	if !ok {
		t.Fatalf("no built-in base %s", name)
	}
	return data
}

// TestRuncBundleUserNamespace runs a bundle for a profile with a user
// namespace of its own (root inside is uid 100000 outside), which needs the
// bind-mounted /sys and no fresh mqueue: runc must accept it and the
// process must see the mapping and its capabilities inside.
func TestRuncBundleUserNamespace(t *testing.T) {
	runc := requireRuncHost(t)
	testenv.RequireFile(t, "/proc/self/ns/user")
	p, err := schema.LoadBytes("userns.yaml", []byte(`version: 1
name: userns
capabilities:
  add: [CAP_CHOWN, CAP_SETUID]
namespaces:
  user:
    uidMap: [{containerID: 0, hostID: 100000, size: 65536}]
    gidMap: [{containerID: 0, hostID: 100000, size: 65536}]
  pid: true
  mount: true
  uts: {hostname: pc-userns}
seccomp:
  defaultAction: SCMP_ACT_ALLOW
  syscalls:
    - names: [mkdir, mkdirat]
      action: SCMP_ACT_ERRNO
      errnoRet: 1
`), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	r, err := schema.Resolve([]*schema.Profile{p}, tg)
	if err != nil {
		t.Fatal(err)
	}
	bundle := writeBundle(t, r)
	// Root inside is uid 100000 outside; it must be able to reach the
	// rootfs through the test's private temporary directories.
	for d := bundle; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := runRunc(t, runc, bundle)
	facts := observed(out)
	if facts["hostname"] != "pc-userns" || facts["uid_map"] != "0 100000 65536" || facts["CapEff"] != capMask(t, r.Capabilities.Effective) ||
		!strings.HasSuffix(facts["mkdir"], "Operation not permitted") {
		t.Errorf("inside runc with a user namespace: %v\n%s", facts, out)
	}
}

// TestRuncNeedsNote checks the OCI writer's warning against runc itself:
// a deny-by-default profile allowing what the note lists starts under
// runc, and the same profile without fstatfs gets the note naming it and
// makes runc fail.
func TestRuncNeedsNote(t *testing.T) {
	runc := requireRuncHost(t)
	tg, err := schema.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	if tg.Arch != "SCMP_ARCH_X86_64" {
		testenv.Skip(t, "runc's syscall list was taken on x86_64")
	}
	run := func(drop string) ([]Note, error) {
		p, err := schema.Load(filepath.Join("..", "testdata", "convert", "runc-minimal.yaml"), schema.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if drop != "" {
			rule := &p.Seccomp.Syscalls[1]
			rule.Names = slices.DeleteFunc(rule.Names, func(n string) bool { return n == drop })
		}
		r, err := schema.Resolve([]*schema.Profile{p}, tg)
		if err != nil {
			t.Fatal(err)
		}
		bundle := t.TempDir()
		busyboxRootfs(t, filepath.Join(bundle, "rootfs"))
		if err := os.Symlink("busybox", filepath.Join(bundle, "rootfs", "bin", "true")); err != nil {
			t.Fatal(err)
		}
		cfg, notes, err := ToOCI(r, OCIOptions{Bundle: true, Rootfs: "rootfs", Args: []string{"/bin/true"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		id := fmt.Sprintf("profilec-convert-%d-%d", os.Getpid(), time.Now().UnixNano())
		t.Cleanup(func() { exec.Command(runc, "--root", root, "delete", "-f", id).Run() })
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, runc, "--root", root, "run", "--bundle", bundle, id)
		cmd.Stdin = nil // /dev/null: runc's init reads nothing
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		return notes, err
	}
	// The Go runtime inside runc's init may, rarely, do more under the
	// filter (start a thread when the machine is loaded); the list covers
	// runc's own calls, so one clean start in three tries shows it is
	// enough, while fstatfs below is needed on every start.
	var notes []Note
	for try := 0; try < 3; try++ {
		if notes, err = run(""); err == nil {
			break
		}
	}
	if err != nil {
		t.Errorf("runc refuses a profile allowing what the note lists: %v", err)
	}
	for _, n := range notes {
		if strings.Contains(n.Msg, "runc would fail") {
			t.Errorf("a note warns although runc starts: %s", n)
		}
	}
	notes, err = run("fstatfs")
	if err == nil {
		t.Error("runc started without fstatfs; the list is stale")
	}
	warned := false
	for _, n := range notes {
		warned = warned || (strings.Contains(n.Msg, "runc would fail") && strings.Contains(n.Msg, "fstatfs"))
	}
	if !warned {
		t.Errorf("no note names fstatfs: %v", notes)
	}
}
