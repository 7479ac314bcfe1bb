package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Commands whose issues have not landed yet: they are listed by --help and
// say so when run.
func notYet(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short + " (not yet available)",
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return &exitError{code: exitFailure, err: errors.New(use + ": not yet available in this build")}
		},
	}
}

func newServeCmd(a *app) *cobra.Command {
	return notYet("serve", "Serve GraphQL, Arrow over HTTP, Flight and the web view")
}
func newAuditCmd(a *app) *cobra.Command {
	return notYet("audit", "List the audit log of patient reads")
}
func newDemoCmd(a *app) *cobra.Command {
	return notYet("demo", "Generate a sample cohort, ingest it and serve it")
}
