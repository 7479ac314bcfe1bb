package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/agreement"
	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/store"
)

func newEvaluateCmd(a *app) *cobra.Command {
	var (
		algorithm, version, asOf, knownBy, from, to string
		jsonOut, list                               bool
		opt                                         = evaluation.DefaultOptions("")
	)
	cmd := &cobra.Command{
		Use:   "evaluate --algorithm NAME [--version V] [--json]",
		Short: "Agreement of an imaging AI tool with radiologists and outcomes",
		Long: `Evaluate an imaging AI tool on the ingested data: every output of the tool (imaging features and
lesion measurements whose algorithm is NAME) is paired with the radiologist's value of the same
quantity of the same finding in the same study (pairing rules are listed in the output), and the
tool is compared with the radiologists (Bland–Altman bias and 95 % limits of agreement, ICC(2,1),
ICC(3,1), mean absolute and relative error; how often it changes a RECIST 1.1 response or a CT
steatosis category) and with later diagnoses (sensitivity, specificity, PPV, NPV with Wilson 95 %
intervals), per version, site, scanner and month, with change points at version and scanner
changes and a drift test.

--list prints the algorithms and versions the store holds. Every patient read is audited
(action cli-evaluate).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var err error
			for _, t := range []struct {
				name string
				in   string
				out  *time.Time
			}{{"as-of", asOf, &opt.AsOf}, {"known-by", knownBy, &opt.KnownBy}, {"from", from, &opt.From}, {"to", to, &opt.To}} {
				if t.in == "" {
					continue
				}
				if *t.out, err = parseCLITime(t.in); err != nil {
					return usageErr("evaluate: --%s: %v", t.name, err)
				}
			}
			if !list && strings.TrimSpace(algorithm) == "" {
				return usageErr("evaluate: --algorithm is required (--list shows the algorithms the store holds)")
			}
			if opt.Alpha <= 0 || opt.Alpha >= 1 {
				return usageErr("evaluate: --alpha must be within (0, 1)")
			}
			if opt.MinPairs < 2 {
				return usageErr("evaluate: --min-pairs must be at least 2")
			}
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if list {
				algs, err := evaluation.Algorithms(ctx, s, store.Filter{AsOf: opt.AsOf, KnownBy: opt.KnownBy})
				if err != nil {
					return err
				}
				if jsonOut {
					return writeJSON(a.stdout, algs)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ALGORITHM\tVERSION\tOUTPUTS")
				for _, al := range algs {
					fmt.Fprintf(tw, "%s\t%s\t%d\n", al.Name, al.Version, al.Outputs)
				}
				return tw.Flush()
			}
			opt.Algorithm, opt.Version = algorithm, strings.TrimSpace(version)
			detail := "algorithm " + opt.Algorithm
			if opt.Version != "" {
				detail += " version " + opt.Version
			}
			opt.Audit = &store.AuditEntry{Actor: cliActor(), Role: "cli", Action: "cli-evaluate", Detail: detail}
			rep, err := evaluation.Evaluate(ctx, s, opt)
			if errors.Is(err, evaluation.ErrNoOutputs) {
				return &exitError{code: exitFailure, err: fmt.Errorf("evaluate: %w (medtwin evaluate --list shows the algorithms the store holds)", err)}
			}
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(a.stdout, rep)
			}
			writeEvaluationText(a.stdout, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&algorithm, "algorithm", "", "the tool's algorithm name, as its outputs record it")
	f.StringVar(&version, "version", "", "evaluate one version only")
	f.BoolVar(&jsonOut, "json", false, "print JSON")
	f.BoolVar(&list, "list", false, "list the algorithms and versions in the store")
	f.StringVar(&asOf, "as-of", "", "what could have been known at this time (RFC 3339 or date)")
	f.StringVar(&knownBy, "known-by", "", "what the store held at this time (reproduces an earlier evaluation)")
	f.StringVar(&from, "from", "", "first study date evaluated")
	f.StringVar(&to, "to", "", "studies before this date only")
	f.Float64Var(&opt.Alpha, "alpha", opt.Alpha, "significance level of the change-point flags")
	f.IntVar(&opt.MinPairs, "min-pairs", opt.MinPairs, "fewest pairs for a stratum's statistics")
	f.Float64Var(&opt.MatchMaxDistanceMM, "max-distance-mm", opt.MatchMaxDistanceMM, "largest distance at which lesions are paired by position")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeEvaluationText prints the figures a clinical lead reads first.
func writeEvaluationText(w io.Writer, r *evaluation.Report) {
	fmt.Fprintf(w, "%s: %d patients, %d studies\n", r.Algorithm, r.Subjects, r.Studies)
	for _, v := range r.Versions {
		fmt.Fprintf(w, "  version %-10s %s – %s, %d outputs\n", v.Version, day(v.First), day(v.Last), v.Outputs)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, q := range r.Quantities {
		p := q.Pairing
		fmt.Fprintf(tw, "\n%s (%s)\toutputs %d, paired %d, unpaired %d, missed reference %d\n", q.Quantity, q.Unit, p.Outputs, p.Paired, p.AIOnly, p.ReferenceOnly)
		fmt.Fprintln(tw, "STRATUM\tN\tBIAS [95% CI]\tLIMITS OF AGREEMENT\tICC(2,1)\tICC(3,1)\tMAE\tMRE")
		row := func(name string, ag evaluation.Agreement) {
			if ag.BlandAltman == nil {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", name, ag.N, ag.NotComputable)
				return
			}
			b := ag.BlandAltman
			fmt.Fprintf(tw, "%s\t%d\t%s [%s, %s]\t%s to %s\t%s\t%s\t%s\t%s\n", name, ag.N, g3(b.Bias), g3(b.BiasCI.Lower), g3(b.BiasCI.Upper),
				g3(b.Lower), g3(b.Upper), iccText(ag.ICC21), iccText(ag.ICC31), g3(ag.Errors.MAE), pct(ag.Errors.MRE))
		}
		row("all", q.Overall)
		for _, s := range q.ByVersion {
			row("version "+s.Value, s.Agreement)
		}
		for _, s := range q.BySite {
			if len(q.BySite) > 1 {
				row("site "+s.Value, s.Agreement)
			}
		}
		for _, s := range q.ByScanner {
			if len(q.ByScanner) > 1 {
				row("scanner "+s.Value, s.Agreement)
			}
		}
		for _, c := range q.ChangePoints {
			mark := ""
			if c.Flagged {
				mark = "CHANGE: "
			}
			fmt.Fprintf(tw, "%s %s → %s (%s)\t%s%s\n", c.Dimension, c.From, c.To, day(c.At), mark, c.Reason)
		}
		if d := q.Drift; d != nil {
			fmt.Fprintf(tw, "drift\t%s %s/year [%s, %s], p = %.2g\n", g3(d.PerYear.Slope), q.Unit, g3(d.PerYear.CI.Lower), g3(d.PerYear.CI.Upper), d.PerYear.P)
			if d.Flagged && d.ShiftAt != nil {
				fmt.Fprintf(tw, "shift in the mean difference\t%s → %s from %s (p = %.2g) %s\n", g3(d.Shift.MeanBefore), g3(d.Shift.MeanAfter), day(*d.ShiftAt), d.Shift.P, d.Coincides)
			}
		}
	}
	tw.Flush()
	for _, c := range r.Categories {
		fmt.Fprintf(w, "\n%s: category changed in %d of %d assessments (%s [%s, %s])\n", c.Scheme, c.Changed.X, c.Changed.N,
			pct(c.Changed.Estimate), pct(c.Changed.CI.Lower), pct(c.Changed.CI.Upper))
		for _, v := range c.ByVersion {
			fmt.Fprintf(w, "  version %s: %d of %d\n", v.Version, v.Changed.X, v.Changed.N)
		}
	}
	for _, l := range r.Labels {
		a := l.Accuracy
		fmt.Fprintf(w, "\n%s (%s level) against %s\n", l.Label, l.Level, l.Reference)
		fmt.Fprintf(w, "  TP %d  FP %d  FN %d  TN %d\n", l.Confusion.TP, l.Confusion.FP, l.Confusion.FN, l.Confusion.TN)
		fmt.Fprintf(w, "  sensitivity %s  specificity %s  PPV %s  NPV %s\n", prop(a.Sensitivity), prop(a.Specificity), prop(a.PPV), prop(a.NPV))
	}
	for k, n := range r.Excluded {
		fmt.Fprintf(w, "excluded: %s: %d\n", k, n)
	}
}

func iccText(x *agreement.ICC) string {
	if x == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f [%.2f, %.2f]", x.Value, x.CI.Lower, x.CI.Upper)
}

func prop(p agreement.Proportion) string {
	if p.N == 0 {
		return "– (no cases)"
	}
	return fmt.Sprintf("%s [%s, %s] (%d/%d)", pct(p.Estimate), pct(p.CI.Lower), pct(p.CI.Upper), p.X, p.N)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func g3(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	return fmt.Sprintf("%.3g", f)
}

func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}
