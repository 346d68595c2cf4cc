package main

import (
	"github.com/spf13/cobra"

	"github.com/profilec/profilec/policies"
)

// policyFlags are the validation flags compile and exec share with validate.
type policyFlags struct {
	dirs, namespaces, data, sets []string
}

func (p *policyFlags) add(c *cobra.Command, o *pipelineOptions) {
	f := c.Flags()
	f.BoolVar(&o.noPolicy, "no-policy", false, "skip policy validation (the profile is still checked for errors)")
	f.StringArrayVar(&p.dirs, "policy", nil, "load organisation Rego policies from DIR (repeatable; conftest conventions)")
	f.StringArrayVar(&p.namespaces, "namespace", nil, "Rego package of the organisation policies (default main; repeatable)")
	f.StringArrayVar(&p.data, "data", nil, "add a JSON or YAML data FILE for the policies (repeatable)")
	f.StringArrayVar(&p.sets, "policy-set", nil, "also apply a built-in policy set, e.g. pss-restricted (repeatable)")
}

func (p *policyFlags) options() policies.Options {
	return policies.Options{PolicyDirs: p.dirs, Namespaces: p.namespaces, DataFiles: p.data, Sets: p.sets}
}
