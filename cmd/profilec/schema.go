package main

import (
	"github.com/spf13/cobra"

	"github.com/profilec/profilec/schema"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (draft-07) of the profile language",
		Long: `schema prints a JSON Schema of the profile language. Editors that speak the
YAML language server use it for completion and checks: save it, then start a
profile with

  # yaml-language-server: $schema=./profilec.schema.json`,
		Example: `  profilec schema > profilec.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := a.stdout.Write(schema.JSONSchema())
			return err
		},
	}
}
