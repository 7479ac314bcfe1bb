package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newRunsCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recent ingest runs and their files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			runs, err := s.Runs(cmd.Context(), limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, r := range runs {
				fmt.Fprintf(tw, "run %d\t%s\t%s\t%s\n", r.ID, r.Started.Format(time.RFC3339), r.Status, r.Command)
				for _, f := range r.Files {
					fmt.Fprintf(tw, "  %s\t%s\t%s\taccepted=%d duplicate=%d superseded=%d stale=%d rejected=%d\n",
						f.Status, f.Format, f.Path, f.Accepted, f.Duplicate, f.Superseded, f.Stale, f.Rejected)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 10, "how many runs")
	return cmd
}

// pathSize sums the sizes of the regular files under p (for progress).
func pathSize(p string) int64 {
	var total int64
	filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			total += info.Size()
		}
		return nil
	})
	return total
}
