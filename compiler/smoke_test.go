package compiler

import (
	"testing"

	"github.com/profilec/profilec/compiler/compilertest"
)

func TestSmoke(t *testing.T) {
	s := compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1")
	for _, o := range []Options{{}, {NoOptimize: true}} {
		p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", o)
		if err != nil {
			t.Fatal(err)
		}
		tot, worst := 0, 0
		for nr := 0; nr < 460; nr++ {
			_, n, err := Run(p.Instructions, SeccompData{Nr: int32(nr), Arch: 0xc000003e})
			if err != nil {
				t.Fatal(err)
			}
			tot += n
			worst = max(worst, n)
		}
		t.Logf("%+v: len %d mean %.2f worst %d", o, len(p.Instructions), float64(tot)/460, worst)
	}
}

func TestDump(t *testing.T) {
	s := compilertest.DockerDefault("x86_64", compilertest.DockerDefaultCaps(), "6.1")
	p, err := CompileSeccomp(s, "SCMP_ARCH_X86_64", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + Disassemble(p.Instructions, []string{"x86_64", "x86", "x32"}))
}
