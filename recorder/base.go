package recorder

import (
	"errors"
	"fmt"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/compiler/plan"
)

// BaseAllows returns the predicate Options.Base wants, from a plan compiled
// from the base profile: a call counts as allowed when the base's own
// filter, run in the compiler's interpreter, returns SECCOMP_RET_ALLOW.
func BaseAllows(p *plan.Plan) (func(arch uint32, nr int32, args [6]uint64) bool, error) {
	if p == nil || p.Seccomp == nil || len(p.Seccomp.Program) == 0 {
		return nil, errors.New("read base: the base profile has no seccomp filter")
	}
	prog := p.Seccomp.Program
	// A program that fails on one input fails on all: find out now, not
	// for every call.
	if _, _, err := compiler.Run(prog, compiler.SeccompData{}); err != nil {
		return nil, fmt.Errorf("run base filter: %w", err)
	}
	return func(arch uint32, nr int32, args [6]uint64) bool {
		action, _, err := compiler.Run(prog, compiler.SeccompData{Nr: nr, Arch: arch, Args: args})
		return err == nil && action == compiler.RetAllow
	}, nil
}
