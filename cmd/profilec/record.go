package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/recorder"
	"github.com/profilec/profilec/schema"
)

func init() { register(newRecordCmd) }

func newRecordCmd(a *app) *cobra.Command {
	var (
		out, base, merge, name, tracer string
		timeout                        time.Duration
	)
	cmd := &cobra.Command{
		Use:   "record [-o OUT] [--base PROFILE] [--merge EXISTING] [--tracer TRACER] -- CMD [ARG...]",
		Short: "Record a profile from a program's observed behaviour",
		Long: `record runs CMD, and every process and thread it starts, under a seccomp
filter that reports each syscall to profilec and then lets it proceed.
When the last process has exited it
writes a profile that allows exactly the syscalls seen, each rule with a
comment saying how often. personality, clone and socket are allowed only
with the argument values seen (flags, family). clone3, whose flags the
filter cannot read, is answered ENOSYS while recording and in the profile,
so that libc falls back to clone.

--merge adds the run to a profile recorded earlier (counts are added, rules
and values united); it may name the same file as -o. --base writes a profile
that extends PROFILE and names only the syscalls the base did not allow
every time they were made.

record traces the tree with ptrace under a seccomp filter that stops each
syscall once (Linux 5.3+); it needs no privilege: no_new_privs is set
before the filter. Where no filter can be installed it uses ptrace's
syscall stops (slower: two per syscall); where ptrace is refused, seccomp
user notification (Linux 5.8+), under which a signal can interrupt a call
that waits for profilec (docs/record.md). --tracer ptrace or notify forces
one. Exit status:
the command's own when it failed (the profile is written anyway), 3 when
recording failed.`,
		Example: `  profilec record -o app.yaml -- ./app --selftest
  profilec record -o app.yaml --merge app.yaml -- ./app --other-mode
  profilec record --base docker-default -o extra.yaml -- ./app`,
		RunE: func(c *cobra.Command, args []string) error {
			dash := c.ArgsLenAtDash()
			if dash < 0 {
				return &exitError{code: exitUsage, err: errors.New("record: put -- before the command, as in: profilec record -o OUT -- CMD [ARG...]")}
			}
			if dash > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("record: unexpected arguments before --: %q", args[:dash])}
			}
			argv := args[dash:]
			if len(argv) == 0 {
				return &exitError{code: exitUsage, err: errors.New("record: no command after --")}
			}
			tr, err := recorder.ParseTracer(tracer)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("record: --tracer: %w", err)}
			}
			if timeout < 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("record: --timeout %v is negative", timeout)}
			}
			wo := recorder.WriteOptions{Name: name, Command: argv}
			ro := recorder.Options{Stdin: c.InOrStdin(), Stdout: a.stdout, Stderr: a.stderr, Tracer: tr}
			if merge != "" {
				p, err := schema.Load(merge, schemaOptions())
				if err != nil {
					return &exitError{code: exitRefused, err: fmt.Errorf("load %s: %w", merge, err)}
				}
				rec, err := recorder.FromProfile(p)
				if err != nil {
					return &exitError{code: exitRefused, err: fmt.Errorf("merge %s: %w", merge, err)}
				}
				ro.Recording = rec
				if name == "" {
					wo.Name = p.Name
				}
				if base == "" && len(p.Extends) == 1 {
					// Keep what the earlier recording extended.
					wo.Base = p.Extends[0]
				}
			}
			if base != "" {
				r, err := a.loadResolved(c.Context(), base, "", "")
				if err != nil {
					return &exitError{code: exitRefused, err: fmt.Errorf("load base %s: %w", base, err)}
				}
				pl, err := compiler.Compile(r, compiler.Options{})
				if err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("compile base %s: %w", base, err)}
				}
				if ro.Base, err = recorder.BaseAllows(pl); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				wo.Base = extendsRef(base, out)
			}
			ctx := c.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			res, err := recorder.Record(ctx, argv, ro)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if res.Fallback != "" {
				fmt.Fprintf(a.stderr, "profilec: record: %s\n", res.Fallback)
			}
			data, err := res.Recording.Profile(wo)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if err := writeRecorded(out, data, a); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if res.ExitCode != 0 {
				fmt.Fprintf(a.stderr, "profilec: record: %s exited with status %d; the profile covers that run\n", argv[0], res.ExitCode)
				return &exitError{code: res.ExitCode}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "-", "write the profile to `OUT` (- for stdout)")
	cmd.Flags().StringVar(&base, "base", "", "extend `PROFILE` (a file or built-in base) and record only what it does not allow")
	cmd.Flags().StringVar(&merge, "merge", "", "add this run to `EXISTING`, a profile recorded earlier")
	cmd.Flags().StringVar(&name, "name", "", "the profile's `NAME` (default: recorded, or the merged profile's)")
	cmd.Flags().StringVar(&tracer, "tracer", "auto", "watch syscalls through `TRACER`: ptrace, notify (seccomp user notification), or auto (ptrace where allowed)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "kill the whole process tree after `DURATION` and write nothing (0: none)")
	return cmd
}

// extendsRef is how the written profile names base: a built-in name as
// is, a file relative to the output's directory, since extends paths are
// resolved against the file that names them.
func extendsRef(base, out string) string {
	if _, ok := bases.Get(base); ok {
		return base
	}
	dir := "."
	if out != "-" && out != "" {
		dir = filepath.Dir(out)
	}
	absBase, err1 := filepath.Abs(base)
	absDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return base
	}
	if rel, err := filepath.Rel(absDir, absBase); err == nil {
		return rel
	}
	return absBase
}

// writeRecorded replaces out whole (through a rename), so a merge into the
// same file never leaves it half written.
func writeRecorded(out string, data []byte, a *app) error {
	if out == "-" || out == "" {
		_, err := a.stdout.Write(data)
		return err
	}
	// A symlink keeps pointing where it did: the file it names is
	// replaced. A device or FIFO (/dev/null, /dev/stdout, a pipe) is
	// written to, never replaced by a file.
	if p, err := filepath.EvalSymlinks(out); err == nil {
		out = p
	}
	if st, err := os.Stat(out); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return fmt.Errorf("write profile: %s is a directory", out)
		}
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("write profile: %w", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write profile: %w", err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".profilec-record-*")
	if err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}
