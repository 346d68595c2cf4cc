package systab

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/profilec/profilec/internal/testenv"
)

// readUnistd parses a kernel uapi unistd_*.h: "#define __NR_read 0" or, in
// unistd_x32.h, "#define __NR_read (__X32_SYSCALL_BIT + 0)".
func readUnistd(t *testing.T, path string, bit int) map[string]int {
	t.Helper()
	testenv.RequireFile(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "#define __NR_"), " ")
		if !ok || !strings.HasPrefix(sc.Text(), "#define __NR_") {
			continue
		}
		val = strings.TrimSpace(val)
		if v, ok := strings.CutPrefix(val, "(__X32_SYSCALL_BIT + "); ok {
			val = strings.TrimSuffix(v, ")")
		}
		n, err := strconv.Atoi(val)
		if err != nil {
			t.Fatalf("%s: cannot parse %q", path, sc.Text())
		}
		res[name] = n | bit
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(res) < 300 {
		t.Fatalf("%s: only %d syscalls", path, len(res))
	}
	return res
}

// TestAgainstKernelHeaders compares the x86 family with the kernel's own
// uapi headers (linux-libc-dev), an oracle independent of both x/sys/unix
// and libseccomp. The headers may be older than x/sys: a syscall we have
// and they lack is fine, as long as its number is free in the headers.
func TestAgainstKernelHeaders(t *testing.T) {
	const dir = "/usr/include/x86_64-linux-gnu/asm/"
	cases := []struct {
		arch, file string
		bit        int
	}{
		{"SCMP_ARCH_X86_64", "unistd_64.h", 0},
		{"SCMP_ARCH_X86", "unistd_32.h", 0},
		{"SCMP_ARCH_X32", "unistd_x32.h", 0x40000000},
	}
	// A syscall that one header of this kernel has and another lacks does
	// not exist on the other's ABI (x32 has no uselib, x86_64 no
	// socketcall): we must not have it there either.
	headers := map[string]map[string]int{}
	inSome := map[string]bool{}
	for _, tc := range cases {
		headers[tc.file] = readUnistd(t, dir+tc.file, tc.bit)
		for n := range headers[tc.file] {
			inSome[n] = true
		}
	}
	for _, tc := range cases {
		t.Run(tc.arch, func(t *testing.T) {
			hdr := headers[tc.file]
			for name, nr := range hdr {
				if got, ok := SyscallNumber(tc.arch, name); !ok || got != nr {
					t.Errorf("%s: %d, %v here; %d in %s", name, got, ok, nr, tc.file)
				}
			}
			byNr := map[int]string{}
			for name, nr := range hdr {
				byNr[nr] = name
			}
			newer := 0
			for _, name := range SyscallNames(tc.arch) {
				nr, _ := SyscallNumber(tc.arch, name)
				if _, ok := hdr[name]; ok {
					continue
				}
				if other, taken := byNr[nr]; taken {
					t.Errorf("%s: %d here, which %s says is %s", name, nr, tc.file, other)
				}
				if inSome[name] {
					t.Errorf("%s: %d here, but the kernel of these headers has it only on other x86 ABIs", name, nr)
				}
				newer++
			}
			t.Logf("%d syscalls agree with %s; %d newer than it", len(hdr), tc.file, newer)
		})
	}
}
