package compiler

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/profilec/profilec/compiler/bpf"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// IR is the decision a seccomp filter makes, per target architecture,
// before any BPF exists. Its Evaluate is the reference the generated
// program is checked against.
type IR struct {
	Native string
	// Arches are the targets, native first, then in profile order.
	Arches []*ArchIR
	// BadArch is returned for a call no target architecture claims.
	BadArch uint32
}

// ArchIR is one architecture's table.
type ArchIR struct {
	Arch    systab.Arch
	Default uint32
	// Syscalls are sorted by Nr.
	Syscalls []*SyscallIR
	// Lo and Hi bound the syscall numbers this arch claims for its audit
	// value: x86_64 and x32 share one and split the numbers at bit 30.
	Lo, Hi uint32
	// Minus1: the arch also claims nr -1 above Hi. libseccomp lets -1 (a
	// syscall skipped by a tracer) reach x86_64's table when x32 is not
	// a target; with x32 it falls in x32's numbers.
	Minus1 bool
}

// Claims reports whether nr, seen with a's audit value, is a's to decide.
func (a *ArchIR) Claims(nr uint32) bool {
	return (nr >= a.Lo && nr <= a.Hi) || (a.Minus1 && nr == 0xffffffff)
}

// SyscallIR is the decision for one syscall number on one architecture.
type SyscallIR struct {
	Nr   uint32
	Name string
	// Rules are tried in order; the first whose conditions all hold
	// decides. They are ordered as libseccomp orders its argument tree.
	Rules []ArgRule
	// Else decides when no rule matches: an unconditional rule or the
	// default action.
	Else Verdict
}

// ArgRule is a conjunction of argument conditions and its verdict.
type ArgRule struct {
	Conds  []Cond
	Action uint32
	Rule   int // index into ResolvedSeccomp.Syscalls
}

// Cond is one argument comparison as the filter performs it: on 32-bit
// architectures Value and Mask are already cut to the low half.
type Cond struct {
	Arg   int
	Op    string // SCMP_CMP_*
	Value uint64 // for MASKED_EQ: valueTwo & mask, as libseccomp stores it
	Mask  uint64 // MASKED_EQ only
	op    cmpOp  // Op, decoded once for Holds
}

type cmpOp uint8

const (
	opNE cmpOp = iota + 1
	opLT
	opLE
	opEQ
	opGE
	opGT
	opMaskedEQ
)

var cmpOps = map[string]cmpOp{
	"SCMP_CMP_NE": opNE, "SCMP_CMP_LT": opLT, "SCMP_CMP_LE": opLE, "SCMP_CMP_EQ": opEQ,
	"SCMP_CMP_GE": opGE, "SCMP_CMP_GT": opGT, "SCMP_CMP_MASKED_EQ": opMaskedEQ,
}

// SeccompData is struct seccomp_data.
type SeccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// Verdict is what the filter returns and which rule said so.
type Verdict struct {
	Action uint32 // SECCOMP_RET_* | data
	Rule   int    // index into ResolvedSeccomp.Syscalls; -1 for default or bad arch
}

// Evaluate decides d by walking the IR: no BPF involved.
func (ir *IR) Evaluate(d SeccompData) Verdict {
	nr := uint32(d.Nr)
	for _, a := range ir.Arches {
		if a.Arch.Audit != d.Arch || !a.Claims(nr) {
			continue
		}
		i, ok := slices.BinarySearchFunc(a.Syscalls, nr, func(s *SyscallIR, n uint32) int { return cmp.Compare(s.Nr, n) })
		if !ok {
			return Verdict{Action: a.Default, Rule: -1}
		}
		s := a.Syscalls[i]
		for _, r := range s.Rules {
			if r.Matches(a.Arch.Bits, d.Args) {
				return Verdict{Action: r.Action, Rule: r.Rule}
			}
		}
		return s.Else
	}
	return Verdict{Action: ir.BadArch, Rule: -1}
}

// Matches reports whether every condition holds for args.
func (r ArgRule) Matches(bits int, args [6]uint64) bool {
	for _, c := range r.Conds {
		if !c.Holds(bits, args[c.Arg]) {
			return false
		}
	}
	return true
}

// Holds compares v with the condition; a 32-bit architecture's filter
// sees only the low half of the argument.
func (c Cond) Holds(bits int, v uint64) bool {
	if bits == 32 {
		v &= 0xffffffff
	}
	op := c.op
	if op == 0 {
		op = cmpOps[c.Op]
	}
	switch op {
	case opNE:
		return v != c.Value
	case opLT:
		return v < c.Value
	case opLE:
		return v <= c.Value
	case opEQ:
		return v == c.Value
	case opGE:
		return v >= c.Value
	case opGT:
		return v > c.Value
	case opMaskedEQ:
		return v&c.Mask == c.Value
	}
	return false
}

// Lookup returns the IR of arch name (any spelling), or nil.
func (ir *IR) Lookup(name string) *ArchIR {
	a, ok := systab.LookupArch(name)
	if !ok {
		return nil
	}
	for _, x := range ir.Arches {
		if x.Arch.Name == a.Name {
			return x
		}
	}
	return nil
}

// Syscall returns the IR of syscall nr, or nil when the default decides.
func (a *ArchIR) Syscall(nr uint32) *SyscallIR {
	i, ok := slices.BinarySearchFunc(a.Syscalls, nr, func(s *SyscallIR, n uint32) int { return cmp.Compare(s.Nr, n) })
	if !ok {
		return nil
	}
	return a.Syscalls[i]
}

// Targets returns the architectures a filter for s covers: native first
// (libseccomp's filter always holds it, as runc creates it), then
// s.Architectures in order.
func Targets(s *schema.ResolvedSeccomp, native string) ([]systab.Arch, error) {
	n, ok := systab.LookupArch(native)
	if !ok || n.Audit == 0 {
		return nil, fmt.Errorf("resolve architectures: unknown native architecture %q", native)
	}
	out := []systab.Arch{n}
	for _, name := range s.Architectures {
		a, ok := systab.LookupArch(name)
		if !ok || a.Audit == 0 {
			return nil, fmt.Errorf("resolve architectures: unknown architecture %q", name)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	le := n.Audit&0x40000000 != 0
	for _, a := range out {
		if (a.Audit&0x40000000 != 0) != le {
			return nil, fmt.Errorf("resolve architectures: %s and %s differ in byte order and cannot share one filter", n.Name, a.Name)
		}
	}
	return out, nil
}

// BuildIR applies runc's and libseccomp's rule semantics to s for every
// target architecture:
//
//   - runc skips a rule whose action equals the default action, skips names
//     libseccomp does not know, and turns a rule with two conditions on one
//     argument into one rule per condition (an OR instead of an AND).
//   - A name is applied on every target that has the syscall; on i386 the
//     socket and SysV IPC calls also become socketcall/ipc rules on their
//     multiplexer number (libseccomp arch-x86.c).
//   - Per syscall, as db_rule_add does: an unconditional rule replaces the
//     conditional ones and ignores every later rule; conditional rules
//     accumulate, and are tried in the order libseccomp's argument tree
//     tests them (_db_chain_lt on the first node where they differ, ties
//     in the order added). Equal conditions with different actions are
//     refused, as libseccomp refuses them (EEXIST).
//   - 64-bit arches compare both halves; 32-bit arches the low half, with
//     the value cut to it. MASKED_EQ compares (arg & mask) == (valueTwo &
//     mask), and a MASKED_EQ with an empty mask is dropped.
//   - On x86_64 without x32, numbers with bit 30 meet the bad-arch action
//     except -1, which reaches the x86_64 table as libseccomp lets it.
//
// Known difference: where several conditional rules of one syscall overlap
// with different actions, or overlap in ranges across the 32-bit halves,
// libseccomp 2.5's tree merging (shared nodes keep the first rule's
// action; a stale accumulator after a sub-level) can give a verdict no
// single rule gives. profilec keeps the rules' documented meaning there:
// conditions AND, rules OR, first in tree order wins. Docker's profiles do
// not contain such rules.
func BuildIR(s *schema.ResolvedSeccomp, native string) (*IR, error) {
	if s == nil {
		return nil, fmt.Errorf("build IR: no seccomp profile")
	}
	targets, err := Targets(s, native)
	if err != nil {
		return nil, err
	}
	def, err := ActionValue(s.DefaultAction, s.DefaultErrnoRet, nil)
	if err != nil {
		return nil, fmt.Errorf("build IR: default action: %w", err)
	}
	// Check every rule once, whatever the arch, so a bad rule is an error
	// even when no target knows its syscall.
	acts := make([]uint32, len(s.Syscalls))
	for i, r := range s.Syscalls {
		if acts[i], err = ActionValue(r.Action, r.ErrnoRet, nil); err != nil {
			return nil, fmt.Errorf("build IR: rule %d: %w", i, err)
		}
		for _, a := range r.Args {
			if a.Index > 5 {
				return nil, fmt.Errorf("build IR: rule %d: argument index %d out of range 0-5", i, a.Index)
			}
			if cmpOps[a.Op] == 0 {
				return nil, fmt.Errorf("build IR: rule %d: unknown operator %q", i, a.Op)
			}
		}
	}
	ir := &IR{Native: targets[0].Name, BadArch: RetKillProcess}
	for _, t := range targets {
		a, err := buildArch(s, t, def, acts)
		if err != nil {
			return nil, err
		}
		ir.Arches = append(ir.Arches, a)
	}
	for _, a := range ir.Arches {
		if a.Hi == 0xffffffff {
			continue
		}
		// Nobody else claims -1 for this audit value: it is a's.
		a.Minus1 = !slices.ContainsFunc(ir.Arches, func(o *ArchIR) bool { return o != a && o.Arch.Audit == a.Arch.Audit && o.Claims(0xffffffff) })
	}
	return ir, nil
}

// archSplit returns the numbers arch claims for its audit value: x32
// takes those with bit 30 set, an arch sharing its audit value with x32
// (x86_64) the rest. libseccomp tests "nr >= 0x40000000", so -1 counts as
// an x32 number.
func archSplit(t systab.Arch) (lo, hi uint32) {
	if t.NrBits != 0 {
		return t.NrBits, 0xffffffff
	}
	for _, o := range systab.Arches() {
		if o.Audit == t.Audit && o.NrBits != 0 {
			return 0, o.NrBits - 1
		}
	}
	return 0, 0xffffffff
}

// sysState accumulates the rules for one syscall as libseccomp's
// db_rule_add does.
type sysState struct {
	nr        uint32
	name      string
	hasUncond bool
	uncond    Verdict
	conds     []ArgRule
}

func buildArch(s *schema.ResolvedSeccomp, t systab.Arch, def uint32, acts []uint32) (*ArchIR, error) {
	lo, hi := archSplit(t)
	a := &ArchIR{Arch: t, Default: def, Lo: lo, Hi: hi}
	byNr := make(map[uint32]int, 2*len(s.Syscalls))
	condRules := 0
	states := make([]sysState, 0, 2*len(s.Syscalls))
	get := func(nr uint32, name string) *sysState {
		i, ok := byNr[nr]
		if !ok {
			i = len(states)
			states = append(states, sysState{nr: nr, name: name})
			byNr[nr] = i
		}
		return &states[i]
	}
	for i, r := range s.Syscalls {
		act := acts[i]
		if act == def {
			// runc: "ignoring syscall (action is the default action)";
			// libseccomp would refuse the rule anyway.
			continue
		}
		for _, chain := range runcChains(r.Args) {
			for _, name := range r.Names {
				trs, n := translate(t, name, chain)
				for _, tr := range trs[:n] {
					if tr.nr < lo || tr.nr > hi {
						// Not a number this arch's calls can carry.
						continue
					}
					st := get(tr.nr, tr.name)
					before := len(st.conds)
					if err := st.add(t, tr.args, act, i); err != nil {
						return nil, fmt.Errorf("build IR: rule %d (%s) on %s: %w", i, name, t.Name, err)
					}
					if condRules += len(st.conds) - before; condRules > maxCondRules {
						return nil, fmt.Errorf("build IR: more than %d conditional rules on %s: the program would exceed the kernel's %d instructions", maxCondRules, t.Name, bpf.MaxInstructions)
					}
				}
			}
		}
	}
	order := make([]int32, len(states))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(states[x].nr, states[y].nr) })
	scs := make([]SyscallIR, len(states))
	a.Syscalls = make([]*SyscallIR, len(states))
	for i, j := range order {
		st := &states[j]
		sc := &scs[i]
		*sc = SyscallIR{Nr: st.nr, Name: st.name, Else: Verdict{Action: def, Rule: -1}}
		if st.hasUncond {
			sc.Else = st.uncond
		} else {
			sc.Rules = sortRules(t, st.conds)
		}
		a.Syscalls[i] = sc
	}
	return a, nil
}

// runcChains splits a rule's conditions as runc does: when two conditions
// name the same argument, each condition becomes a rule of its own;
// otherwise they form one rule (a conjunction).
func runcChains(args []schema.Arg) [][]schema.Arg {
	if len(args) == 0 {
		return [][]schema.Arg{nil}
	}
	var seen [6]int
	multi := false
	for _, a := range args {
		seen[a.Index]++
		if seen[a.Index] > 1 {
			multi = true
		}
	}
	if !multi {
		return [][]schema.Arg{args}
	}
	out := make([][]schema.Arg, len(args))
	for i := range args {
		out[i] = args[i : i+1]
	}
	return out
}

type translated struct {
	nr   uint32
	name string
	args []schema.Arg
}

// Multiplexer numbers of the i386 socketcall(2) and ipc(2) calls.
var (
	x86SocketCalls = map[string]uint64{
		"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5,
		"getsockname": 6, "getpeername": 7, "socketpair": 8, "send": 9,
		"recv": 10, "sendto": 11, "recvfrom": 12, "shutdown": 13,
		"setsockopt": 14, "getsockopt": 15, "sendmsg": 16, "recvmsg": 17,
		"accept4": 18,
	}
	x86IPCCalls = map[string]uint64{
		"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4,
		"msgsnd": 11, "msgrcv": 12, "msgget": 13, "msgctl": 14,
		"shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
	}
)

// translate maps one syscall name of a rule onto arch t. A name the arch
// lacks is skipped, as runc and libseccomp do. On i386, libseccomp 2.5
// (arch-x86.c) also adds every socket and SysV IPC call as a rule on
// socketcall/ipc whose argument 0 must equal the call's multiplexer
// number, replacing any condition the rule had on argument 0; the direct
// syscall (Linux 4.3+) keeps the rule as written.
func translate(t systab.Arch, name string, args []schema.Arg) (out [2]translated, n int) {
	nr, direct := systab.SyscallNumber(t.Name, name)
	if t.Name == "SCMP_ARCH_X86" {
		mux, muxName, table := uint64(0), "", map[string]uint64(nil)
		if n, ok := x86SocketCalls[name]; ok && (!direct || (nr >= 359 && nr <= 373)) {
			mux, muxName, table = n, "socketcall", x86SocketCalls
		} else if n, ok := x86IPCCalls[name]; ok && (!direct || (nr >= 393 && nr <= 402)) {
			mux, muxName, table = n, "ipc", x86IPCCalls
		}
		if table != nil {
			if mnr, ok := systab.SyscallNumber(t.Name, muxName); ok {
				margs := []schema.Arg{{Index: 0, Op: "SCMP_CMP_EQ", Value: mux}}
				for _, a := range args {
					if a.Index != 0 {
						margs = append(margs, a)
					}
				}
				out[n] = translated{nr: uint32(mnr), name: muxName, args: margs}
				n++
			}
		}
	}
	if direct {
		out[n] = translated{nr: uint32(nr), name: name, args: args}
		n++
	}
	return out, n
}

// conds turns a rule's arguments into the comparisons t's filter makes,
// dropping those libseccomp drops: MASKED_EQ with nothing left of the mask.
func conds(t systab.Arch, args []schema.Arg) []Cond {
	var out []Cond
	for _, a := range args {
		c := Cond{Arg: int(a.Index), Op: a.Op, Value: a.Value, op: cmpOps[a.Op]}
		if a.Op == "SCMP_CMP_MASKED_EQ" {
			c.Mask, c.Value = a.Value, a.ValueTwo&a.Value
		}
		if t.Bits == 32 {
			c.Value &= 0xffffffff
			c.Mask &= 0xffffffff
		}
		if a.Op == "SCMP_CMP_MASKED_EQ" && c.Mask == 0 {
			continue
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(x, y Cond) int { return cmp.Compare(x.Arg, y.Arg) })
	return out
}

func (st *sysState) add(t systab.Arch, args []schema.Arg, act uint32, rule int) error {
	if st.hasUncond {
		// db_rule_add: an unconditional entry is "at least as large" as
		// anything added later, whatever its action.
		return nil
	}
	cs := conds(t, args)
	if len(cs) == 0 {
		// A new unconditional rule replaces the argument tree.
		st.hasUncond, st.uncond = true, Verdict{Action: act, Rule: rule}
		st.conds = nil
		return nil
	}
	for _, r := range st.conds {
		if slices.Equal(r.Conds, cs) {
			if r.Action != act {
				return fmt.Errorf("conditions equal to rule %d's with another action (libseccomp refuses this: EEXIST)", r.Rule)
			}
			return nil
		}
	}
	st.conds = append(st.conds, ArgRule{Conds: cs, Action: act, Rule: rule})
	return nil
}

// maxCondRules bounds the distinct conditional rules of one arch: each
// costs at least one instruction, so more cannot fit in a program, and
// the bound keeps duplicate detection from going quadratic on huge input.
const maxCondRules = 2 * bpf.MaxInstructions

// chainKey is one node of a rule's chain in libseccomp's argument tree
// (db.c): which argument half it loads, the comparison it makes after
// libseccomp's rewriting (op, datum, mask), and the operator it came from.
type chainKey struct {
	argPri int // argument << 1, +1 for the high half
	op     string
	datum  uint32
	mask   uint32
	orig   string
}

// chainKeys lists the nodes a rule's conditions become, in chain order.
// 64-bit arches compare the high half first; a range comparison's first
// node is a GT on the high half. 32-bit arches rewrite NE, LT and LE
// into EQ, GE and GT with the verdict on the false branch.
func chainKeys(t systab.Arch, cs []Cond) []chainKey {
	var out []chainKey
	for _, c := range cs {
		mask := uint64(0xffffffffffffffff)
		if c.Op == "SCMP_CMP_MASKED_EQ" {
			mask = c.Mask
		}
		if t.Bits == 64 {
			hiOp, loOp := "SCMP_CMP_EQ", "SCMP_CMP_EQ"
			switch c.Op {
			case "SCMP_CMP_MASKED_EQ":
				hiOp, loOp = c.Op, c.Op
			case "SCMP_CMP_GT", "SCMP_CMP_LE":
				hiOp, loOp = "SCMP_CMP_GT", "SCMP_CMP_GT"
			case "SCMP_CMP_GE", "SCMP_CMP_LT":
				hiOp, loOp = "SCMP_CMP_GT", "SCMP_CMP_GE"
			}
			out = append(out,
				chainKey{c.Arg<<1 + 1, hiOp, uint32(c.Value>>32) & uint32(mask>>32), uint32(mask >> 32), c.Op},
				chainKey{c.Arg << 1, loOp, uint32(c.Value) & uint32(mask), uint32(mask), c.Op})
			continue
		}
		op := c.Op
		switch op {
		case "SCMP_CMP_NE":
			op = "SCMP_CMP_EQ"
		case "SCMP_CMP_LT":
			op = "SCMP_CMP_GE"
		case "SCMP_CMP_LE":
			op = "SCMP_CMP_GT"
		}
		out = append(out, chainKey{c.Arg << 1, op, uint32(c.Value) & uint32(mask), uint32(mask), c.Op})
	}
	return out
}

func opPriority(op string) int {
	switch op {
	case "SCMP_CMP_MASKED_EQ", "SCMP_CMP_EQ", "SCMP_CMP_NE":
		return 3
	case "SCMP_CMP_LE", "SCMP_CMP_LT":
		return 2
	case "SCMP_CMP_GE", "SCMP_CMP_GT":
		return 1
	}
	return 0
}

// nodeEq is db.c's _db_chain_eq: nodes that merge into one.
func nodeEq(a, b chainKey) bool {
	return a.argPri == b.argPri && a.op == b.op && a.datum == b.datum && a.mask == b.mask
}

// nodeLt is db.c's _db_chain_lt.
func nodeLt(a, b chainKey) bool {
	if a.argPri != b.argPri {
		return a.argPri < b.argPri
	}
	if pa, pb := opPriority(a.orig), opPriority(b.orig); pa != pb {
		return pa < pb
	}
	if a.orig == "SCMP_CMP_LT" || a.orig == "SCMP_CMP_LE" {
		return a.datum > b.datum
	}
	return a.datum < b.datum
}

// sortRules puts rules in the order libseccomp's tree tests them:
// greater chains first, ties in the order they were added.
func sortRules(t systab.Arch, rules []ArgRule) []ArgRule {
	if len(rules) < 2 {
		return rules
	}
	type keyed struct {
		r ArgRule
		k []chainKey
	}
	ks := make([]keyed, len(rules))
	for i, r := range rules {
		ks[i] = keyed{r, chainKeys(t, r.Conds)}
	}
	slices.SortStableFunc(ks, func(x, y keyed) int { return compareKeys(y.k, x.k) })
	for i := range ks {
		rules[i] = ks[i].r
	}
	return rules
}

// compareKeys orders two chains as libseccomp's tree levels do: a level
// holds the first differing nodes, greater first, and nodes neither
// greater nor smaller stay in the order the rules were added.
func compareKeys(kx, ky []chainKey) int {
	for i := range min(len(kx), len(ky)) {
		a, b := kx[i], ky[i]
		if nodeEq(a, b) {
			continue
		}
		switch {
		case nodeLt(a, b):
			return -1
		case nodeLt(b, a):
			return 1
		}
		return 0
	}
	return 0
}
