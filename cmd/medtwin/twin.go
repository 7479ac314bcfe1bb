package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/all"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

// errNoPatient: the --patient argument names no patient of the store. The
// message never repeats the identifier (patient data).
var errNoPatient = errors.New("patient not found")

func newTwinCmd(a *app) *cobra.Command {
	var (
		patient, asOf string
		jsonOut       bool
		opts          = all.DefaultOptions()
		trendDays     float64
	)
	var recistBaseline, irecist string
	cmd := &cobra.Command{
		Use:   "twin --patient ID [--as-of TIME] [--json]",
		Short: "Print every twin of one patient",
		Long: `Print every digital twin of one patient (liver markers, pneumonia episodes, …) as of a
time: what a clinician could have known then (results count from when they were issued).

ID is a subject id or an identifier written SYSTEM|VALUE (e.g. urn:oid:1.2.250.1.999.1|12345).
--as-of defaults to now. Every run writes an audit entry (action cli-twin).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if patient == "" {
				return usageErr("twin: --patient is required")
			}
			at := time.Now().UTC().Truncate(time.Second)
			if asOf != "" {
				t, err := parseCLITime(asOf)
				if err != nil {
					return usageErr("twin: --as-of: %v", err)
				}
				at = t
			}
			if trendDays < 0 {
				return usageErr("twin: --trend-days must be positive")
			}
			opts.Liver.TrendWindow = time.Duration(trendDays * float64(twin.Day))
			if recistBaseline != "" {
				t, err := parseCLITime(recistBaseline)
				if err != nil {
					return usageErr("twin: --recist-baseline: %v", err)
				}
				opts.Oncology.BaselineDate = t
			}
			switch m := oncology.IRECISTMode(irecist); m {
			case oncology.IRECISTAuto, oncology.IRECISTOn, oncology.IRECISTOff:
				opts.Oncology.IRECIST = m
			default:
				return usageErr("twin: --irecist: want auto, on or off")
			}
			ctx := cmd.Context()
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			subject, err := resolvePatient(ctx, s, patient)
			if err != nil {
				return err
			}
			rep, err := twinReport(ctx, s, subject, at, all.Twins(opts))
			if err != nil {
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				writeTwinText(a.stdout, rep)
			}
			if err := rep.Err(); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&patient, "patient", "", "subject id or SYSTEM|VALUE identifier")
	f.StringVar(&asOf, "as-of", "", "as-of time, RFC 3339 or date (default now)")
	f.BoolVar(&jsonOut, "json", false, "print JSON")
	f.Float64Var(&opts.Liver.ASTULN, "ast-uln", opts.Liver.ASTULN, "AST upper limit of normal for APRI (U/L)")
	f.Float64Var(&trendDays, "trend-days", twin.Days(opts.Liver.TrendWindow), "window of the liver trends (days)")
	f.StringVar(&recistBaseline, "recist-baseline", "", "RECIST baseline: the last assessment at or before this date (default: per therapy line)")
	f.StringVar(&irecist, "irecist", string(oncology.IRECISTAuto), "iRECIST courses: auto (lines with an immune checkpoint inhibitor), on or off")
	f.BoolVar(&opts.Oncology.RequireConfirmation, "recist-confirm", opts.Oncology.RequireConfirmation, "CR/PR need confirmation ≥ 4 weeks later for the best overall response")
	return cmd
}

// resolvePatient maps a subject id or SYSTEM|VALUE to a subject id.
func resolvePatient(ctx context.Context, s store.Store, id string) (int64, error) {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && !strings.Contains(id, "|") {
		if n <= 0 {
			return 0, usageErr("twin: --patient: a subject id is a positive integer")
		}
		if _, err := s.Identifiers(ctx, n); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, errNoPatient
			}
			return 0, err
		}
		return n, nil
	}
	ident, err := timeline.ParseIdentifier(id)
	if err != nil {
		return 0, usageErr("twin: --patient: want a subject id or SYSTEM|VALUE")
	}
	n, err := s.Lookup(ctx, ident)
	if errors.Is(err, store.ErrNotFound) {
		return 0, errNoPatient
	}
	return n, err
}

// twinReport reads the patient as of at, audits the read and computes the
// twins. Nothing is returned unless the audit entry was written.
func twinReport(ctx context.Context, s store.Store, subject int64, at time.Time, twins []twin.Twin) (twin.Report, error) {
	v, err := twin.Load(ctx, s, subject, at, nil)
	if err != nil {
		return twin.Report{}, err
	}
	names := make([]string, len(twins))
	for i, t := range twins {
		names[i] = t.Name
	}
	entry := store.AuditEntry{
		Time: time.Now().UTC(), Actor: cliActor(), Role: "cli", SubjectID: subject, Action: "cli-twin",
		Fields: names, Detail: "as-of " + at.Format(time.RFC3339),
	}
	if err := s.WriteAudit(ctx, entry); err != nil {
		return twin.Report{}, fmt.Errorf("twin: writing the audit entry: %w", err)
	}
	return twin.Compute(v, twins), nil
}

// cliActor names the operating-system user running the command.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

// writeTwinText prints a short summary: each score's value at the
// reference time, and the pneumonia episodes.
func writeTwinText(w io.Writer, rep twin.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "subject %d as of %s\n", rep.Subject, rep.Reference.Format(time.RFC3339))
	for _, r := range rep.Results {
		if r.Err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", r.Name, r.Err)
			continue
		}
		switch v := r.Value.(type) {
		case *liver.Result:
			fmt.Fprintln(tw, "liver")
			for _, s := range v.Scores {
				if s.Current != nil {
					fmt.Fprintf(tw, "  %s\t%s\n", s.Name, scoreText(*s.Current))
				}
			}
			if st := v.Imaging.Steatosis; st != nil {
				fmt.Fprintf(tw, "  CT steatosis\t%s (liver %g HU, %s)\n", st.Steatosis, st.LiverHU, st.Time.Format("2006-01-02"))
			}
			if g := v.Genetics.Summary.Score; g != nil {
				fmt.Fprintf(tw, "  genetic risk score\t%d of 6\n", *g)
			}
		case *pneumonia.Result:
			fmt.Fprintf(tw, "pneumonia\t%d episode(s)\n", len(v.Episodes))
			for _, e := range v.Episodes {
				end := "open"
				if e.End != nil {
					end = e.End.Format("2006-01-02")
				}
				fmt.Fprintf(tw, "  %s – %s\tCURB-65 %s; PSI %s\n", e.Start.Format("2006-01-02"), end, scoreText(e.CURB65), scoreText(e.PSI))
			}
		case *oncology.Result:
			writeOncologyText(tw, v)
		default:
			fmt.Fprintf(tw, "%s\t(see --json)\n", r.Name)
		}
	}
	tw.Flush()
}

func scoreText(s twin.Score) string {
	switch {
	case s.Value != nil && s.Category != "":
		return fmt.Sprintf("%g (%s)", *s.Value, s.Category)
	case s.Value != nil:
		return fmt.Sprintf("%g", *s.Value)
	case s.Range != nil && s.Category != "":
		return fmt.Sprintf("%g–%g (%s; %s)", s.Range.Min, s.Range.Max, s.Category, s.NotComputable)
	case s.Range != nil:
		return fmt.Sprintf("%g–%g (%s)", s.Range.Min, s.Range.Max, s.NotComputable)
	}
	return "not computable: " + s.NotComputable
}

// writeOncologyText prints the oncology twin in a few lines: cancers, the
// current line, the current responses, markers and actionable variants.
func writeOncologyText(w io.Writer, v *oncology.Result) {
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	fmt.Fprintf(w, "oncology\t%d lesion(s), %d line(s)\n", len(v.Lesions), len(v.Lines))
	for _, c := range v.Cancers {
		when := ""
		if c.Onset != nil {
			when = ", " + day(*c.Onset)
		}
		fmt.Fprintf(w, "  cancer\t%s %s (%s%s)\n", c.Category, c.Site, c.Code, when)
	}
	if n := len(v.Lines); n > 0 {
		l := v.Lines[n-1]
		fmt.Fprintf(w, "  line %d\t%s since %s\n", l.Number, l.AgentNames(), day(l.Start))
	}
	for _, c := range v.Courses {
		if !c.Current {
			continue
		}
		if c.NotComputable != "" {
			fmt.Fprintf(w, "  %s\tnot computable: %s\n", c.Criteria, c.NotComputable)
			continue
		}
		last := "no follow-up yet"
		if n := len(c.TimePoints); n > 0 {
			o := c.TimePoints[n-1]
			last = fmt.Sprintf("%s %s", day(o.Time), o.Overall)
			if o.SumMM != nil && o.PctFromBaseline != nil {
				last += fmt.Sprintf(" (sum %g mm, %+g %%)", *o.SumMM, *o.PctFromBaseline)
			}
		}
		fmt.Fprintf(w, "  %s\tbaseline %s sum %g mm; last %s; best %s\n", c.Criteria, day(c.Baseline.Time), c.Baseline.SumMM, last, c.BestOverall)
	}
	for _, m := range v.Markers {
		k := ""
		if m.Kinetics != nil {
			k = fmt.Sprintf(", %s %g days", m.Kinetics.Kind, m.Kinetics.Days)
		}
		fmt.Fprintf(w, "  %s\t%g %s (%s)%s\n", m.Display, m.Latest.Value, m.Unit, day(m.Latest.Time), k)
	}
	for _, s := range v.Samples {
		for _, x := range s.Variants {
			if x.Actionable != nil {
				fmt.Fprintf(w, "  actionable\t%s (sample %s)\n", x.Actionable.Alteration, s.Sample)
			}
		}
	}
}
