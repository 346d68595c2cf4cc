package schema

import (
	"math"
	"strings"
	"testing"
)

func TestOSADistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"open", "open", 0},
		{"opne", "open", 1},  // swap
		{"opn", "open", 1},   // deletion
		{"oppen", "open", 1}, // insertion
		{"opem", "open", 1},  // substitution
		{"", "abc", 3},
		{"ca", "abc", 3}, // OSA, unlike full Damerau, cannot edit a swapped pair again
		{"kitten", "sitting", 3},
		{"ünï", "uni", 2},
	} {
		if got := osaDistance(c.a, c.b); got != c.want {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := osaDistance(c.b, c.a); got != c.want {
			t.Errorf("osaDistance(%q, %q) = %d, want %d (symmetry)", c.b, c.a, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"version", "name", "description", "seccomp", "syscalls"}
	for _, c := range []struct {
		in, want string
	}{
		{"verison", "version"},
		{"Version", "version"},
		{"syscals", "syscalls"},
		{"base", ""}, // two of four letters wrong: no guess
		{"x", ""},
		{"", ""},
		{"descriptionnnnn", ""}, // too far
	} {
		if got := suggest(c.in, fields, nil); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := suggestCap("sys_admn"); got != "SYS_ADMIN" {
		t.Errorf("suggestCap(sys_admn) = %q", got)
	}
	if got := suggestCap("CAP_SYS_ADMN"); got != "CAP_SYS_ADMIN" {
		t.Errorf("suggestCap(CAP_SYS_ADMN) = %q", got)
	}
	if got := suggestWord("SCMP_ACT_ALOW", actionNames, "SCMP_ACT_"); got != "SCMP_ACT_ALLOW" {
		t.Errorf("suggestWord long = %q", got)
	}
	if got := suggestWord("kill-proces", actionNames, "SCMP_ACT_"); got != "kill-process" {
		t.Errorf("suggestWord short = %q", got)
	}
}

func TestCanonWords(t *testing.T) {
	for in, want := range map[string]string{
		"allow": "SCMP_ACT_ALLOW", "ALLOW": "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW": "SCMP_ACT_ALLOW",
		"kill-process": "SCMP_ACT_KILL_PROCESS", "Kill_Thread": "SCMP_ACT_KILL_THREAD",
		"scmp_act_notify": "SCMP_ACT_NOTIFY", " log ": "SCMP_ACT_LOG",
	} {
		if got, ok := canonAction(in); !ok || got != want {
			t.Errorf("canonAction(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "SCMP_ACT_", "permit", "SCMP_CMP_EQ", "allow!"} {
		if got, ok := canonAction(bad); ok {
			t.Errorf("canonAction(%q) = %q, want refusal", bad, got)
		}
	}
	for in, want := range map[string]string{"eq": "SCMP_CMP_EQ", "masked-eq": "SCMP_CMP_MASKED_EQ", "SCMP_CMP_GE": "SCMP_CMP_GE"} {
		if got, ok := canonOp(in); !ok || got != want {
			t.Errorf("canonOp(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{"tsync": "SECCOMP_FILTER_FLAG_TSYNC", "wait-killable-recv": "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"} {
		if got, ok := canonFlag(in); !ok || got != want {
			t.Errorf("canonFlag(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{"chown": "CAP_CHOWN", "CAP_chown": "CAP_CHOWN", "all": "ALL", "Sys_Admin": "CAP_SYS_ADMIN"} {
		if got, ok := canonCap(in); !ok || got != want {
			t.Errorf("canonCap(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := canonCap("CAP_NOPE"); ok {
		t.Error("canonCap accepts CAP_NOPE")
	}
}

func TestParseUint(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "42": 42, "010": 10, "0x10": 16, "0X1f": 31, "0o17": 15, "0b101": 5,
		"1_000": 1000, "0xffff_ffff_ffff_ffff": math.MaxUint64, "18446744073709551615": math.MaxUint64, "+7": 7,
	} {
		if got, err := parseUint(in); err != nil || got != want {
			t.Errorf("parseUint(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "18446744073709551616", "0x", "1.5", "ten", "0x1g", "++1"} {
		if got, err := parseUint(bad); err == nil {
			t.Errorf("parseUint(%q) = %d, want an error", bad, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1024": 1024, "1k": 1000, "1K": 1000, "1Ki": 1024, "256Mi": 256 << 20,
		"1.5Gi": 3 << 29, "1G": 1e9, "100M": 100e6, "512k": 512000, "1Ti": 1 << 40,
		"0.5": 1, "1.0000001k": 1001, "7Ei": 7 << 60, "1_000": 1000,
	} {
		if got, _, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1X", "Mi", "1.2.3", "1.", ".5", "8Ei", "99999999999999999999", "1 Mi", "1mi"} {
		if got, _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
	if _, sug, _ := parseSize("1Mb"); sug != "" && !strings.HasPrefix(sug, "M") {
		t.Errorf("parseSize(1Mb) suggests %q", sug)
	}
}

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]float64{"1": 1, "1.5": 1.5, "1500m": 1.5, "250m": 0.25, "0.001": 0.001, "64": 64} {
		if got, err := parseCPUs(in); err != nil || got != want {
			t.Errorf("parseCPUs(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "0m", "m", "1e3", "NaN", "Inf", "0x10", "2000000", "1.5.1"} {
		if got, err := parseCPUs(bad); err == nil {
			t.Errorf("parseCPUs(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseKernel(t *testing.T) {
	for in, want := range map[string][2]uint64{"4.8": {4, 8}, "5.15": {5, 15}, "0.1": {0, 1}, "255.255": {255, 255}} {
		maj, min, err := parseKernel(in)
		if err != nil || maj != want[0] || min != want[1] {
			t.Errorf("parseKernel(%q) = %d.%d, %v", in, maj, min, err)
		}
	}
	// As moby: exactly MAJOR.MINOR, small numbers, not 0.0.
	for _, bad := range []string{"", "5", "5.8.1", "0.0", "256.1", "a.b", "5.-1", "5.8-rc1"} {
		if _, _, err := parseKernel(bad); err == nil {
			t.Errorf("parseKernel(%q) accepted", bad)
		}
	}
	// Running kernels' release strings carry more.
	for in, want := range map[string][2]uint64{"6.1.0-18-amd64": {6, 1}, "5.15.0-91-generic": {5, 15}, "6.8": {6, 8}} {
		maj, min, err := parseRelease(in)
		if err != nil || maj != want[0] || min != want[1] {
			t.Errorf("parseRelease(%q) = %d.%d, %v", in, maj, min, err)
		}
	}
	if _, _, err := parseRelease("linux"); err == nil {
		t.Error("parseRelease(linux) accepted")
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Code: CodeUnknownField, Msg: `unknown field "x"`, Path: "a.b[1]", Pos: Pos{File: "p.yaml", Line: 3, Col: 5}, Suggestion: "y"}
	if got, want := e.Error(), `p.yaml:3:5: a.b[1]: unknown field "x" (did you mean y?)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Code: CodeSyntax, Msg: "bad", Pos: Pos{Line: 1, Col: 1}}
	if got, want := e.Error(), "<input>:1:1: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	list := ErrorList{
		{Msg: "c", Pos: Pos{File: "b", Line: 1, Col: 1}},
		{Msg: "b", Pos: Pos{File: "a", Line: 2, Col: 1}},
		{Msg: "a", Pos: Pos{File: "a", Line: 1, Col: 9}},
	}
	if got, want := list.err().Error(), "a:1:9: a\na:2:1: b\nb:1:1: c"; got != want {
		t.Errorf("sorted list:\n%s\nwant:\n%s", got, want)
	}
	var many ErrorList
	for i := 0; i < maxErrors+50; i++ {
		many = append(many, &Error{Msg: "x", Pos: Pos{Line: i + 1, Col: 1}})
	}
	capped := many.err().(ErrorList)
	if len(capped) != maxErrors+1 || capped[maxErrors].Code != CodeTooManyErrors || !strings.Contains(capped[maxErrors].Msg, "50 more") {
		t.Errorf("capped list has %d entries, last %v", len(capped), capped[len(capped)-1])
	}
	if ErrorList(nil).err() != nil {
		t.Error("empty list is an error")
	}
}
