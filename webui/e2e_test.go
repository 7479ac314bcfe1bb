package webui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/medtwin/medtwin/internal/synthtest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/synth"
)

// chromium returns the path of a Chromium binary (MEDTWIN_CHROMIUM, or
// Debian's chromium on PATH), or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MEDTWIN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (Debian package chromium, or set MEDTWIN_CHROMIUM)")
	return ""
}

// synthStore ingests a small synthetic cohort through the real adapters
// (FHIR, VCF, MAF, DICOM, imaging-AI tables) and returns the store and the
// MRN of a liver patient with the longest computable FIB-4 series.
func synthStore(t *testing.T) (store.Store, *synth.Truth) {
	t.Helper()
	ctx := context.Background()
	cfg := synth.DefaultConfig(16, 7, t.TempDir())
	cfg.CTCols, cfg.CTRows, cfg.CTSlices = 16, 16, 8
	cfg.EventsPerPatient = 80
	s, truth, rep := synthtest.Cohort(ctx, t, cfg)
	if _, rejected, failed := rep.Totals(); rejected != 0 || failed != 0 {
		t.Fatalf("synthetic cohort: %d rejected records, %d failed files", rejected, failed)
	}
	return s, truth
}

// laneOf mirrors svg.js LANES: the lane each event kind is drawn in.
var laneOf = map[string]string{
	"ENCOUNTER": "encounter", "DIAGNOSIS": "diagnosis", "STAGE": "diagnosis", "MEDICATION": "medication",
	"LAB": "lab", "TUMOR_MARKER": "lab", "IMAGING_STUDY": "imaging", "IMAGING_FEATURE": "imaging", "LESION": "imaging",
	"VARIANT": "variant", "PROCEDURE": "other", "VITAL": "other", "OBSERVATION": "other", "DERIVED": "other",
}

type point struct {
	T string  `json:"t"`
	V float64 `json:"v"`
}

// TestBrowser drives the view in headless Chromium: log in with a token,
// find a liver patient of the synthetic cohort by MRN, and check that the
// timeline draws one lane per kind with every timed event the API returns,
// that the FIB-4 chart draws exactly the API's computable FIB-4 points with
// the 1.30 and 2.67 cut-offs, that a click on a point shows its inputs'
// provenance, and that no patient data reached the URL; then zooms the
// timeline, evaluates an AI tool, opens an oncology patient and looks at
// the researcher's pseudonymised view (check* below). Saves screenshots
// (MEDTWIN_UI_SCREENSHOT names the file; default a temporary directory).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	s, truth := synthStore(t)
	srv := newServer(t, s)
	h := srv.Handler()
	q := pageQueries(t)

	// The patient: the liver patient whose FIB-4 series is longest.
	type fib struct {
		Patient struct {
			LiverTwin struct {
				Scores struct {
					Edges []struct {
						Node struct {
							Name   string
							Points struct {
								Edges []struct {
									Node struct {
										Time       *time.Time
										Value      *float64
										Computable bool
									}
								}
							}
						}
					}
				}
			}
			OncologyTwin struct {
				Courses struct {
					Edges []struct {
						Node struct {
							TimePoints struct {
								Edges []struct {
									Node struct {
										SumMm   *float64
										Overall string
									}
								}
							}
						}
					}
				}
			}
		}
	}
	var mrn, id string
	var want []point
	// The oncology patient: the one with the most measured assessments.
	var oncID string
	var oncLabels []string
	for _, p := range truth.Cohort {
		var found struct{ PatientByIdentifier *struct{ ID string } }
		mustPost(t, h, clinicianToken, q["FIND_BY_IDENTIFIER"], map[string]any{"system": synth.MRNSystem, "value": p.MRN}, &found)
		if found.PatientByIdentifier == nil {
			t.Fatalf("patient %s not found by MRN", p.MRN)
		}
		var f fib
		mustPost(t, h, clinicianToken, q["TWINS"], map[string]any{"id": found.PatientByIdentifier.ID}, &f)
		var pts []point
		for _, e := range f.Patient.LiverTwin.Scores.Edges {
			if e.Node.Name != "FIB-4" {
				continue
			}
			for _, p := range e.Node.Points.Edges {
				if p.Node.Computable && p.Node.Value != nil && p.Node.Time != nil {
					pts = append(pts, point{p.Node.Time.UTC().Format("2006-01-02T15:04:05.000Z"), *p.Node.Value})
				}
			}
		}
		if len(pts) > len(want) {
			mrn, id, want = p.MRN, found.PatientByIdentifier.ID, pts
		}
		var labels []string
		for _, c := range f.Patient.OncologyTwin.Courses.Edges {
			for _, tp := range c.Node.TimePoints.Edges {
				if tp.Node.SumMm != nil {
					labels = append(labels, tp.Node.Overall)
				}
			}
		}
		if len(labels) > len(oncLabels) {
			oncID, oncLabels = found.PatientByIdentifier.ID, labels
		}
	}
	if len(want) < 2 {
		t.Fatalf("no patient of the synthetic cohort has a FIB-4 series (longest %d points)", len(want))
	}
	// What the timeline should draw: every timed event, by lane.
	wantLanes := map[string]int{}
	events, _, _, _ := readTimeline(t, h, q["TIMELINE"], id)
	for _, e := range events {
		if e.Time != nil {
			wantLanes[laneOf[e.Kind]]++
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	base := "http://" + srv.Addr()

	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers' /dev/shm is small
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 2400),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var (
		logMu   sync.Mutex
		console []string
	)
	if err := chromedp.Listen(bctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			line = fmt.Sprintf("exception: %s at %s:%d:%d", d.Text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
			if d.Exception != nil {
				line += " " + d.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			line = "console." + string(ev.Type) + ":"
			for _, a := range ev.Args {
				line += " " + string(a.Value) + a.Description
			}
		default:
			return
		}
		logMu.Lock()
		console = append(console, line)
		logMu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		logMu.Lock()
		defer logMu.Unlock()
		for _, l := range console {
			t.Log("browser " + l)
		}
	}()
	lctx, lcancel := context.WithTimeout(bctx, 90*time.Second)
	defer lcancel()
	if err := chromedp.Do(lctx,
		chromedp.Navigate(base+"/ui/"),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, clinicianToken),
		chromedp.Click(`#login-form button[type=submit]`),
		chromedp.WaitVisible(`#ident-value`),
		chromedp.SetValue(`#ident-system`, synth.MRNSystem),
		chromedp.SendKeys(`#ident-value`, mrn),
		chromedp.Click(`#search-ident button[type=submit]`),
		chromedp.WaitReady(`body[data-loaded="patient"]`),
	); err != nil {
		state, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("logging in and opening the patient: %v; the page says:\n%s", err, state)
	}
	eval := func(what string, js string, v any) {
		t.Helper()
		raw, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, raw)
		}
	}
	var (
		lanes       map[string]int
		fibPts      []point
		cutoffs     []string
		labPts      int
		storage     int
		loginHidden bool
	)
	eval("lanes", `Object.fromEntries([...document.querySelectorAll('#timeline g.lane')].map(g => [g.dataset.lane, +g.dataset.count]))`, &lanes)
	eval("FIB-4 points", `[...document.querySelectorAll('svg[data-chart="fib4"] circle.pt')].map(c => ({t: c.dataset.t, v: +c.dataset.v}))`, &fibPts)
	eval("FIB-4 cut-offs", `[...document.querySelectorAll('svg[data-chart="fib4"] line.cutoff')].map(l => l.dataset.cutoff)`, &cutoffs)
	eval("lab points", `document.querySelectorAll('svg[data-chart="lab"] circle.pt').length`, &labPts)
	eval("storage", `localStorage.length + sessionStorage.length + document.cookie.length`, &storage)
	eval("login form", `document.getElementById('login').hidden`, &loginHidden)
	if err := chromedp.Do(bctx,
		chromedp.Click(`svg[data-chart="fib4"] circle.pt`),
		chromedp.WaitVisible(`#prov`),
	); err != nil {
		t.Fatalf("opening a FIB-4 point's provenance: %v", err)
	}
	provText, err := chromedp.Run(bctx, chromedp.Text(`#prov-body`))
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	// Screenshots: the liver patient, then the AI evaluation and the
	// oncology patient. MEDTWIN_UI_SCREENSHOT names the first; the second
	// gets "-oncology" before the extension.
	shot := os.Getenv("MEDTWIN_UI_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "ui.png")
	}
	saveScreenshot(t, bctx, shot)
	checkZoom(t, bctx, events)
	checkAIEvaluation(t, bctx, h, q)
	checkOncology(t, bctx, h, q, oncID, oncLabels)
	ext := filepath.Ext(shot)
	saveScreenshot(t, bctx, strings.TrimSuffix(shot, ext)+"-oncology"+ext)
	checkResearcher(t, bctx)

	if !loginHidden {
		t.Error("the login form is still shown")
	}
	for _, lane := range []string{"encounter", "diagnosis", "medication", "lab", "imaging", "variant", "other"} {
		got, ok := lanes[lane]
		if !ok {
			t.Errorf("timeline has no %s lane: %v", lane, lanes)
		} else if got != wantLanes[lane] {
			t.Errorf("%s lane: %d marks, the API has %d timed events", lane, got, wantLanes[lane])
		}
	}
	for _, lane := range []string{"encounter", "diagnosis", "lab", "imaging"} {
		if wantLanes[lane] == 0 {
			t.Errorf("the chosen patient has no %s events: the test proves too little", lane)
		}
	}
	sort.Slice(fibPts, func(i, j int) bool { return fibPts[i].T < fibPts[j].T })
	if len(fibPts) != len(want) {
		t.Fatalf("FIB-4 chart: %d points, the API has %d: %v vs %v", len(fibPts), len(want), fibPts, want)
	}
	for i := range want {
		if fibPts[i].T != want[i].T || math.Abs(fibPts[i].V-want[i].V) > 1e-9 {
			t.Errorf("FIB-4 point %d: drawn %+v, API %+v", i, fibPts[i], want[i])
		}
	}
	sort.Strings(cutoffs)
	if len(cutoffs) != 2 || cutoffs[0] != "1.3" || cutoffs[1] != "2.67" {
		t.Errorf("FIB-4 cut-offs drawn: %v, want 1.3 and 2.67", cutoffs)
	}
	if labPts == 0 {
		t.Error("the lab trend chart draws no points")
	}
	if storage != 0 {
		t.Errorf("the page wrote %d characters to web storage or cookies", storage)
	}
	if href != base+"/ui/" {
		t.Errorf("the URL changed to %q: patient selection must stay out of URLs", href)
	}
	for _, want := range []string{"FIB-4", "Computed from", "fhir/Observation", ".ndjson#L", "record "} {
		if !strings.Contains(provText, want) {
			t.Errorf("provenance panel lacks %q: %q", want, provText)
		}
	}
}

// checkAIEvaluation picks the tool version with the most paired values in
// the synthetic cohort (its AI tables carry a known bias), evaluates it in
// the page and checks the Bland–Altman plot of each quantity against the
// API: one point per paired value, the bias line at the API's bias.
func checkAIEvaluation(t *testing.T, bctx context.Context, h http.Handler, q map[string]string) {
	t.Helper()
	var algs struct {
		AIAlgorithms []struct {
			Algorithm, Version string
			Outputs            int
		}
	}
	mustPost(t, h, clinicianToken, q["AI_ALGORITHMS"], nil, &algs)
	type quantity struct {
		Quantity string
		Overall  struct {
			BlandAltman *struct{ Bias *float64 }
		}
	}
	type evaluation struct {
		AIEvaluation struct {
			Quantities []quantity
			Pairs      struct {
				Edges []struct {
					Node struct {
						Quantity      string
						AI, Reference *float64
					}
				}
			}
		}
	}
	var (
		best      evaluation
		bestPairs int
		option    string
	)
	for _, a := range algs.AIAlgorithms {
		var ev evaluation
		mustPost(t, h, clinicianToken, q["AI_EVALUATION"], map[string]any{"algorithm": a.Algorithm, "version": a.Version}, &ev)
		if n := len(ev.AIEvaluation.Pairs.Edges); n > bestPairs {
			b, _ := json.Marshal([]string{a.Algorithm, a.Version})
			best, bestPairs, option = ev, n, string(b)
		}
	}
	if bestPairs == 0 {
		t.Fatalf("no AI tool of the synthetic cohort has a paired value: %+v", algs)
	}
	sel, _ := json.Marshal(option)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(`#ai-form`)); err != nil {
		t.Fatalf("the AI section is not shown: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](`document.getElementById('ai-algorithm').value = `+string(sel))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx,
		chromedp.Click(`#ai-form button[type=submit]`),
		chromedp.WaitReady(`body[data-ai="done"]`),
	); err != nil {
		t.Fatalf("evaluating %s in the page: %v", option, err)
	}
	for i, qu := range best.AIEvaluation.Quantities {
		want := 0
		for _, p := range best.AIEvaluation.Pairs.Edges {
			if p.Node.Quantity == qu.Quantity && p.Node.AI != nil && p.Node.Reference != nil {
				want++
			}
		}
		raw, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](fmt.Sprintf(
			`({n: document.querySelectorAll('svg[data-chart="ba-%d"] circle.pt').length,
			  bias: (document.querySelector('svg[data-chart="ba-%d"] line[data-line="bias"]') || {dataset: {}}).dataset.v})`, i, i)))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			N    int
			Bias *string
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.N != want {
			t.Errorf("%s %s: Bland–Altman plot has %d points, the API %d pairs", option, qu.Quantity, got.N, want)
		}
		ba := qu.Overall.BlandAltman
		switch {
		case ba != nil && ba.Bias != nil:
			if got.Bias == nil {
				t.Errorf("%s %s: no bias line, API bias %v", option, qu.Quantity, *ba.Bias)
			} else if v, err := strconv.ParseFloat(*got.Bias, 64); err != nil || math.Abs(v-*ba.Bias) > 1e-9 {
				t.Errorf("%s %s: bias line at %s, API bias %v", option, qu.Quantity, *got.Bias, *ba.Bias)
			}
		case got.Bias != nil:
			t.Errorf("%s %s: bias line drawn at %s but the API has no bias", option, qu.Quantity, *got.Bias)
		}
	}
}

// checkOncology opens the oncology patient by subject id and checks that
// the response charts draw one labelled point per measured assessment of
// the API's courses and that the variant table has a row per variant.
func checkOncology(t *testing.T, bctx context.Context, h http.Handler, q map[string]string, id string, labels []string) {
	t.Helper()
	if len(labels) == 0 {
		t.Fatal("no patient of the synthetic cohort has a measured response assessment")
	}
	var va struct {
		Patient struct{ Variants struct{ TotalCount int } }
	}
	mustPost(t, h, clinicianToken, q["VARIANTS"], map[string]any{"id": id}, &va)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](`document.body.dataset.loaded = ''`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx,
		chromedp.SetValue(`#patient-id`, id),
		chromedp.Click(`#search-id button[type=submit]`),
		chromedp.WaitReady(`body[data-loaded="patient"]`),
	); err != nil {
		t.Fatalf("opening the oncology patient: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](`({
		labels: [...document.querySelectorAll('svg[data-chart^="recist-"] text.pt-label')].map(e => e.textContent),
		points: document.querySelectorAll('svg[data-chart^="recist-"] circle.pt').length,
		bands: document.querySelectorAll('svg[data-chart^="recist-"] g.band').length,
		rows: document.querySelectorAll('#variant-table tbody tr').length})`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Labels        []string
		Points, Bands int
		Rows          int
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got.Labels)
	want := slices.Clone(labels)
	sort.Strings(want)
	if got.Points != len(want) || !slices.Equal(got.Labels, want) {
		t.Errorf("response charts: %d points labelled %v, the API's assessments %v", got.Points, got.Labels, want)
	}
	if got.Bands == 0 {
		t.Error("no therapy line shaded on the response charts")
	}
	if want := min(va.Patient.Variants.TotalCount, 500); got.Rows != want {
		t.Errorf("variant table: %d rows, the API has %d variants", got.Rows, want)
	}
}

// saveScreenshot writes a full-page PNG of the browser's page to path.
func saveScreenshot(t *testing.T, bctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// checkZoom zooms the timeline to the two years around the middle event
// with the date fields and checks each lane against the API's events in
// that range (a bar counts when its period overlaps it), then zooms back.
func checkZoom(t *testing.T, bctx context.Context, events []timelineEvent) {
	t.Helper()
	var times []time.Time
	for _, e := range events {
		if e.Time != nil && laneOf[e.Kind] != "" {
			times = append(times, *e.Time)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	mid := times[len(times)/2].UTC()
	from := mid.AddDate(-1, 0, 0).Truncate(24 * time.Hour)
	to := mid.AddDate(1, 0, 0).Truncate(24 * time.Hour)
	t0, t1 := from, to.Add(24*time.Hour) // the page includes the "to" day
	want := map[string]int{}
	for _, e := range events {
		if e.Time == nil || laneOf[e.Kind] == "" {
			continue
		}
		last := *e.Time
		if e.EndTime != nil && e.EndTime.After(*e.Time) {
			last = *e.EndTime
		}
		if !last.Before(t0) && !e.Time.After(t1) {
			want[laneOf[e.Kind]]++
		}
	}
	if err := chromedp.Do(bctx,
		chromedp.SetValue(`#zoom-from`, from.Format("2006-01-02")),
		chromedp.SetValue(`#zoom-to`, to.Format("2006-01-02")),
		chromedp.Click(`#zoom button[type=submit]`),
	); err != nil {
		t.Fatalf("zooming: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](
		`Object.fromEntries([...document.querySelectorAll('#timeline g.lane')].map(g => [g.dataset.lane, +g.dataset.count]))`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	total := 0
	for lane, n := range want {
		total += n
		if got[lane] != n {
			t.Errorf("zoomed to %s–%s: %s lane draws %d, the API has %d events in range", from.Format("2006-01-02"), to.Format("2006-01-02"), lane, got[lane], n)
		}
	}
	if total == 0 || total == len(times) {
		t.Errorf("the zoom window holds %d of %d events: it proves nothing", total, len(times))
	}
	if err := chromedp.Do(bctx, chromedp.Click(`#zoom-reset`)); err != nil {
		t.Fatal(err)
	}
}

// checkResearcher logs out, logs in with the researcher token, opens the
// first listed patient and checks the pseudonymised view: a ps_ id, no
// identifier search, no identifiers and no source locators.
func checkResearcher(t *testing.T, bctx context.Context) {
	t.Helper()
	if err := chromedp.Do(bctx,
		chromedp.Click(`#logout`),
		chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, researcherToken),
		chromedp.Click(`#login-form button[type=submit]`),
		chromedp.WaitVisible(`#search-list`),
		chromedp.Click(`#search-list button[type=submit]`),
		chromedp.WaitVisible(`#patient-list button`),
		chromedp.Click(`#patient-list button`),
		chromedp.WaitReady(`body[data-loaded="patient"]`),
		chromedp.Click(`#timeline circle.ev`),
		chromedp.WaitVisible(`#prov`),
	); err != nil {
		t.Fatalf("researcher's view: %v", err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[json.RawMessage](`({
		title: document.getElementById('patient-title').textContent,
		facts: document.getElementById('patient-facts').textContent,
		identSearch: document.getElementById('search-ident').hidden,
		prov: document.getElementById('prov-body').textContent})`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Title, Facts, Prov string
		IdentSearch        bool
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Title, "Patient ps_") || !strings.Contains(got.Title, "pseudonymised") {
		t.Errorf("researcher's patient title %q", got.Title)
	}
	if !got.IdentSearch {
		t.Error("the identifier search is offered to a researcher")
	}
	for _, leak := range []string{"urn:oid", "fhir/Patient", ".ndjson", "|"} {
		if strings.Contains(got.Facts+got.Prov, leak) {
			t.Errorf("researcher's view shows %q: %q / %q", leak, got.Facts, got.Prov)
		}
	}
	if !strings.Contains(got.Prov, "withheld") {
		t.Errorf("researcher's provenance panel does not say the source is withheld: %q", got.Prov)
	}
}
