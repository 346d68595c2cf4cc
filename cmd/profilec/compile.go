package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/profilec/profilec/compiler"
)

func init() { register(newCompileCmd) }

func newCompileCmd(a *app) *cobra.Command {
	var (
		out      string
		format   string
		noVerify bool
		o        pipelineOptions
		policy   policyFlags
	)
	c := &cobra.Command{
		Use:   "compile PROFILE",
		Short: "Compile a profile into a launch plan or a seccomp BPF program",
		Long: `compile loads PROFILE (a profilec YAML file, a built-in profile name such as
docker-default, or a bare Docker seccomp JSON file, which is resolved with
Docker's 14 default capabilities), validates it with the built-in policies,
and writes:

  plan      the launch plan JSON that "profilec exec PLAN" applies (default)
  bpf       the raw struct sock_filter array the kernel takes (bwrap --seccomp)
  disasm    a readable listing of the seccomp program
  resolved  the fully resolved profile (extends applied, conditions resolved
            for the target) as JSON

Every program is checked against the profile's decision table by an
interpreter before it is written (--no-verify skips that).`,
		Example: `  profilec compile web.yaml -o web.plan.json
  profilec compile docker-default --format disasm
  profilec compile web.yaml --arch aarch64 --kernel 5.10 --format bpf -o web.bpf
  profilec compile docker-default.json --format resolved`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.compiler.NoVerify = noVerify
			o.policy = policy.options()
			r, err := a.loadResolved(cmd.Context(), args[0], o.arch, o.kernel)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			switch format {
			case "resolved":
				if err := writeJSON(&buf, r); err != nil {
					return err
				}
			case "plan", "bpf", "disasm":
				if err := a.checkPolicy(cmd.Context(), r, o); err != nil {
					return err
				}
				p, err := compiler.Compile(r, o.compiler)
				if err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("compile %s: %w", args[0], err)}
				}
				switch format {
				case "plan":
					err = writeJSON(&buf, p)
				case "bpf":
					if p.Seccomp == nil {
						return &exitError{code: exitRefused, err: fmt.Errorf("compile %s: the profile has no seccomp section, so there is no program", args[0])}
					}
					for _, ins := range p.Seccomp.Program {
						// struct sock_filter is in the machine's byte order.
						err = binary.Write(&buf, binary.NativeEndian, ins)
					}
				case "disasm":
					if p.Seccomp == nil {
						return &exitError{code: exitRefused, err: fmt.Errorf("compile %s: the profile has no seccomp section, so there is no program", args[0])}
					}
					buf.WriteString(compiler.Disassemble(p.Seccomp.Program, p.Seccomp.Architectures))
				}
				if err != nil {
					return err
				}
			default:
				return &exitError{code: exitUsage, err: fmt.Errorf("--format %q: want plan, bpf, disasm or resolved", format)}
			}
			if out == "" || out == "-" {
				_, err := a.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("write output: %w", err)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	f.StringVar(&format, "format", "plan", "what to write: plan, bpf, disasm or resolved")
	f.BoolVar(&noVerify, "no-verify", false, "skip checking the program against the decision table")
	addTargetFlags(c, &o)
	policy.add(c, &o)
	return c
}

func addTargetFlags(c *cobra.Command, o *pipelineOptions) {
	c.Flags().StringVar(&o.arch, "arch", "", "target architecture (default: this machine's), e.g. x86_64, aarch64")
	c.Flags().StringVar(&o.kernel, "kernel", "", "kernel version MAJOR.MINOR that minKernel conditions see (default: the running kernel)")
}

func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
