package systab_test

import (
	"fmt"

	"github.com/profilec/profilec/schema/systab"
)

func ExampleLookupArch() {
	for _, s := range []string{"amd64", "i386", "aarch64", "SCMP_ARCH_X32"} {
		a, _ := systab.LookupArch(s)
		fmt.Printf("%s -> %s (Docker: %s, %d-bit args)\n", s, a.Name, a.Native, a.Bits)
	}
	// Output:
	// amd64 -> SCMP_ARCH_X86_64 (Docker: amd64, 64-bit args)
	// i386 -> SCMP_ARCH_X86 (Docker: x86, 32-bit args)
	// aarch64 -> SCMP_ARCH_AARCH64 (Docker: arm64, 64-bit args)
	// SCMP_ARCH_X32 -> SCMP_ARCH_X32 (Docker: x32, 32-bit args)
}

func ExampleSyscallNumber() {
	// x32 numbers carry bit 0x40000000; rt_sigaction has its own x32 number.
	for _, arch := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"} {
		nr, ok := systab.SyscallNumber(arch, "rt_sigaction")
		fmt.Printf("%s: %#x %v\n", arch, nr, ok)
	}
	// Output:
	// SCMP_ARCH_X86_64: 0xd true
	// SCMP_ARCH_X32: 0x40000200 true
	// SCMP_ARCH_X86: 0xae true
	// SCMP_ARCH_AARCH64: 0x86 true
}

func ExampleErrno() {
	n, _ := systab.Errno("EWOULDBLOCK")
	fmt.Println(n, systab.ErrnoName(n))
	c, _ := systab.Capability("net_bind_service")
	fmt.Println(c, systab.CapabilityName(c))
	// Output:
	// 11 EAGAIN
	// 10 CAP_NET_BIND_SERVICE
}
