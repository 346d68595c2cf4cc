package lean

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
)

// stdDecode is how the CLI reads a plan: encoding/json, unknown fields refused.
func stdDecode(data []byte) (*plan.Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	p := new(plan.Plan)
	return p, dec.Decode(p)
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }

// fullPlan sets every field fastDecode knows, so that a field added to
// plan.Plan shows up as a key the fast path refuses.
func fullPlan() *plan.Plan {
	caps := []string{"CAP_CHOWN", "CAP_KILL"}
	return &plan.Plan{
		Version: plan.Version, ProfileDigest: "sha256:00", Name: "full", Arch: "SCMP_ARCH_X86_64",
		Seccomp: &plan.Seccomp{
			Program:      []plan.Instruction{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}, {Code: 6, K: 0x7fff0000}},
			Flags:        []string{"LOG"},
			ListenerPath: "/run/l.sock", ListenerMetadata: "m",
			Architectures: []string{"SCMP_ARCH_X86_64"}, DefaultAction: "SCMP_ACT_ERRNO",
		},
		Capabilities: plan.Capabilities{Bounding: caps, Effective: caps, Permitted: caps, Inheritable: []string{}, Ambient: caps[:1]},
		Namespaces: plan.Namespaces{
			User: true, PID: true, Mount: true, UTS: true, IPC: true, Net: true, Cgroup: true, Time: true, Hostname: "h",
			UIDMap: []plan.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}, GIDMap: []plan.IDMap{{ContainerID: 1, HostID: 2, Size: 3}},
		},
		Cgroup: &plan.Cgroup{
			MemoryMax: i64(256 << 20), MemoryHigh: i64(-1), MemorySwapMax: i64(0), CPUWeight: u64(100),
			PidsMax: i64(64), IOWeight: u64(10), Optional: true,
		},
		Rlimits:         []plan.Rlimit{{Name: "nofile", Soft: 512, Hard: 1024}, {Name: "core", Soft: 0, Hard: 18446744073709551615}},
		NoNewPrivileges: true,
		User:            &plan.User{UID: 1000, GID: 1000, Groups: []uint32{4, 24}},
	}
}

func TestFastDecodeTakesCompiledPlans(t *testing.T) {
	full := fullPlan()
	// Every field but the two left to encoding/json is set.
	for _, v := range []reflect.Value{reflect.ValueOf(*full), reflect.ValueOf(*full.Seccomp), reflect.ValueOf(full.Capabilities),
		reflect.ValueOf(full.Namespaces), reflect.ValueOf(*full.Cgroup), reflect.ValueOf(*full.User)} {
		for i := 0; i < v.NumField(); i++ {
			name := v.Type().Field(i).Name
			if v.Field(i).IsZero() && name != "CPUMax" && name != "IOMax" {
				t.Errorf("%s.%s is unset: set it here and teach fastDecode its key", v.Type().Name(), name)
			}
		}
	}
	bare := &plan.Plan{Version: plan.Version, ProfileDigest: "sha256:00", Arch: "SCMP_ARCH_X86_64"}
	for name, p := range map[string]*plan.Plan{"full": full, "bare": bare} {
		indented, _ := json.MarshalIndent(p, "", "  ") // as profilec compile writes it
		compact, _ := json.Marshal(p)
		for _, doc := range [][]byte{indented, compact} {
			got, ok := FastDecode(doc)
			if !ok {
				t.Fatalf("%s: the fast path refused a plan as the compiler writes it:\n%s", name, doc)
			}
			want, err := stdDecode(doc)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: fast %+v\nencoding/json %+v, %v", name, got, want, err)
			}
		}
	}
}

// agree checks the one promise fastDecode makes: when it takes a
// document, encoding/json takes it too and decodes the same plan.
func agree(t *testing.T, doc string) {
	got, ok := FastDecode([]byte(doc))
	if !ok {
		return
	}
	want, err := stdDecode([]byte(doc))
	if err != nil {
		t.Fatalf("%q: fast path took what encoding/json refuses: %v", doc, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: fast %+v, encoding/json %+v", doc, got, want)
	}
}

func TestFastDecodeAgrees(t *testing.T) {
	full, _ := json.Marshal(fullPlan())
	for _, doc := range []string{
		string(full),
		`{"version":-0,"profileDigest":"d"}`,
		`{"version":01,"profileDigest":"d"}`,
		`{"version":1.0,"profileDigest":"d"}`,
		`{"version":1e0,"profileDigest":"d"}`,
		`{"version":99999999999999999999,"profileDigest":"d"}`,
		`{"Version":1,"profileDigest":"d"}`,
		`{"version":1,"version":2,"profileDigest":"d"}`,
		`{"version":1,"profileDigest":"\u0064"}`,
		`{"version":1,"profileDigest":"é"}`,
		`{"version":1,"profileDigest":"a	b"}`,
		`{"version":1,"profileDigest":null}`,
		`{"version":1,"noNewPrivileges":truex}`,
		`{"version":1,"noNewPrivileges":1}`,
		`{"version":1,"rlimits":[{"name":"nofile","soft":-1,"hard":1}]}`,
		`{"version":1,"user":{"uid":4294967296,"gid":0}}`,
		`{"version":1,"user":{"uid":1,"gid":0,"groups":[]}}`,
		`{"version":1,"cgroup":{"memoryMax":-1,"cpuMax":0.5}}`,
		`{"version":1,"cgroup":{}}`,
		`{"version":1,"namespaces":{"uidMap":[],"pid":false}}`,
		`{"version":1,"capabilities":{"bounding":[],"bounding":["CAP_KILL"]}}`,
		`{"version":1,"seccomp":{"program":[{"code":6}],"program":[]}}`,
		`{"version":1,"seccomp":{"program":null}}`,
		`{"version":1} trailing`,
		`{"version":1,}`,
		`{"version":1 "name":"x"}`,
		` {"version":1} `,
		`{"version":1,"seccomp":null,"cgroup":null,"user":null,"rlimits":null,"capabilities":{"bounding":null}}`,
		`{"version":1,"cgroup":{"memoryMax":null,"ioWeight":null}}`,
		`{"version":1,"name":null}`,
		`{"version":1,"seccomp":{"flags":nul}}`,
	} {
		agree(t, doc)
	}
}

func FuzzFastDecode(f *testing.F) {
	full, _ := json.MarshalIndent(fullPlan(), "", "  ")
	f.Add(string(full))
	f.Add(`{"version":1,"cgroup":{"pidsMax":5},"user":{"uid":1,"gid":2,"groups":[3]}}`)
	f.Add(`{"version":1,"namespaces":{"uidMap":[{"containerID":0,"hostID":1,"size":1}]}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		if strings.Count(doc, "{") > 64 {
			return
		}
		agree(t, doc)
	})
}

// BenchmarkFastDecode reads a plan the size of Docker's default profile
// compiled (330 instructions), indented as profilec compile writes it:
// what every launch of a plan file decodes first.
func BenchmarkFastDecode(b *testing.B) {
	p := fullPlan()
	p.Seccomp.Program = nil
	for i := 0; i < 330; i++ {
		p.Seccomp.Program = append(p.Seccomp.Program, plan.Instruction{Code: 0x15, Jt: uint8(i % 200), Jf: 0, K: uint32(i * 7919)})
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, ok := FastDecode(data); !ok {
			b.Fatal("not decoded")
		}
	}
}
