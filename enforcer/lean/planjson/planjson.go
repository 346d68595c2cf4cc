// Package planjson decodes any plan encoding/json would: the plain form
// through lean.Decode, anything else by reflection. It is the decoder of
// profilec-init; the CLI's own launch path takes only the plain form
// (package lean) and leaves the rest to the CLI proper.
package planjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer/lean"
)

// ReadPlan is lean.ReadPlan with Decode.
func ReadPlan(path string) (*plan.Plan, error) { return lean.ReadPlan(path, Decode) }

// fastPlan is plan.Plan whose seccomp program decodes through
// fastProgram: the outer Seccomp field shadows the embedded one, and
// every other field of both is promoted, so DisallowUnknownFields still
// knows them all.
type fastPlan struct {
	plan.Plan
	Seccomp *fastSeccomp `json:"seccomp,omitempty"`
}

type fastSeccomp struct {
	plan.Seccomp
	Program fastProgram `json:"program"`
}

type fastProgram []plan.Instruction

// Decode reads a plan as strictly as the CLI does (unknown fields are an
// error): the plain form without reflection, the rest by encoding/json.
func Decode(data []byte) (*plan.Plan, error) {
	if p, ok := lean.FastDecode(data); ok {
		return p, nil
	}
	return decodeStd(data)
}

func decodeStd(data []byte) (*plan.Plan, error) {
	var fp fastPlan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fp); err != nil {
		return nil, err
	}
	p := fp.Plan
	if fp.Seccomp != nil {
		sc := fp.Seccomp.Seccomp
		sc.Program = []plan.Instruction(fp.Seccomp.Program)
		p.Seccomp = &sc
	}
	return &p, nil
}

func (f *fastProgram) UnmarshalJSON(b []byte) error {
	if prog, ok := lean.ParseProgram(b); ok {
		*f = prog
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var prog []plan.Instruction
	if err := dec.Decode(&prog); err != nil {
		return fmt.Errorf("seccomp program: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("seccomp program: data after the array")
	}
	*f = prog
	return nil
}
