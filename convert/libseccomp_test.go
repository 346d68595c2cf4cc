package convert

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	mseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	lsc "github.com/seccomp/libseccomp-golang"
	"golang.org/x/net/bpf"
	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/internal/testenv"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// This file checks conversions through the engines' own code instead of
// profilec's: moby resolves the Docker JSON (conditions, archMap) exactly
// as dockerd does, libseccomp builds the filter as runc 1.1 does, and
// golang.org/x/net/bpf runs it. Nothing of profilec's compiler is involved
// on that side.

// runcAction converts an OCI action as runc's getAction does: ERRNO and
// TRACE without errnoRet return EPERM.
func runcAction(action specs.LinuxSeccompAction, errnoRet *uint) (lsc.ScmpAction, error) {
	code := int16(1)
	if errnoRet != nil {
		code = int16(*errnoRet)
	}
	switch action {
	case specs.ActKill, specs.ActKillThread:
		return lsc.ActKillThread, nil
	case specs.ActKillProcess:
		return lsc.ActKillProcess, nil
	case specs.ActTrap:
		return lsc.ActTrap, nil
	case specs.ActAllow:
		return lsc.ActAllow, nil
	case specs.ActLog:
		return lsc.ActLog, nil
	case specs.ActErrno:
		return lsc.ActErrno.SetReturnCode(code), nil
	case specs.ActTrace:
		return lsc.ActTrace.SetReturnCode(code), nil
	}
	return lsc.ActInvalid, fmt.Errorf("action %s", action)
}

var runcOps = map[specs.LinuxSeccompOperator]lsc.ScmpCompareOp{
	specs.OpNotEqual: lsc.CompareNotEqual, specs.OpLessThan: lsc.CompareLess,
	specs.OpLessEqual: lsc.CompareLessOrEqual, specs.OpEqualTo: lsc.CompareEqual,
	specs.OpGreaterEqual: lsc.CompareGreaterEqual, specs.OpGreaterThan: lsc.CompareGreater,
	specs.OpMaskedEqual: lsc.CompareMaskedEqual,
}

// libseccompProgram builds s with libseccomp the way runc 1.1's InitSeccomp
// and matchCall do, except that the bad-arch action is KILL_PROCESS, as
// profilec's (libseccomp's default kills only the thread).
func libseccompProgram(t testing.TB, s *specs.LinuxSeccomp) []bpf.RawInstruction {
	t.Helper()
	def, err := runcAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		t.Fatal(err)
	}
	f, err := lsc.NewFilter(def)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if err := f.SetBadArchAction(lsc.ActKillProcess); err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Architectures {
		arch, err := lsc.GetArchFromString(strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
		if err != nil {
			t.Fatalf("arch %s: %v", a, err)
		}
		if ok, _ := f.IsArchPresent(arch); ok {
			continue
		}
		if err := f.AddArch(arch); err != nil {
			t.Fatalf("add arch %s: %v", a, err)
		}
	}
	for _, call := range s.Syscalls {
		act, err := runcAction(call.Action, call.ErrnoRet)
		if err != nil {
			t.Fatal(err)
		}
		// runc skips rules whose action is the default: libseccomp refuses them.
		if act == def {
			continue
		}
		for _, name := range call.Names {
			nr, err := lsc.GetSyscallFromName(name)
			if err != nil {
				continue // runc ignores syscalls libseccomp does not know
			}
			if len(call.Args) == 0 {
				if err := f.AddRule(nr, act); err != nil {
					t.Fatalf("add rule %s: %v", name, err)
				}
				continue
			}
			var conds []lsc.ScmpCondition
			perIndex := map[uint]int{}
			for _, a := range call.Args {
				c, err := lsc.MakeCondition(a.Index, runcOps[a.Op], a.Value, a.ValueTwo)
				if err != nil {
					t.Fatal(err)
				}
				perIndex[a.Index]++
				conds = append(conds, c)
			}
			multi := false
			for _, n := range perIndex {
				multi = multi || n > 1
			}
			// Two conditions on one argument cannot be ANDed in libseccomp;
			// runc adds each as a rule of its own (so they are ORed).
			if multi {
				for _, c := range conds {
					if err := f.AddRuleConditional(nr, act, []lsc.ScmpCondition{c}); err != nil {
						t.Fatalf("add rule %s: %v", name, err)
					}
				}
			} else if err := f.AddRuleConditional(nr, act, conds); err != nil {
				t.Fatalf("add rule %s: %v", name, err)
			}
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	err = f.ExportBPF(w)
	w.Close()
	raw := <-done
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || len(raw)%8 != 0 {
		t.Fatalf("libseccomp exported %d bytes", len(raw))
	}
	var prog []bpf.RawInstruction
	for i := 0; i < len(raw); i += 8 {
		prog = append(prog, bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(raw[i:]), Jt: raw[i+2], Jf: raw[i+3], K: binary.NativeEndian.Uint32(raw[i+4:]),
		})
	}
	return prog
}

// vmRunner runs a program in x/net/bpf's VM. That VM loads words big-endian
// from a packet; seccomp loads 32-bit words of struct seccomp_data in host
// order, so the packet holds each word big-endian at its seccomp offset.
func vmRunner(t testing.TB, prog []bpf.RawInstruction) runner {
	t.Helper()
	ins, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("libseccomp's program has an instruction x/net/bpf does not know")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	return func(d compiler.SeccompData) (uint32, error) {
		var pkt [64]byte
		binary.BigEndian.PutUint32(pkt[0:], uint32(d.Nr))
		binary.BigEndian.PutUint32(pkt[4:], d.Arch)
		binary.BigEndian.PutUint32(pkt[8:], uint32(d.IP))
		binary.BigEndian.PutUint32(pkt[12:], uint32(d.IP>>32))
		for i, a := range d.Args {
			binary.BigEndian.PutUint32(pkt[16+8*i:], uint32(a))
			binary.BigEndian.PutUint32(pkt[20+8*i:], uint32(a>>32))
		}
		v, err := vm.Run(pkt[:])
		return uint32(v), err
	}
}

// mobyResolve resolves a Docker profile with moby's own code, for a
// container with Docker's default capabilities on this host.
func mobyResolve(t testing.TB, data []byte) *specs.LinuxSeccomp {
	t.Helper()
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: DockerDefaultCapabilities()}}}
	s, err := mseccomp.LoadProfile(string(data), rs)
	if err != nil {
		t.Fatalf("moby refuses the profile: %v\n%s", err, data)
	}
	return s
}

func rulesOf(s *specs.LinuxSeccomp) []schema.SyscallRule {
	var out []schema.SyscallRule
	for _, c := range s.Syscalls {
		r := schema.SyscallRule{Names: c.Names}
		for _, a := range c.Args {
			r.Args = append(r.Args, schema.Arg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: string(a.Op)})
		}
		out = append(out, r)
	}
	return out
}

func archesOf(s *specs.LinuxSeccomp) []string {
	out := []string{systab.NativeArch().Name}
	for _, a := range s.Architectures {
		out = append(out, string(a))
	}
	return out
}

// TestDockerRoundTripLibseccomp is the round trip as Docker and runc see
// it: moby resolves the original and the exported profile, libseccomp
// compiles both, and every verdict must agree.
func TestDockerRoundTripLibseccomp(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		testenv.Skip(t, "moby resolves archMap for the host; checked on amd64 and arm64")
	}
	for name, data := range mobyInputs(t) {
		t.Run(name, func(t *testing.T) {
			p, err := FromDocker(data)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := ToDocker(reload(t, p))
			if err != nil {
				t.Fatal(err)
			}
			s1, s2 := mobyResolve(t, data), mobyResolve(t, out)
			n := sameVerdicts(t, name, archesOf(s1), [][]schema.SyscallRule{rulesOf(s1), rulesOf(s2)},
				vmRunner(t, libseccompProgram(t, s1)), vmRunner(t, libseccompProgram(t, s2)))
			if n < 300 {
				t.Errorf("only %d inputs compared", n)
			}
		})
	}
}

// TestFromDockerMatchesDocker checks the whole import against the engines:
// profilec's filter for a converted Docker profile (resolved by schema,
// compiled by compiler) answers as the filter runc would install for the
// original under Docker (with the bad-arch action made KILL_PROCESS, as
// profilec's, where runc leaves libseccomp's KILL_THREAD).
func TestFromDockerMatchesDocker(t *testing.T) {
	eachMobyInput(t, func(t *testing.T, name string, data []byte, r *schema.Resolved) {
		s := mobyResolve(t, data)
		n := sameVerdictsExcept(t, name, archesOf(s), [][]schema.SyscallRule{rulesOf(s), r.Seccomp.Syscalls},
			vmRunner(t, libseccompProgram(t, s)), progRunner(compileFor(t, r)), unknownToLibseccomp(s))
		if n < 300 {
			t.Errorf("only %d inputs compared", n)
		}
	})
}

// eachMobyInput runs f in a subtest for every input of mobyInputs, with
// profilec's resolved profile for it (converted, reloaded, resolved for
// this host's architecture and kernel). x86_64 and aarch64 hosts only.
func eachMobyInput(t *testing.T, f func(t *testing.T, name string, data []byte, r *schema.Resolved)) {
	native := systab.NativeArch()
	if native.Name != "SCMP_ARCH_X86_64" && native.Name != "SCMP_ARCH_AARCH64" {
		testenv.Skip(t, "checked on x86_64 and aarch64 hosts")
	}
	kernel, err := systab.KernelVersion()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range mobyInputs(t) {
		t.Run(name, func(t *testing.T) {
			p, err := FromDocker(data)
			if err != nil {
				t.Fatal(err)
			}
			r := resolve(t, reload(t, p), native.Name, kernel)
			f(t, name, data, r)
		})
	}
}

// mobyInputs are the Docker inputs moby reads as written. containers/
// common's errno names are not among them: dockerd ignores defaultErrno and
// errno (it reads only the numeric fields), while podman, whose format they
// are, honours them, and so does FromDocker.
func mobyInputs(t *testing.T) map[string][]byte {
	in := dockerInputs(t)
	delete(in, "containers-common.json")
	return in
}

// unknownToLibseccomp names the syscalls of s that this libseccomp cannot
// resolve. runc silently leaves them out of its filter, so under runc they
// meet the default action, while profilec's tables (from golang.org/x/sys)
// know them and apply the profile's rule. That is a property of the host's
// libseccomp, not of the conversion, so they are not compared.
func unknownToLibseccomp(s *specs.LinuxSeccomp) map[string]bool {
	out := map[string]bool{}
	for _, c := range s.Syscalls {
		for _, n := range c.Names {
			if _, err := lsc.GetSyscallFromName(n); err != nil {
				out[n] = true
			}
		}
	}
	return out
}

// TestExportsAsRuncSeesThem: the OCI config's linux.seccomp (which runc
// reads as is), the kubelet Localhost file and the SeccompProfile's spec as
// the operator installs it (both of which runtimes read as a Docker
// profile) must make libseccomp build a filter that answers as the one
// Docker builds for the original profile.
func TestExportsAsRuncSeesThem(t *testing.T) {
	eachMobyInput(t, func(t *testing.T, name string, data []byte, r *schema.Resolved) {
		want := mobyResolve(t, data)
		wantRun := vmRunner(t, libseccompProgram(t, want))

		frag, _, err := ToOCI(r, OCIOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var spec specs.Spec
		if err := json.Unmarshal(frag, &spec); err != nil {
			t.Fatal(err)
		}
		sameVerdicts(t, "oci linux.seccomp", archesOf(want), [][]schema.SyscallRule{rulesOf(want), rulesOf(spec.Linux.Seccomp)},
			wantRun, vmRunner(t, libseccompProgram(t, spec.Linux.Seccomp)))

		k, _, err := ToK8s(r, K8sOptions{})
		if err != nil {
			t.Fatal(err)
		}
		local := mobyResolve(t, k.Localhost)
		sameVerdicts(t, "kubelet Localhost file", archesOf(want), [][]schema.SyscallRule{rulesOf(want), rulesOf(local)},
			wantRun, vmRunner(t, libseccompProgram(t, local)))

		// The operator writes the SeccompProfile's spec to the node as
		// the profile file; a runtime reads that as Docker JSON. The
		// CRD has no defaultErrnoRet, so only profiles whose default
		// errno is EPERM (or none) can keep every verdict that way.
		if d := r.Seccomp.DefaultErrnoRet; d != nil && *d != 1 {
			return
		}
		var obj struct {
			Spec map[string]any `yaml:"spec"`
		}
		if err := yaml.Unmarshal(k.SeccompProfile, &obj); err != nil {
			t.Fatal(err)
		}
		delete(obj.Spec, "disabled")
		onNode, err := json.Marshal(obj.Spec)
		if err != nil {
			t.Fatal(err)
		}
		installed := mobyResolve(t, onNode)
		sameVerdicts(t, "SeccompProfile as installed", archesOf(want), [][]schema.SyscallRule{rulesOf(want), rulesOf(installed)},
			wantRun, vmRunner(t, libseccompProgram(t, installed)))
	})
}
