package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/store"
)

func newAuditCmd(a *app) *cobra.Command {
	var (
		patient, actor, since, until string
		limit                        int
		asJSON                       bool
	)
	cmd := &cobra.Command{
		Use:   "audit [flags]",
		Short: "List the audit log of patient reads (who, when, which fields)",
		Long: `List the audit log, newest first: one line per patient whose data a response held,
with who read it (token name or OIDC subject), the role, when, through which service and
which fields. Subject ids are real ids, also for researchers' reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := store.AuditQuery{Actor: actor, Limit: limit}
			if patient != "" {
				id, err := strconv.ParseInt(patient, 10, 64)
				if err != nil || id <= 0 {
					return usageErr("--patient: want a subject id")
				}
				q.SubjectID = id
			}
			var err error
			if since != "" {
				if q.Since, err = parseCLITime(since); err != nil {
					return usageErr("--since: %v", err)
				}
			}
			if until != "" {
				if q.Until, err = parseCLITime(until); err != nil {
					return usageErr("--until: %v", err)
				}
			}
			if limit < 0 {
				return usageErr("--limit must not be negative")
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			entries, err := s.AuditLog(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				for _, e := range entries {
					if err := enc.Encode(auditJSON{Time: e.Time, Actor: e.Actor, Role: e.Role, Patient: e.SubjectID,
						Action: e.Action, Fields: e.Fields, Detail: e.Detail}); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tROLE\tPATIENT\tACTION\tFIELDS\tDETAIL")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Actor, e.Role, e.SubjectID,
					e.Action, strings.Join(e.Fields, ","), e.Detail)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&patient, "patient", "", "only reads of this subject id")
	f.StringVar(&actor, "actor", "", "only reads by this caller")
	f.StringVar(&since, "since", "", "only reads at or after this time (RFC 3339 or date)")
	f.StringVar(&until, "until", "", "only reads before this time (RFC 3339 or date)")
	f.IntVar(&limit, "limit", 100, "at most this many entries (0: all)")
	f.BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

type auditJSON struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	Patient int64     `json:"patient"`
	Action  string    `json:"action"`
	Fields  []string  `json:"fields"`
	Detail  string    `json:"detail,omitempty"`
}
