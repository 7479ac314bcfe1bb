package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/all"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/synth"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

// demoOptions are the demo's settings.
type demoOptions struct {
	dir      string
	patients int
	seed     int64
	addr     string
	// flightAddr is where Arrow Flight listens ("off": no Flight).
	flightAddr string
	fresh      bool
	noServe    bool
	// ctFraction is the share of patients whose CTs carry pixel data.
	ctFraction float64
}

// demoResult is what the demo set up: where things are and the example
// patients its queries use.
type demoResult struct {
	DSN       string
	Tokens    string
	Token     string
	Liver     int64 // subject ids of the example patients (0: none found)
	Pneumonia int64
	Oncology  int64
	Events    int64
	Ingested  bool // false when an earlier demo's store was reused
	Bin       string
	Parquet   string
	Flight    string    // Arrow Flight address ("off": not served)
	AsOf      time.Time // the cohort's "today", the feature matrix's as_of
	KeyFile   string    // the server's pseudonymisation key
}

func newDemoCmd(a *app) *cobra.Command {
	o := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a sample cohort, ingest it and serve it",
		Long: `Run the whole platform on a synthetic cohort: generate about 200 patients in the real
formats (medtwin synth), ingest them into an embedded store, then serve GraphQL on --addr
and print the URL, a clinician token, example queries and a pyarrow snippet.

Everything lives in --dir (default ./medtwin-demo): the cohort, the store (medtwin.db) and
the tokens file. A second run reuses them and starts serving at once; --fresh starts over.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			start := time.Now()
			res, err := runDemo(ctx, a, o)
			if err != nil {
				return err
			}
			if o.noServe {
				printDemo(a.stdout, res, "http://"+o.addr, time.Since(start))
				return nil
			}
			ready := func(base string) { printDemo(a.stdout, res, base, time.Since(start)) }
			return serveDemo(ctx, a, res, o.addr, ready)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "medtwin-demo", "directory for the cohort, the store and the tokens file")
	f.IntVar(&o.patients, "patients", 200, "patients in the synthetic cohort")
	f.Int64Var(&o.seed, "seed", 1, "seed of the synthetic cohort")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to serve on")
	f.StringVar(&o.flightAddr, "flight-addr", "127.0.0.1:8815", "address to serve Arrow Flight on (off: no Flight)")
	f.BoolVar(&o.fresh, "fresh", false, "discard an earlier demo's cohort and store")
	f.Float64Var(&o.ctFraction, "ct-fraction", 0.25, "share of patients whose CT studies carry pixel data")
	f.BoolVar(&o.noServe, "no-serve", false, "prepare everything and print the instructions, but do not serve")
	return cmd
}

// runDemo generates the cohort and ingests it (unless an earlier run of
// the same size and seed left them), writes the tokens file and picks the
// example patients.
func runDemo(ctx context.Context, a *app, o demoOptions) (*demoResult, error) {
	if o.patients <= 0 {
		return nil, usageErr("demo: --patients must be positive")
	}
	cohort := filepath.Join(o.dir, "cohort")
	db := filepath.Join(o.dir, "medtwin.db")
	stamp := filepath.Join(o.dir, "demo.done")
	want := fmt.Sprintf("patients=%d seed=%d ct-fraction=%g\n", o.patients, o.seed, o.ctFraction)
	if o.fresh {
		for _, p := range []string{cohort, db, db + "-wal", db + "-shm", stamp} {
			if err := os.RemoveAll(p); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return nil, err
	}
	res := &demoResult{DSN: "sqlite:" + db, Tokens: filepath.Join(o.dir, "tokens.csv"), Bin: "medtwin",
		Parquet: filepath.Join(o.dir, "liver-labs.parquet"), KeyFile: filepath.Join(o.dir, "pseudonym.key"),
		Flight: o.flightAddr, AsOf: synth.DefaultConfig(o.patients, o.seed, cohort).End}
	if exe, err := os.Executable(); err == nil {
		res.Bin = exe
	}
	if b, err := os.ReadFile(stamp); err != nil || string(b) != want {
		for _, p := range []string{cohort, db, db + "-wal", db + "-shm", stamp} {
			if err := os.RemoveAll(p); err != nil {
				return nil, err
			}
		}
		cfg := synth.DefaultConfig(o.patients, o.seed, cohort)
		// Pixel data for a quarter of the patients keeps the demo within a
		// minute on two cores; every study still has its report and AI
		// outputs.
		cfg.CTFraction = o.ctFraction
		var done atomic.Int64
		cfg.Progress = func(n, _ int) { done.Store(int64(n)) }
		prog := startProgressUnit(a.stderr, a.quiet, "generate", "patients", int64(o.patients), done.Load)
		sum, err := synth.Generate(ctx, cfg)
		prog.Stop()
		if err != nil {
			return nil, err
		}
		if !a.quiet {
			fmt.Fprintf(a.stderr, "demo: generated %d patients (%d clinical records, %d CT studies, %d genomic samples) in %s\n",
				sum.Patients, sum.Events(), sum.Studies, sum.Samples, cohort)
		}
		if err := demoIngest(ctx, a, res.DSN, cohort); err != nil {
			return nil, err
		}
		if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
			return nil, err
		}
		res.Ingested = true
	}
	tok, err := demoToken(res.Tokens)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(res.KeyFile); err != nil {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return nil, err
		}
		if err := os.WriteFile(res.KeyFile, []byte(hex.EncodeToString(k[:])+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	res.Token = tok
	s, err := backend.Open(ctx, res.DSN)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if res.Events, err = s.Count(ctx, store.Cohort{}, store.Filter{}); err != nil {
		return nil, err
	}
	// Example patients, found in the store by what their records say.
	if res.Liver, err = pickSubject(ctx, s, liverComputable(ctx, s, res.AsOf), "ICD10CM//K74.6*", "ICD10CM//K74.0*", "ICD10CM//K76.0"); err != nil {
		return nil, err
	}
	if res.Pneumonia, err = pickSubject(ctx, s, nil, "ICD10CM//J18*", "ICD10CM//J13", "ICD10CM//J15*"); err != nil {
		return nil, err
	}
	if res.Oncology, err = pickSubject(ctx, s, nil, timeline.Code(timeline.VocabImaging, "lesion")); err != nil {
		return nil, err
	}
	return res, nil
}

// pickSubject returns the first subject, taking codes in order, that has
// the code and for which ok holds (up to 50 candidates per code); when
// none does, or ok is nil, the first subject with one of the codes; 0 when
// there is none.
func pickSubject(ctx context.Context, s store.Store, ok func(int64) (bool, error), codes ...string) (int64, error) {
	limit := 50
	if ok == nil {
		limit = 1
	}
	var first int64
	for _, c := range codes {
		ids, err := s.Subjects(ctx, store.SubjectQuery{HasCodes: []string{c}, Limit: limit})
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if first == 0 {
				first = id
			}
			if ok == nil {
				return id, nil
			}
			if yes, err := ok(id); err != nil || yes {
				return id, err
			}
		}
	}
	return first, nil
}

// liverComputable holds for a patient whose FIB-4 is computable at asOf
// (the cohort's today), so that the liver example's current value is a
// value and not "not computable" (labs older than the score's 30 days).
func liverComputable(ctx context.Context, s store.Store, asOf time.Time) func(int64) (bool, error) {
	return func(id int64) (bool, error) {
		v, err := twin.Load(ctx, s, id, asOf, timeline.DefaultCodes())
		if err != nil {
			return false, err
		}
		r, err := liver.Compute(v, liver.DefaultConfig())
		if err != nil {
			return false, err
		}
		fib4, found := r.Score("FIB-4")
		return found && fib4.Current != nil && fib4.Current.Value != nil, nil
	}
}

// demoIngest ingests the cohort into the demo's store with a progress bar
// and a one-line summary (the per-file table of `medtwin ingest` would be
// thousands of DICOM lines).
func demoIngest(ctx context.Context, a *app, dsn, cohort string) error {
	reg, err := all.Registry()
	if err != nil {
		return err
	}
	s, err := backend.OpenConfig(ctx, backend.Config{DSN: dsn, Logger: a.log})
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	defer s.Close()
	counter := &ingest.Counter{}
	r := &ingest.Runner{Target: s, Registry: reg, Counter: counter,
		Env:     ingest.Env{Logger: a.log, Options: ingest.Options{Samples: filepath.Join(cohort, synth.ManifestFile)}},
		Command: "demo ingest " + cohort}
	t0 := time.Now()
	prog := startProgress(a.stderr, a.quiet, "ingest", pathSize(cohort), counter.Load)
	rep, err := r.Run(ctx, []string{cohort})
	prog.Stop()
	if err != nil {
		return err
	}
	res, rejected, failed := rep.Totals()
	if !a.quiet {
		fmt.Fprintf(a.stderr, "demo: ingested %d files into %s: %d events in %.1fs, %d rejected, %d failed files\n",
			len(rep.Files), dsn, res.Inserted, time.Since(t0).Seconds(), rejected, failed)
	}
	if rejected > 0 || failed > 0 {
		writeReport(a.stderr, rep)
		return &exitError{code: exitRejected, err: errors.New("demo: the synthetic cohort did not ingest cleanly")}
	}
	return nil
}

// demoToken returns the clinician token of the tokens file, creating the
// file with a random token the first time.
func demoToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(strings.TrimSpace(line), ",")
			if len(f) >= 2 && f[1] == "clinician" {
				return f[0], nil
			}
		}
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tok := "demo-clinician-" + hex.EncodeToString(b[:])
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	content := "token,role,name\n" + tok + ",clinician,Demo Clinician\n" + "demo-researcher-" + hex.EncodeToString(r[:]) + ",researcher,Demo Researcher\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", err
	}
	return tok, nil
}

// The example queries; %d is the example patient's subject id. The liver
// twin is asked as of the cohort's today (%s): the synthetic records end
// there, and at the real today the current FIB-4 would have no recent labs.
const (
	queryLiver = `query LiverFib4 {
  patient(id: "%d") {
    id birthDate sex
    liverTwin(asOf: "%s") {
      scores(names: ["FIB-4"]) {
        edges { node { name current { value category time }
          points(computable: true, last: 20) { edges { node { time value category } } } } }
      }
    }
  }
}`
	queryPneumonia = `query PneumoniaEpisode {
  patient(id: "%d") {
    id
    timeline(kinds: [ENCOUNTER, DIAGNOSIS, VITAL, LAB, MEDICATION, IMAGING_FEATURE], codes: ["ENCOUNTER//IMP", "ICD10CM//J1*", "ICD10CM//R41.0", "LOINC//1988-5", "LOINC//6690-2", "LOINC//33959-8", "LOINC//3094-0", "LOINC//22664-7", "LOINC//9279-1", "LOINC//8480-6", "LOINC//59408-5", "RXNORM//*", "IMAGING//CT//lung_*"], first: 100) {
      totalCount
      edges { node { time endTime kind code displayName value unit text } }
    }
  }
}`
	queryOncology = `query OncologyHistory {
  patient(id: "%d") {
    id
    imagingStudies(first: 50) {
      edges { node { studyUid time description
        lesions(first: 20) { edges { node { lesionId site longAxisMm shortAxisMm isNode target observer algorithm } } } } }
    }
    timeline(kinds: [DIAGNOSIS, STAGE, TUMOR_MARKER, MEDICATION, VARIANT], first: 200) {
      edges { node { time kind code displayName value unit text } }
    }
  }
}`
)

type demoQuery struct{ title, query string }

func demoQueries(r *demoResult) []demoQuery {
	var q []demoQuery
	if r.Liver != 0 {
		q = append(q, demoQuery{"A liver patient's FIB-4 trend", fmt.Sprintf(queryLiver, r.Liver, r.AsOf.Format(time.RFC3339))})
	}
	if r.Pneumonia != 0 {
		q = append(q, demoQuery{"A pneumonia episode: admission, CURB-65 inputs, CRP/WBC/PCT course, antibiotics, CT involvement", fmt.Sprintf(queryPneumonia, r.Pneumonia)})
	}
	if r.Oncology != 0 {
		q = append(q, demoQuery{"An oncology patient's lesion (RECIST) history, stage, markers, therapy lines and somatic variants", fmt.Sprintf(queryOncology, r.Oncology)})
	}
	return q
}

func printDemo(w io.Writer, r *demoResult, base string, took time.Duration) {
	fmt.Fprintf(w, "\nmedtwin demo ready in %.0fs: %d events in %s\n\n", took.Seconds(), r.Events, r.DSN)
	fmt.Fprintf(w, "  Web view  %s/ui/   (paste the token below into its login form)\n", base)
	fmt.Fprintf(w, "  GraphQL   %s/graphql   (GraphiQL: %s/ — add the Authorization header)\n", base, base)
	fmt.Fprintf(w, "  Health    %s/healthz\n", base)
	fmt.Fprintf(w, "  Token     %s   (clinician; tokens file %s)\n\n", r.Token, r.Tokens)
	for i, q := range demoQueries(r) {
		fmt.Fprintf(w, "%d. %s\n\n%s\n\n", i+1, q.title, q.query)
	}
	if qs := demoQueries(r); len(qs) > 0 {
		fmt.Fprintf(w, "Run one with curl:\n\n  curl -s %s/graphql -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d %s\n\n",
			base, r.Token, shellQuote(`{"query":`+strconv.Quote(compact(qs[0].query))+`}`))
	}
	if r.Flight != "" && r.Flight != "off" {
		fmt.Fprintf(w, `Pull a feature matrix over Arrow Flight with pyarrow (one row per patient at the cohort's
end: age, sex, liver labs, BMI, CT liver attenuation, FIB-4, APRI, MELD-Na, ALBI, NFS):

  import json, pyarrow.flight as flight
  client = flight.connect("grpc://%s")
  opts = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer %s")])
  ticket = flight.Ticket(json.dumps({"dataset": "liver_features", "as_of": "%s"}))
  matrix = client.do_get(ticket, opts).read_pandas()

`, r.Flight, r.Token, r.AsOf.Format(time.DateOnly))
	}
	fmt.Fprintf(w, `Or export a long table to Parquet (liver labs of every patient, one column per code):

  %s --db %s export --format parquet --codes LOINC//1742-6,LOINC//1920-8,LOINC//777-3,LOINC//1751-7 --out %s

  import pyarrow.parquet as pq
  table = pq.read_table("%s")
  features = table.to_pandas().pivot_table(index=["subject_id", "time"], columns="code", values="numeric_value")

`, r.Bin, r.DSN, r.Parquet, r.Parquet)
}

func compact(q string) string { return strings.Join(strings.Fields(q), " ") }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// serveDemo runs `medtwin serve` in this process on the demo's store, and
// prints the instructions once /healthz answers.
func serveDemo(ctx context.Context, a *app, r *demoResult, addr string, ready func(base string)) error {
	sub := &app{stdin: a.stdin, stdout: io.Discard, stderr: a.stderr, quiet: a.quiet, logLevel: a.logLevel}
	root := newRoot(sub)
	args := []string{"--db", r.DSN, "serve", "--addr", addr, "--tokens", r.Tokens, "--pseudonym-key", r.KeyFile, "--dev"}
	if r.Flight != "" {
		args = append(args, "--flight-addr", r.Flight)
	}
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(a.stderr)
	errc := make(chan error, 1)
	go func() { errc <- root.ExecuteContext(ctx) }()
	base := "http://" + addr
	for {
		select {
		case err := <-errc:
			if err == nil {
				err = errors.New("demo: the server stopped")
			}
			// The data is ready even if serving is not: say how to use it.
			ready(base)
			return fmt.Errorf("demo: serving %s: %w", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
		if healthy(ctx, base) {
			ready(base)
			return <-errc
		}
	}
}

// healthy reports whether GET base/healthz answers 200.
func healthy(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
