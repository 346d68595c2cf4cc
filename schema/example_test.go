package schema_test

import (
	"errors"
	"fmt"

	"github.com/profilec/profilec/schema"
)

func ExampleLoadResolved() {
	t := schema.Target{Arch: "x86_64", Kernel: "6.1"}
	r, err := schema.LoadResolved("../testdata/profiles/conditions.yaml", t, schema.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Seccomp.DefaultAction, r.Seccomp.Architectures)
	fmt.Println(r.Capabilities.Bounding)
	for _, rule := range r.Seccomp.Syscalls {
		fmt.Println(rule.Action, rule.Names)
	}
	// Output:
	// SCMP_ACT_ERRNO [SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32]
	// [CAP_BPF CAP_SYS_PTRACE]
	// SCMP_ACT_ALLOW [read write exit_group]
	// SCMP_ACT_ALLOW [ptrace process_vm_readv]
	// SCMP_ACT_ALLOW [bpf]
	// SCMP_ACT_ALLOW [arch_prctl modify_ldt]
	// SCMP_ACT_ALLOW [futex_waitv]
}

func ExampleErrorList() {
	_, err := schema.LoadBytes("p.yaml", []byte("version: 1\ncapabilites: {add: [chown]}\n"), schema.Options{})
	var list schema.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e.Code, e.Pos.Line, e.Pos.Col, e.Path, e.Suggestion)
		}
	}
	// Output:
	// unknown-field 2 1 capabilites capabilities
}
