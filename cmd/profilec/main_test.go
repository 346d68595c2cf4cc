package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/profilec/profilec/recorder"
)

func TestMain(m *testing.M) {
	// record re-executes this test binary as its init stage.
	recorder.Main()
	testscript.Main(m, map[string]func(){
		"profilec": func() {
			recorder.Main()
			os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: each is named after
// the command or area it covers first (compile_formats, load_errors, ...).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// Scripts refer to shared profiles as $PROFILES/NAME.yaml.
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			env.Setenv("PROFILES", wd+"/../../testdata/profiles")
			env.Setenv("CI", os.Getenv("CI"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
		},
	})
}

// cmdExits runs a program and checks its exact exit status, since the
// statuses (1 refused, 2 usage, 3+ failure, the target's own) are part of
// the CLI's contract: exits N PROG [ARG...].
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
