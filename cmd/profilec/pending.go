package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Commands whose issues are still open answer "not implemented yet" with
// the usage status, so scripts can tell them from a refused profile.
func init() {
	for _, c := range []struct{ use, short, example string }{
		{"convert IN [--to yaml|docker|oci|k8s|bpf] [-o OUT]", "Convert between profilec, Docker, OCI and Kubernetes formats", "  profilec convert docker.json --to yaml"},
		{"diff OLD NEW", "Show what a profile change lets a program do, in words", "  profilec diff old.yaml new.yaml"},
		{"review [--base REF] [PATH...]", "Review the profiles changed in a git repository", "  profilec review --base origin/main"},
		{"record [-o OUT] -- CMD [ARG...]", "Record a profile from a program's observed behaviour", "  profilec record -o app.yaml -- ./app"},
	} {
		c := c
		register(func(a *app) *cobra.Command {
			return &cobra.Command{
				Use:                c.use,
				Short:              c.short + " (not implemented yet)",
				Example:            c.example,
				Args:               cobra.ArbitraryArgs,
				FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
				RunE: func(cmd *cobra.Command, args []string) error {
					return &exitError{code: exitUsage, err: fmt.Errorf("%s: not implemented yet", cmd.Name())}
				},
			}
		})
	}
}
