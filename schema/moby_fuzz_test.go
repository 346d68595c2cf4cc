package schema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Small vocabularies, so random rules often hit and miss each condition.
var (
	fuzzCaps    = []string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_BPF", "CAP_NET_RAW", "CAP_SYSLOG", "CAP_CHOWN"}
	fuzzArches  = []string{"amd64", "x32", "x86", "arm64", "arm", "s390x", "ppc64le", "riscv64"}
	fuzzKernels = []string{"", "3.10", "4.8", "5.3", "5.16", "6.1", "6.2", "6.99", "7.0", "99.0"}
	fuzzNames   = []string{"read", "write", "ptrace", "mount", "bpf", "clone", "clone3", "personality"}
)

func pick[T any](l []T, b byte) T { return l[int(b)%len(l)] }

func fuzzFilter(b1, b2 byte) *mobyFilter {
	if b1 == 0 && b2 == 0 {
		return nil
	}
	f := &mobyFilter{}
	for i, c := range fuzzCaps {
		if b1&(1<<i) != 0 {
			f.Caps = append(f.Caps, c)
		}
	}
	if b2&0x80 != 0 {
		f.Arches = []string{pick(fuzzArches, b2), pick(fuzzArches, b2>>3)}
	}
	f.MinKernel = pick(fuzzKernels, b2>>4)
	return f
}

type mobyFilter struct {
	Caps      []string `json:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

type mobyRule struct {
	Names    []string    `json:"names,omitempty"`
	Name     string      `json:"name,omitempty"`
	Action   string      `json:"action"`
	ErrnoRet *uint       `json:"errnoRet,omitempty"`
	Args     []mobyArg   `json:"args,omitempty"`
	Includes *mobyFilter `json:"includes,omitempty"`
	Excludes *mobyFilter `json:"excludes,omitempty"`
}

type mobyArg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo"`
	Op       string `json:"op"`
}

var (
	fuzzActions = []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY"}
	fuzzOps     = []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
)

// fuzzRule builds one rule from five bytes: the first picks the name (low
// three bits), the action, whether Docker's old single name is used and
// whether there is an argument condition; the others the conditions.
func fuzzRule(b []byte) mobyRule {
	r := mobyRule{
		Action:   pick(fuzzActions, b[0]>>3),
		Includes: fuzzFilter(b[1], b[2]),
		Excludes: fuzzFilter(b[3], b[4]),
	}
	if name := pick(fuzzNames, b[0]); b[0]&0x40 != 0 {
		r.Name = name
	} else {
		r.Names = []string{name}
	}
	if r.Action == "SCMP_ACT_ERRNO" || r.Action == "SCMP_ACT_TRACE" {
		e := uint(b[1] % 40)
		r.ErrnoRet = &e
	}
	if b[0]&0x80 != 0 {
		r.Args = []mobyArg{{Index: uint(b[2] % 6), Value: uint64(b[3]) << (b[4] % 57), ValueTwo: uint64(b[4]), Op: pick(fuzzOps, b[1]>>2)}}
	}
	return r
}

// FuzzResolveMatchesMoby builds Docker profiles with random conditional
// rules and capability sets, and checks that resolving them gives exactly
// what moby's setupSeccomp gives on this machine.
func FuzzResolveMatchesMoby(f *testing.F) {
	f.Add([]byte{0x3f, 0, 0, 0, 0, 0})
	f.Add([]byte{0x01, 2, 0x01, 0x00, 0x00, 0x00, 3, 0x00, 0x00, 0x01, 0x00})
	f.Add([]byte{0x00, 4, 0x00, 0x9a, 0x00, 0x00, 5, 0x00, 0x00, 0x00, 0x45, 6, 0x04, 0x27, 0x02, 0x90})
	f.Add([]byte{0x22, 1, 0x22, 0x80, 0x01, 0xc1, 7, 0x00, 0x70, 0x00, 0x30})
	f.Add([]byte{0x41, 0xc9, 0x13, 0x05, 0x07, 0x09, 0x52, 0x44, 0x80, 0x10, 0x20})
	f.Add([]byte{0x85, 0x8a, 0x1c, 0x02, 0xff, 0x3f, 0x11, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0xc0, 0xd3, 0x00, 0x00, 0x00, 0x00})
	tgt, err := DefaultTarget()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		var caps []string
		// The two high bits of the first byte choose architectures.
		for i, c := range fuzzCaps {
			if data[0]&(1<<i) != 0 {
				caps = append(caps, c)
			}
		}
		rules := []mobyRule{}
		for rest := data[1:]; len(rest) >= 5 && len(rules) < 32; rest = rest[5:] {
			rules = append(rules, fuzzRule(rest))
		}
		top := map[string]any{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": rules}
		switch data[0] >> 6 {
		case 1:
			top["architectures"] = []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}
		case 2:
			top["archMap"] = []map[string]any{
				{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": []string{"SCMP_ARCH_ARM"}},
				{"architecture": tgt.Arch, "subArchitectures": []string{"SCMP_ARCH_X86"}},
			}
		case 3:
			top["archMap"] = []map[string]any{{"architecture": "SCMP_ARCH_S390X", "subArchitectures": []string{"SCMP_ARCH_S390"}}}
			top["defaultErrnoRet"] = 38
		}
		body, err := json.Marshal(top)
		if err != nil {
			t.Fatal(err)
		}
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
		want, err := mobyseccomp.LoadProfile(string(body), spec)
		if err != nil {
			t.Fatalf("moby: %v", err)
		}
		capJSON, _ := json.Marshal(caps)
		doc := "version: 1\ncapabilities: {add: " + string(capJSON) + "}\nseccomp: " + string(body) + "\n"
		if caps == nil {
			doc = "version: 1\nseccomp: " + string(body) + "\n"
		}
		p, err := LoadBytes("fuzz.yaml", []byte(doc), Options{})
		if err != nil {
			t.Fatalf("load: %v\n%s", err, doc)
		}
		got, err := Resolve([]*Profile{p}, tgt)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		mv := mobyView(want)
		// No architectures means the native one to runc; we say so.
		if len(mv.Architectures) == 0 {
			mv.Architectures = []string{tgt.Arch}
		}
		if d := cmp.Diff(mv, ociView(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("differs from moby (-moby +ours):\n%s\n%s", d, doc)
		}
	})
}
