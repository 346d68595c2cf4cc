package bpf

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func mustProgram(t *testing.T, b *Builder) Program {
	t.Helper()
	p, err := b.Program()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuilderErrors(t *testing.T) {
	var b Builder
	l := b.NewLabel()
	b.Goto(l)
	if _, err := b.Program(); err == nil || !strings.Contains(err.Error(), "unbound") {
		t.Fatalf("unbound label: err = %v", err)
	}
	var b2 Builder
	l2 := b2.NewLabel()
	b2.Bind(l2)
	b2.Bind(l2)
	b2.Ret(0)
	if _, err := b2.Program(); err == nil {
		t.Fatal("label bound twice: no error")
	}
	var b3 Builder
	b3.Goto(Label{})
	if _, err := b3.Program(); err == nil {
		t.Fatal("zero label: no error")
	}
	// A backward jump is refused: cBPF only jumps forward.
	var b4 Builder
	back := b4.NewLabel()
	b4.Bind(back)
	b4.LoadAbs(0)
	b4.Goto(back)
	if _, err := b4.Program(); err == nil {
		t.Fatal("backward jump: no error")
	}
}

// farProgram compares nr with n constants; each miss skips a block of pad
// loads, so the "equal" jumps must reach past 255 instructions.
func farProgram(t *testing.T, n, pad int) Program {
	var b Builder
	hit := b.NewLabel()
	b.LoadAbs(0)
	for i := range n {
		next := b.NewLabel()
		b.Jump(JEQ, uint32(i), hit, next)
		b.Bind(next)
		for range pad {
			b.LoadAbs(0)
		}
	}
	b.Ret(1)
	b.Bind(hit)
	b.Ret(2)
	return mustProgram(t, &b)
}

func TestFarJumps(t *testing.T) {
	p := farProgram(t, 40, 10) // ~440 instructions: early jumps need trampolines
	r, err := Assemble(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(r) <= len(p) {
		t.Fatalf("no trampolines added: %d -> %d instructions", len(p), len(r))
	}
	for nr := int32(-1); nr < 45; nr++ {
		want := uint32(1)
		if nr >= 0 && nr < 40 {
			want = 2
		}
		got, _, err := Run(r, Data{Nr: nr, Arch: 0xc000003e})
		if err != nil || got != want {
			t.Errorf("nr %d: got %d, %v; want %d", nr, got, err, want)
		}
	}
	// Optimising keeps it valid and equivalent.
	o, err := Assemble(Optimize(p))
	if err != nil {
		t.Fatal(err)
	}
	for nr := int32(-1); nr < 45; nr++ {
		a, _, _ := Run(r, Data{Nr: nr, Arch: 0xc000003e})
		b, _, _ := Run(o, Data{Nr: nr, Arch: 0xc000003e})
		if a != b {
			t.Errorf("nr %d: optimised %d, plain %d", nr, b, a)
		}
	}
}

func TestTooLong(t *testing.T) {
	_, err := Assemble(farProgram(t, 500, 8))
	if err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Fatalf("err = %v, want the 4096 limit", err)
	}
}

func TestValidate(t *testing.T) {
	for name, r := range map[string][]RawInsn{
		"empty":        nil,
		"no ret":       {{Code: LdAbsW}},
		"unaligned":    {{Code: LdAbsW, K: 2}, {Code: RetK}},
		"past data":    {{Code: LdAbsW, K: 64}, {Code: RetK}},
		"jump off end": {{Code: JeqK, Jt: 5}, {Code: RetK}},
		"byte load":    {{Code: ClassLD | 0x10 | ModeABS}, {Code: RetK}},
		"div zero":     {{Code: ClassALU | OpDiv}, {Code: RetK}},
		"ja off end":   {{Code: JmpA, K: 1}, {Code: RetK}},
		"mod":          {{Code: ClassALU | OpMod, K: 3}, {Code: RetK}},
	} {
		if err := Validate(r); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRunSemantics(t *testing.T) {
	// Loads of arg 1 halves on a little- and a big-endian arch.
	d := Data{Nr: 7, Arch: 0xc000003e, Args: [6]uint64{0, 0x1122334455667788}}
	lo := []RawInsn{{Code: LdAbsW, K: 24}, {Code: ClassRET | SrcA}}
	hi := []RawInsn{{Code: LdAbsW, K: 28}, {Code: ClassRET | SrcA}}
	if v, _, _ := Run(lo, d); v != 0x55667788 {
		t.Errorf("LE low half = %#x", v)
	}
	if v, _, _ := Run(hi, d); v != 0x11223344 {
		t.Errorf("LE high half = %#x", v)
	}
	d.Arch = 0x80000016 // s390x: big-endian, the high half comes first
	if v, _, _ := Run(lo, d); v != 0x11223344 {
		t.Errorf("BE word at +0 = %#x", v)
	}
	alu := []RawInsn{
		{Code: ClassLD | ModeIMM, K: 6},
		{Code: ClassST, K: 3},
		{Code: ClassLDX | ModeIMM, K: 4},
		{Code: ClassALU | OpMul | SrcX},  // 24
		{Code: ClassALU | OpSub, K: 2},   // 22
		{Code: ClassALU | OpLsh, K: 1},   // 44
		{Code: ClassALU | OpXor, K: 1},   // 45
		{Code: ClassLDX | ModeMEM, K: 3}, // x = 6
		{Code: ClassALU | OpDiv | SrcX},  // 7
		{Code: ClassMISC | MiscTAX},      // x = 7
		{Code: JgeK, K: 7, Jt: 0, Jf: 1}, // taken
		{Code: RetK | SrcA},              // ret 7
		{Code: RetK, K: 99},
	}
	if v, n, err := Run(alu, Data{Arch: 0xc000003e}); v != 7 || n != 12 || err != nil {
		t.Errorf("alu program = %d after %d instructions, %v; want 7 after 12", v, n, err)
	}
	divx := []RawInsn{{Code: ClassALU | OpDiv | SrcX}, {Code: RetK, K: 5}}
	if v, _, _ := Run(divx, Data{Arch: 0xc000003e}); v != 0 {
		t.Errorf("division by X = 0 returned %d, want 0", v)
	}
}

// randomProgram builds a random loop-free program over nr and two args.
func randomProgram(rng *rand.Rand, n int) Program {
	var b Builder
	labels := make([]Label, n+1)
	for i := range labels {
		labels[i] = b.NewLabel()
	}
	rets := []uint32{0, 0x7fff0000, 0x50001, 0x80000000}
	for i := range n {
		b.Bind(labels[i])
		pick := func() Label { return labels[i+1+rng.IntN(n-i)] }
		switch rng.IntN(6) {
		case 0:
			b.LoadAbs([]uint32{0, 4, 16, 20, 24}[rng.IntN(5)])
		case 1:
			b.Jump([]uint16{JEQ, JGT, JGE, JSET}[rng.IntN(4)], uint32(rng.IntN(8)), pick(), pick())
		case 2:
			b.Goto(pick())
		case 3:
			b.Ret(rets[rng.IntN(len(rets))])
		case 4:
			b.And([]uint32{0xffffffff, 0, 1, 3, 0xf0}[rng.IntN(5)])
		default:
			b.Jump(JEQ, uint32(rng.IntN(4)), labels[i+1], labels[i+1])
		}
	}
	b.Bind(labels[n])
	b.Ret(0x7fff0000)
	p, err := b.Program()
	if err != nil {
		panic(err)
	}
	return p
}

func TestOptimizeEquivalent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 600 {
		p := randomProgram(rng, 5+rng.IntN(300))
		plain, err := Assemble(p)
		if err != nil {
			t.Fatal(err)
		}
		op := Optimize(p)
		opt, err := Assemble(op)
		if err != nil {
			t.Fatal(err)
		}
		if again := Optimize(op); !slices.Equal(again, op) {
			t.Fatalf("program %d: Optimize is not at a fixpoint", iter)
		}
		if len(opt) > len(plain) {
			// InlineRet trades a JA for a RET one for one, so the
			// optimised program is never longer.
			t.Errorf("program %d: optimised %d > plain %d instructions", iter, len(opt), len(plain))
		}
		for nr := int32(-1); nr < 9; nr++ {
			for _, a := range []uint64{0, 1, 3, 7, 1 << 32} {
				d := Data{Nr: nr, Arch: 0xc000003e, Args: [6]uint64{a, a >> 1}}
				x, nx, err1 := Run(plain, d)
				y, ny, err2 := Run(opt, d)
				if x != y || err1 != nil || err2 != nil {
					t.Fatalf("program %d, %+v: plain %#x (%v), optimised %#x (%v)\n%s", iter, d, x, err1, y, err2, Disassemble(plain, nil))
				}
				if ny > nx {
					t.Fatalf("program %d, %+v: optimised ran %d > %d instructions", iter, d, ny, nx)
				}
			}
		}
	}
}

func TestLiftRoundTrip(t *testing.T) {
	r, err := Assemble(farProgram(t, 30, 10))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Lift(r)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Assemble(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(r2) != len(r) {
		t.Fatalf("lift+assemble: %d instructions, want %d", len(r2), len(r))
	}
	for i := range r {
		if r[i] != r2[i] {
			t.Fatalf("instruction %d: %+v != %+v", i, r2[i], r[i])
		}
	}
}

func TestDisassemble(t *testing.T) {
	var b Builder
	yes, no := b.NewLabel(), b.NewLabel()
	b.LoadAbs(0)
	b.Jump(JEQ, 59, yes, no)
	b.Bind(yes)
	b.Ret(0x50001)
	b.Bind(no)
	b.Ret(0x7fff0000)
	r, err := Assemble(mustProgram(t, &b))
	if err != nil {
		t.Fatal(err)
	}
	got := Disassemble(r, func(pc int, in RawInsn) string {
		if pc == 1 {
			return "execve"
		}
		return ""
	})
	want := "           0  ld   [0]\n" +
		"           1  jeq  #0x3b, L2, L3                 ; execve\n" +
		"L2:        2  ret  #0x50001\n" +
		"L3:        3  ret  #0x7fff0000\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestMachineMatchesRun checks the word-based fast interpreter against the
// byte-based one on random programs and both byte orders.
func TestMachineMatchesRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		r, err := Assemble(randomProgram(rng, 5+rng.IntN(100)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMachine(r)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			d := Data{Nr: int32(rng.IntN(10)) - 1, Arch: []uint32{0xc000003e, 0x80000016}[rng.IntN(2)],
				Args: [6]uint64{rng.Uint64() % 9, rng.Uint64(), rng.Uint64() % 5}}
			a, na, err1 := Run(r, d)
			b, nb, err2 := m.Run(d)
			if a != b || na != nb || err1 != nil || err2 != nil {
				t.Fatalf("%+v: Run %#x/%d/%v, Machine.Run %#x/%d/%v", d, a, na, err1, b, nb, err2)
			}
		}
	}
}

// TestDisassembleEveryForm lists one instruction of every class seccomp
// allows, so no form falls through to the raw .word fallback.
func TestDisassembleEveryForm(t *testing.T) {
	r := []RawInsn{
		{Code: LdAbsW, K: 0}, {Code: ClassLD | ModeLEN}, {Code: ClassLD | ModeIMM, K: 7}, {Code: ClassLD | ModeMEM, K: 2},
		{Code: ClassLDX | ModeLEN}, {Code: ClassLDX | ModeIMM, K: 1}, {Code: ClassLDX | ModeMEM, K: 3},
		{Code: ClassST, K: 4}, {Code: ClassSTX, K: 5},
		{Code: ClassALU | OpAdd, K: 1}, {Code: ClassALU | OpSub | SrcX}, {Code: ClassALU | OpNeg},
		{Code: ClassMISC | MiscTAX}, {Code: ClassMISC | MiscTXA},
		{Code: JsetK, K: 8, Jt: 0, Jf: 1}, {Code: ClassJMP | JEQ | SrcX, Jt: 0, Jf: 0}, {Code: JmpA, K: 0},
		{Code: ClassRET | SrcA}, {Code: RetK, K: 5},
	}
	if err := Validate(r); err != nil {
		t.Fatal(err)
	}
	got := Disassemble(r, nil)
	for _, want := range []string{"ld   [0]", "ld   #len", "ld   #0x7", "ld   M[2]", "ldx  #len", "ldx  #0x1", "ldx  M[3]",
		"st   M[4]", "stx  M[5]", "add  #0x1", "sub  x", "neg", "tax", "txa", "jset #0x8, L15, L16", "jeq  x, L16, L16",
		"ja   L17", "ret  a", "ret  #0x5"} {
		if !strings.Contains(got, want) {
			t.Errorf("listing lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, ".word") {
		t.Errorf("a valid instruction fell back to .word:\n%s", got)
	}
	if got := Disassemble([]RawInsn{{Code: ClassLD | 0xe0}}, nil); !strings.Contains(got, ".word") {
		t.Errorf("unknown opcode listed as %q", got)
	}
}
