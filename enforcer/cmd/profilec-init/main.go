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
