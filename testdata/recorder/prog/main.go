// Command prog is a small static program the recorder's tests record and
// then run under the recorded profile.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: prog threads DIR | socket unix|inet | clone3 [fork] | execthread")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "threads":
		// Several OS threads, a file written and read back, a child process.
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				p := filepath.Join(os.Args[2], fmt.Sprint("f", i))
				if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				if _, err := os.ReadFile(p); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			}()
		}
		wg.Wait()
		// What the Go runtime does only sometimes, done every run: sleep
		// (timers, the netpoller's wait) and a long-running goroutine
		// (sysmon's preemption signal).
		time.Sleep(20 * time.Millisecond)
		for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
		}
		if err := exec.Command("/bin/busybox", "true").Run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ok")
	case "execthread":
		// execve from a thread that is not the leader: the kernel kills
		// the other threads and the exec'ing one takes the leader's pid.
		done := make(chan error)
		go func() {
			runtime.LockOSThread()
			done <- syscall.Exec("/bin/busybox", []string{"busybox", "echo", "exec'd"}, os.Environ())
		}()
		fmt.Fprintln(os.Stderr, <-done)
		os.Exit(1)
	case "socket":
		family := syscall.AF_UNIX
		if os.Args[2] == "inet" {
			family = syscall.AF_INET
		}
		fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
		if err != nil {
			fmt.Println("socket:", int(err.(syscall.Errno)))
			os.Exit(1)
		}
		syscall.Close(fd)
		fmt.Println("ok")
	case "clone3":
		// clone3(NULL, 0) fails either way; which errno says who answered.
		var args, size uintptr
		if len(os.Args) > 2 && os.Args[2] == "fork" {
			// A valid clone3 (a fork): it must not run either. Were it to,
			// the child says so and exits, before any Go code runs in it.
			ca := [8]uint64{4: uint64(syscall.SIGCHLD)} // struct clone_args, VER0
			args, size = uintptr(unsafe.Pointer(&ca)), unsafe.Sizeof(ca)
		}
		msg := []byte("clone3 child ran\n")
		r, _, e := syscall.RawSyscall(435, args, size, 0)
		if r == 0 && e == 0 {
			syscall.RawSyscall(syscall.SYS_WRITE, 1, uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
		fmt.Println("clone3:", int(e))
	default:
		os.Exit(2)
	}
}
