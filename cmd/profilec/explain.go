package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

func init() { register(newExplainCmd) }

func newExplainCmd(a *app) *cobra.Command {
	var (
		syscallName string
		argFlags    []string
		arch        string
		targetArch  string
		kernel      string
	)
	c := &cobra.Command{
		Use:   "explain PROFILE --syscall NAME [--arg N=VALUE]...",
		Short: "Run the compiled filter on one syscall and say which rule decided",
		Long: `explain compiles PROFILE, runs the seccomp program in profilec's interpreter
on one call (a syscall name or number, arguments, an architecture) and prints
the verdict together with the rule of the profile it came from. The profile
is compiled for --target (default: this machine); --arch names the
architecture the call is made from (default: the target), such as x86 or x32
on x86_64, which meet their own table or the bad-arch action.`,
		Example: `  profilec explain docker-default --syscall personality --arg 0=0x8
  profilec explain web.yaml --syscall socket --arg 0=AF_INET --arch x86
  profilec explain web.yaml --syscall 1000
  profilec explain web.yaml --target aarch64 --syscall openat`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if syscallName == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("explain needs --syscall NAME")}
			}
			r, err := a.loadResolved(cmd.Context(), args[0], targetArch, kernel)
			if err != nil {
				return err
			}
			if !r.Seccomp.Enabled {
				fmt.Fprintf(a.stdout, "%s has no seccomp section: every syscall is allowed\n", args[0])
				return nil
			}
			if arch == "" {
				arch = r.Target.Arch
			}
			call, err := pickArch(arch)
			if err != nil {
				return err
			}
			prog, err := compiler.CompileSeccomp(&r.Seccomp, r.Target.Arch, compiler.Options{})
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("compile %s: %w", args[0], err)}
			}
			d := compiler.SeccompData{Arch: call.Audit}
			nr, label, err := syscallNumber(call, syscallName)
			if err != nil {
				return err
			}
			d.Nr = int32(nr)
			for _, af := range argFlags {
				i, v, err := parseArgFlag(af)
				if err != nil {
					return err
				}
				d.Args[i] = v
			}
			action, executed, err := compiler.Run(prog.Instructions, d)
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("run program: %w", err)}
			}
			v := prog.IR.Evaluate(d)
			w := a.stdout
			fmt.Fprintf(w, "call:     %s (nr %d) on %s, args %s\n", label, nr, call.Short, formatArgs(d.Args))
			fmt.Fprintf(w, "verdict:  %s%s\n", compiler.ActionString(action), errnoHint(action))
			fmt.Fprintf(w, "executed: %d instructions\n", executed)
			switch {
			case v.Rule >= 0 && v.Rule < len(r.Seccomp.Syscalls):
				rule := r.Seccomp.Syscalls[v.Rule]
				fmt.Fprintf(w, "rule:     seccomp.syscalls[%d]%s: %s %s%s\n", v.Rule, atPos(rule.Pos), rule.Action, strings.Join(rule.Names, ", "), argsText(rule.Args))
				if rule.Comment != "" {
					fmt.Fprintf(w, "comment:  %s\n", rule.Comment)
				}
			case !slices.Contains(r.Seccomp.Architectures, call.Name):
				fmt.Fprintf(w, "rule:     %s is not an architecture of the profile (%s): the bad-arch action\n", call.Short, strings.Join(r.Seccomp.Architectures, ", "))
			default:
				fmt.Fprintf(w, "rule:     none matched: seccomp.defaultAction %s\n", r.Seccomp.DefaultAction)
			}
			if v.Action != action {
				// The verifier makes this unreachable for programs we wrote;
				// say so loudly rather than print a confident wrong answer.
				return &exitError{code: exitFailure, err: fmt.Errorf("internal error: program says %s, decision table says %s", compiler.ActionString(action), compiler.ActionString(v.Action))}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&syscallName, "syscall", "", "syscall NAME or number")
	f.StringArrayVar(&argFlags, "arg", nil, "argument N=VALUE (N 0-5; VALUE decimal, 0x hex, or -1)")
	f.StringVar(&arch, "arch", "", "architecture the call is made from (default: this machine's)")
	f.StringVar(&targetArch, "target", "", "architecture the profile is compiled for (default: this machine's)")
	f.StringVar(&kernel, "kernel", "", "kernel version MAJOR.MINOR for minKernel conditions")
	return c
}

func pickArch(name string) (systab.Arch, error) {
	if name == "" {
		return systab.NativeArch(), nil
	}
	a, ok := systab.LookupArch(name)
	if !ok {
		return a, &exitError{code: exitUsage, err: fmt.Errorf("unknown architecture %q (one of: %s)", name, strings.Join(archShortNames(), ", "))}
	}
	return a, nil
}

func syscallNumber(a systab.Arch, s string) (int, string, error) {
	if n, err := strconv.ParseInt(s, 0, 32); err == nil {
		name, ok := systab.SyscallName(a.Name, int(n))
		if !ok {
			name = "unknown syscall"
		}
		return int(n), name, nil
	}
	if n, ok := systab.SyscallNumber(a.Name, s); ok {
		return n, s, nil
	}
	if systab.KnownSyscall(s) {
		return 0, "", &exitError{code: exitUsage, err: fmt.Errorf("--syscall %s: %s has no such syscall (give its number to test it anyway)", s, a.Short)}
	}
	return 0, "", &exitError{code: exitUsage, err: fmt.Errorf("--syscall %s: unknown syscall", s)}
}

func parseArgFlag(s string) (int, uint64, error) {
	k, v, ok := strings.Cut(s, "=")
	i, err := strconv.Atoi(k)
	if !ok || err != nil || i < 0 || i > 5 {
		return 0, 0, &exitError{code: exitUsage, err: fmt.Errorf("--arg %q: want N=VALUE with N from 0 to 5", s)}
	}
	if u, err := strconv.ParseUint(v, 0, 64); err == nil {
		return i, u, nil
	}
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		return i, uint64(n), nil
	}
	return 0, 0, &exitError{code: exitUsage, err: fmt.Errorf("--arg %q: VALUE is not a number", s)}
}

func formatArgs(a [6]uint64) string {
	parts := make([]string, len(a))
	for i, v := range a {
		parts[i] = fmt.Sprintf("%#x", v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func atPos(p schema.Pos) string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf(" at %s:%d:%d", p.File, p.Line, p.Col)
}

func argsText(args []schema.Arg) string {
	if len(args) == 0 {
		return ""
	}
	var parts []string
	for _, a := range args {
		op := strings.TrimPrefix(a.Op, "SCMP_CMP_")
		if a.Op == "SCMP_CMP_MASKED_EQ" {
			parts = append(parts, fmt.Sprintf("arg%d & %#x == %#x", a.Index, a.Value, a.ValueTwo))
			continue
		}
		parts = append(parts, fmt.Sprintf("arg%d %s %#x", a.Index, op, a.Value))
	}
	return " if " + strings.Join(parts, " and ")
}

// errnoHint names the errno of an ERRNO verdict, which the number alone hides.
func errnoHint(action uint32) string {
	if action&0xffff0000 != 0x00050000 {
		return ""
	}
	if name := systab.ErrnoName(int(action & 0xffff)); name != "" {
		return " " + name
	}
	return ""
}
