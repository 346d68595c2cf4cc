// Command profilec-init is profilec exec's init stage as a binary of its own: installed next to profilec, it is started instead of re-executing the whole CLI, which saves the CLI's start-up cost on every launch.
package main

import (
	"fmt"
	"os"

	"github.com/profilec/profilec/enforcer"
)

func main() {
	enforcer.Main()
	fmt.Fprintln(os.Stderr, "profilec-init: the init stage of profilec exec, started by profilec; not for running by hand")
	os.Exit(2)
}
