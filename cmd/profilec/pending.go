package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Commands whose issues are still open answer "not implemented yet" with
// the usage status, so scripts can tell them from a refused profile.
func init() {
	for _, c := range []struct{ use, short, example string }{
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
