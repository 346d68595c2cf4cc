// Command testprog is the enforcer tests' target: it tries what a confined
// program might try and prints what the kernel answered.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// int80 makes an i386 syscall through the compat entry (int $0x80).
func int80(nr, a1, a2, a3 uintptr) uintptr

func errno(r1 uintptr, e syscall.Errno) string {
	if e != 0 {
		return strconv.Itoa(int(e))
	}
	return "0"
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testprog MODE")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "hog":
		mib, _ := strconv.Atoi(os.Args[2])
		var keep [][]byte
		for i := 0; i < mib; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB")
	case "x32":
		// getpid (39) in the x32 table: same number with bit 30 set.
		r, _, e := syscall.RawSyscall(39|0x40000000, 0, 0, 0)
		fmt.Printf("x32 getpid r=%d errno=%s\n", r, errno(r, e))
	case "nr-1":
		r, _, e := syscall.RawSyscall(^uintptr(0), 0, 0, 0)
		fmt.Printf("nr-1 errno=%s\n", errno(r, e))
	case "int80":
		// getpid is 20 in the i386 table; a negative return is -errno.
		r := int80(20, 0, 0, 0)
		fmt.Printf("int80 getpid r=%d\n", int32(r))
	case "args":
		// close(2) takes an unsigned int: the kernel drops the high half,
		// a seccomp filter on a 64-bit arch must not.
		_, _, e1 := syscall.RawSyscall(syscall.SYS_CLOSE, 0x1234, 0, 0)
		_, _, e2 := syscall.RawSyscall(syscall.SYS_CLOSE, 0x1_0000_1234, 0, 0)
		fmt.Printf("close low errno=%d high errno=%d\n", int(e1), int(e2))
	case "sleep":
		d, _ := time.ParseDuration(os.Args[2])
		time.Sleep(d)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}
