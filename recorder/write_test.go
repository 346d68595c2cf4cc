package recorder_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/recorder"
	"github.com/profilec/profilec/schema"
)

func sample() *recorder.Recording {
	r := recorder.NewRecording()
	r.Arches["SCMP_ARCH_X86_64"] = 20
	r.Arches["SCMP_ARCH_X86"] = 3
	r.Syscalls["read"] = &recorder.Syscall{Count: 10, NotInBase: true}
	r.Syscalls["clone"] = &recorder.Syscall{Count: 5, Values: map[uint64]uint64{0x1200011: 3, 0x3d0f00: 2}, NotInBase: true}
	r.Syscalls["socket"] = &recorder.Syscall{Count: 2, Values: map[uint64]uint64{1: 1, 10: 1}}
	r.Syscalls["personality"] = &recorder.Syscall{Count: 1, Values: map[uint64]uint64{0xffffffff: 1}, NotInBase: true}
	r.Syscalls["clone3"] = &recorder.Syscall{Count: 4, Refused: true, NotInBase: true}
	r.Syscalls["exit_group"] = &recorder.Syscall{Count: 1, NotInBase: true}
	r.Unknown["SCMP_ARCH_X86_64 #999"] = 1
	return r
}

// The profile written is deterministic, loads, compiles, and reads back
// into the same recording.
func TestProfileRoundTrip(t *testing.T) {
	r := sample()
	data, err := r.Profile(recorder.WriteOptions{Name: "s", Command: []string{"app", "-x"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		again, _ := sample().Profile(recorder.WriteOptions{Name: "s", Command: []string{"app", "-x"}})
		if string(again) != string(data) {
			t.Fatalf("output differs between identical recordings:\n%s\n---\n%s", data, again)
		}
	}
	for _, want := range []string{
		"# SCMP_ARCH_X86: 3 syscalls seen",
		"# not in the profile (no name for it): SCMP_ARCH_X86_64 #999 seen 1 time",
		"architectures: [SCMP_ARCH_X86, SCMP_ARCH_X86_64]",
		"comment: seen 3 times with 0x1200011",
		"comment: seen 10 times",
		"errnoRet: 38",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("profile lacks %q:\n%s", want, data)
		}
	}
	p, err := schema.LoadBytes("rec.yaml", data, schema.Options{})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, data)
	}
	// clone: two rules, one per value; socket two, personality one.
	if n := len(p.Seccomp.Syscalls); n != 8 {
		t.Errorf("%d rules, want 8", n)
	}
	tgt, _ := schema.DefaultTarget()
	res, err := schema.Resolve([]*schema.Profile{p}, tgt)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := compiler.Compile(res, compiler.Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	allows, err := recorder.BaseAllows(pl)
	if err != nil {
		t.Fatal(err)
	}
	const x86_64 = 0xc000003e
	for _, c := range []struct {
		nr   int32
		arg0 uint64
		want bool
	}{
		{0, 0, true},           // read
		{56, 0x1200011, true},  // clone, a value seen
		{56, 0x1200012, false}, // clone, another
		{41, 10, true},         // socket AF_INET6
		{41, 2, false},         // socket AF_INET
		{83, 0, false},         // mkdir
	} {
		if got := allows(x86_64, c.nr, [6]uint64{c.arg0}); got != c.want {
			t.Errorf("nr %d arg0 %#x: allowed %v, want %v", c.nr, c.arg0, got, c.want)
		}
	}
	back, err := recorder.FromProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	for _, s := range want.Syscalls {
		s.NotInBase = true // a written rule is one the base lacked
	}
	want.Unknown = map[string]uint64{} // reported, not written
	want.Arches = map[string]uint64{"SCMP_ARCH_X86": 0, "SCMP_ARCH_X86_64": 0}
	if d := cmp.Diff(want, back); d != "" {
		t.Errorf("read back (-want +got):\n%s", d)
	}
}

func TestMergeSemantics(t *testing.T) {
	a := sample()
	b := recorder.NewRecording()
	b.Arches["SCMP_ARCH_X86_64"] = 2
	b.Syscalls["socket"] = &recorder.Syscall{Values: nil, Count: 1} // any family
	b.Syscalls["clone"] = &recorder.Syscall{Count: 1, Values: map[uint64]uint64{0x1200011: 1, 0x11: 1}}
	a.Merge(b)
	if s := a.Syscalls["socket"]; s.Values != nil || s.Count != 3 {
		t.Errorf("socket after merge: %+v, want any value, 3 calls", s)
	}
	want := map[uint64]uint64{0x1200011: 4, 0x3d0f00: 2, 0x11: 1}
	if d := cmp.Diff(want, a.Syscalls["clone"].Values); d != "" {
		t.Errorf("clone values (-want +got):\n%s", d)
	}
	if a.Arches["SCMP_ARCH_X86_64"] != 22 {
		t.Errorf("arch count %d", a.Arches["SCMP_ARCH_X86_64"])
	}
	// Merging must not share maps with its argument.
	c := recorder.NewRecording()
	c.Merge(b)
	c.Syscalls["clone"].Values[0x99] = 1
	if _, ok := b.Syscalls["clone"].Values[0x99]; ok {
		t.Error("merge aliases the merged recording's values")
	}
}

// Only profiles of the shapes record writes can be merged; anything else
// is an error naming the rule, not a silent widening.
func TestFromProfileRejectsForeignRules(t *testing.T) {
	for name, body := range map[string]string{
		"action": "    - names: [read]\n      action: SCMP_ACT_LOG\n",
		"op":     "    - names: [socket]\n      action: SCMP_ACT_ALLOW\n      args: [{index: 0, value: 1, op: SCMP_CMP_NE}]\n",
		"arg":    "    - names: [read]\n      action: SCMP_ACT_ALLOW\n      args: [{index: 0, value: 1, op: SCMP_CMP_EQ}]\n",
		"two":    "    - names: [socket]\n      action: SCMP_ACT_ALLOW\n      args: [{index: 0, value: 1, op: SCMP_CMP_EQ}, {index: 1, value: 1, op: SCMP_CMP_EQ}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			doc := "version: 1\nseccomp:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n" + body
			p, err := schema.LoadBytes("x.yaml", []byte(doc), schema.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := recorder.FromProfile(p); err == nil || !strings.Contains(err.Error(), "rule 1") {
				t.Fatalf("got %v, want an error about rule 1", err)
			}
		})
	}
}
