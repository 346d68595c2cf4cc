package planjson

import (
	"bytes"
	"encoding/json"
	"reflect"
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

func TestDecodePlanAgreesWithEncodingJSON(t *testing.T) {
	base := plan.Plan{Version: plan.Version, ProfileDigest: "sha256:x", Seccomp: &plan.Seccomp{
		Program: []plan.Instruction{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 255, K: 0xc000003e}, {Code: 6, K: 0x7fff0000}},
		Flags:   []string{"LOG"},
	}}
	compact, _ := json.Marshal(&base)
	indented, _ := json.MarshalIndent(&base, "", "  ")
	withProgram := func(prog string) string {
		return `{"version":1,"profileDigest":"d","seccomp":{"flags":["LOG"],"program":` + prog + `}}`
	}
	for name, doc := range map[string]string{
		"compact":            string(compact),
		"indented":           string(indented),
		"no seccomp":         `{"version":1,"profileDigest":"d"}`,
		"null seccomp":       `{"version":1,"profileDigest":"d","seccomp":null}`,
		"empty program":      withProgram(`[]`),
		"null program":       withProgram(`null`),
		"key order":          withProgram(`[{"k":7,"jf":2,"jt":1,"code":5}]`),
		"missing keys":       withProgram(`[{"code":6}, {}]`),
		"spaces":             withProgram(" [ { \"code\" : 6 ,\n\"k\"\t: 0 } , {\"code\":6} ] "),
		"upper-case key":     withProgram(`[{"Code":6,"K":1}]`),
		"duplicate key":      withProgram(`[{"code":6,"code":7}]`),
		"max values":         withProgram(`[{"code":65535,"jt":255,"jf":255,"k":4294967295}]`),
		"code too large":     withProgram(`[{"code":65536}]`),
		"jt too large":       withProgram(`[{"jt":256}]`),
		"k too large":        withProgram(`[{"k":4294967296}]`),
		"negative":           withProgram(`[{"k":-1}]`),
		"fraction":           withProgram(`[{"k":1.5}]`),
		"exponent":           withProgram(`[{"k":1e3}]`),
		"string value":       withProgram(`[{"k":"1"}]`),
		"null element":       withProgram(`[null,{"code":6}]`),
		"unknown key":        withProgram(`[{"code":6,"x":1}]`),
		"not an array":       withProgram(`{"code":6}`),
		"unknown plan field": `{"version":1,"profileDigest":"d","bogus":1}`,
		"unknown seccomp":    `{"version":1,"profileDigest":"d","seccomp":{"program":[],"bogus":1}}`,
		"two programs":       `{"version":1,"profileDigest":"d","seccomp":{"program":[{"code":1}],"program":[{"code":2}]}}`,
		"escaped key":        withProgram(`[{"\u0063ode":6}]`),
		"trailing garbage":   withProgram(`[]`) + `x`,
		"escaped seccomp":    `{"version":1,"profileDigest":"d","\u0073eccomp":{"program":[{"code":1}]}}`,
		"two seccomps":       `{"version":1,"profileDigest":"d","seccomp":{"program":[{"code":1}]},"seccomp":{"program":[{"code":2}]}}`,
		"cased keys":         `{"version":1,"profileDigest":"d","Seccomp":{"PROGRAM":[{"code":3}]}}`,
		"escaped program":    `{"version":1,"profileDigest":"d","seccomp":{"program":[{"code":1}],"pro\u0067ram":[{"code":2}]}}`,
		"program in string":  `{"version":1,"profileDigest":"d\"seccomp\":{\"program\":[]}","seccomp":{"program":[{"code":4}]}}`,
		"program elsewhere":  `{"version":1,"profileDigest":"d","namespaces":{"program":[{"code":1}]},"seccomp":{"program":[{"code":5}]}}`,
		"program first":      `{"seccomp":{"program":[{"code":6}],"flags":["LOG"]},"version":1,"profileDigest":"d"}`,
		"broken after":       withProgram(`[{"code":6}]`) + `,`,
		"broken before":      `{"version":1,"profileDigest":"d",,"seccomp":{"program":[{"code":6}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			want, wantErr := stdDecode([]byte(doc))
			got, gotErr := Decode([]byte(doc))
			if (wantErr != nil) != (gotErr != nil) {
				t.Fatalf("error %v, encoding/json says %v", gotErr, wantErr)
			}
			if wantErr != nil {
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			if got.Seccomp != nil && !reflect.DeepEqual(got.Seccomp, want.Seccomp) {
				t.Errorf("seccomp: got %+v\nwant %+v", got.Seccomp, want.Seccomp)
			}
		})
	}
}

func FuzzDecodePlan(f *testing.F) {
	f.Add(`[{"code":6,"jt":0,"jf":0,"k":2147418112}]`)
	f.Add(`[{"k":1e3}]`)
	f.Add(`[{"code":6}]},"seccomp":{"program":[]`)
	f.Fuzz(func(t *testing.T, prog string) {
		doc := `{"version":1,"profileDigest":"d","seccomp":{"program":` + prog + `}}`
		want, wantErr := stdDecode([]byte(doc))
		got, gotErr := Decode([]byte(doc))
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("%q: error %v, encoding/json says %v", prog, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %+v, want %+v", prog, got.Seccomp, want.Seccomp)
		}
	})
}
