package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newMaintainCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "maintain",
		Short: "Reorganise the store for fast per-patient reads and refresh statistics",
		Long: `Reorganise the store for read locality and refresh the planner's statistics.

PostgreSQL: when the events table's physical order has drifted from patient order (data
arriving in time order scatters each patient's rows), the table is rewritten in patient
order; reads go on meanwhile, appends wait until the rewrite is swapped in. Then VACUUM
and ANALYZE. Run it after large ingests or nightly; it returns quickly when the layout is
still clustered.

SQLite: PRAGMA optimize (rows are already clustered by patient).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			start := time.Now()
			if err := s.Maintain(ctx); err != nil {
				return err
			}
			if !a.quiet {
				fmt.Fprintf(a.stdout, "maintenance done in %s\n", time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
}
