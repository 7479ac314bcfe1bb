package oncology

// Scenario files (testdata/*.scn) describe one patient in words a clinician
// can check — studies with lesion measurements, drugs, markers, diagnoses,
// variants — and the responses expected, with the rule and its source. The
// format:
//
//	title: …                     what the case shows
//	source: …                    where the expected values come from
//	options: key=value …         confirm=on|off confirmDays=N sdmin=N irecist=auto|on|off
//	                             baseline=DATE window=N match=MM regimen=N gap=N newline=on
//	drug DATE[..END] CODE ["display"] [available=DATE]
//	study DATE [uid=UID] [available=DATE] [status="words"]
//	  lesion ID|- SITE [long=MM] [short=MM] [node] [target|nontarget] [toosmall]
//	               [pos=X,Y,Z] [status="words"] [code=SITECODE]
//	marker DATE CONCEPT VALUE [UNIT]
//	diagnosis DATE CODE ["display"]
//	stage DATE CODE "value"
//	status DATE "value"                        (cancer disease status, LOINC 97509-4)
//	variant DATE sample=S gene=G [hgvsp=…] [vaf=F] [origin=somatic] [consequence=…]
//	                                           (any event line: source=LOCATOR to give
//	                                           several lines one source record)
//	asof DATE|RFC3339                          expectations below see only what was
//	                                           available by then
//	expect [DATE] key=value …                  see check() for the keys
//
// Dates are UTC midnights; "key~=text" means "contains text".
//
// twin/twintest (the score twins' scenario runner) reads one event per line
// and checks JSON paths; RECIST cases need studies holding several lesion
// readings and per-assessment expectations ("expect 2024-03-10 target=PR
// sum=70"), which read far better for a radiologist, hence this format.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

type scenario struct {
	file    string
	title   string
	sources []string
	opt     Options
	events  []timeline.Event
	details twin.Details
	blocks  []expectBlock
}

type expectBlock struct {
	asOf    time.Time
	expects []expectation
}

type expectation struct {
	line int
	at   time.Time
	kv   []kv
}

type kv struct {
	key, op, val string
}

func tokens(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	inQ, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			has = true
		case !inQ && (r == ' ' || r == '\t'):
			if has {
				out = append(out, b.String())
				b.Reset()
				has = false
			}
		default:
			b.WriteRune(r)
			has = true
		}
	}
	if inQ {
		return nil, fmt.Errorf("unclosed quote")
	}
	if has {
		out = append(out, b.String())
	}
	return out, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse("2006-01-02", s)
}

func splitKV(tok string) (kv, bool) {
	if i := strings.Index(tok, "~="); i > 0 {
		return kv{tok[:i], "~=", tok[i+2:]}, true
	}
	if i := strings.Index(tok, "="); i > 0 {
		return kv{tok[:i], "=", tok[i+1:]}, true
	}
	return kv{}, false
}

func loadScenario(t *testing.T, path string) *scenario {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := &scenario{file: filepath.Base(path), opt: DefaultOptions()}
	sc.blocks = []expectBlock{{}}
	codes := timeline.DefaultCodes()
	var study struct {
		at, avail time.Time
		uid       string
		key       timeline.Key
		n         int
	}
	n := 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s:%d: %s", sc.file, n, fmt.Sprintf(format, args...))
	}
	var opts map[string]string
	ev := func(at time.Time, code string, kind timeline.Kind) timeline.Event {
		src := fmt.Sprintf("%s#L%d", sc.file, n)
		if s, ok := opts["source"]; ok {
			src = s // several lines from one source record (one FHIR resource coded twice)
		}
		return timeline.Event{
			SubjectID: 1, Time: at, Code: code, Kind: kind, Source: src, Key: timeline.NewKey(sc.file, strconv.Itoa(n)),
		}
	}
	s := bufio.NewScanner(f)
	for s.Scan() {
		n++
		raw := s.Text()
		line := strings.TrimSpace(raw)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.Contains(k, " ") {
			switch k {
			case "title":
				sc.title = strings.TrimSpace(v)
				continue
			case "source":
				sc.sources = append(sc.sources, strings.TrimSpace(v))
				continue
			case "options":
				toks, err := tokens(v)
				if err != nil {
					fail("%v", err)
				}
				for _, tok := range toks {
					p, ok := splitKV(tok)
					if !ok {
						fail("option %q is not key=value", tok)
					}
					if err := setOption(&sc.opt, p.key, p.val); err != nil {
						fail("%v", err)
					}
				}
				continue
			}
		}
		toks, err := tokens(line)
		if err != nil {
			fail("%v", err)
		}
		words := toks[1:]
		date := func(i int) time.Time {
			if i >= len(words) {
				fail("missing date")
			}
			d, err := parseWhen(words[i])
			if err != nil {
				fail("bad date %q", words[i])
			}
			return d
		}
		opts = map[string]string{}
		var plain []string
		for _, w := range words {
			if p, ok := splitKV(w); ok {
				opts[p.key] = p.val
			} else {
				plain = append(plain, w)
			}
		}
		avail := func(e *timeline.Event) {
			if a, ok := opts["available"]; ok {
				d, err := parseWhen(a)
				if err != nil {
					fail("bad available date %q", a)
				}
				e.AvailableAt = d
			}
		}
		switch toks[0] {
		case "drug":
			span := strings.SplitN(words[0], "..", 2)
			start, err := parseWhen(span[0])
			if err != nil {
				fail("bad date %q", span[0])
			}
			if len(plain) < 2 {
				fail("drug DATE CODE [display]")
			}
			e := ev(start, plain[1], timeline.KindMedication)
			if len(span) == 2 {
				if e.EndTime, err = parseWhen(span[1]); err != nil {
					fail("bad end date %q", span[1])
				}
			}
			if len(plain) > 2 {
				e.Text = strings.Join(plain[2:], " ")
			}
			avail(&e)
			sc.events = append(sc.events, e)
		case "study":
			study.at = date(0)
			study.avail = time.Time{}
			study.uid = opts["uid"]
			study.n = n
			if a, ok := opts["available"]; ok {
				if study.avail, err = parseWhen(a); err != nil {
					fail("bad available date %q", a)
				}
			}
		case "lesion":
			if study.at.IsZero() {
				fail("lesion outside a study")
			}
			if len(plain) < 2 {
				fail("lesion ID SITE …")
			}
			e := ev(study.at, "LOINC//21889-1", timeline.KindLesion)
			e.AvailableAt = study.avail
			e.Text = opts["status"]
			d := timeline.LesionDetail{
				SubjectID: 1, Key: e.Key, StudyUID: study.uid, Site: plain[1], SiteCode: opts["code"],
				LongAxisMM: timeline.NoFloat, ShortAxisMM: timeline.NoFloat,
				X: timeline.NoFloat, Y: timeline.NoFloat, Z: timeline.NoFloat,
			}
			if plain[0] != "-" {
				d.LesionID = plain[0]
			}
			num := func(k string) float64 {
				v, ok := opts[k]
				if !ok {
					return timeline.NoFloat
				}
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					fail("bad number %s=%q", k, v)
				}
				return f
			}
			d.LongAxisMM, d.ShortAxisMM = num("long"), num("short")
			if p, ok := opts["pos"]; ok {
				xyz := strings.Split(p, ",")
				if len(xyz) != 3 {
					fail("pos=X,Y,Z")
				}
				vals := make([]float64, 3)
				for i, s := range xyz {
					if vals[i], err = strconv.ParseFloat(s, 64); err != nil {
						fail("bad position %q", p)
					}
				}
				d.X, d.Y, d.Z = vals[0], vals[1], vals[2]
			}
			yes, no := true, false
			for _, w := range plain[2:] {
				switch w {
				case "node":
					d.IsNode = &yes
				case "target":
					d.Target = &yes
				case "nontarget":
					d.Target = &no
				case "toosmall":
					d.TooSmall = &yes
				default:
					fail("unknown lesion word %q", w)
				}
			}
			sc.events = append(sc.events, e)
			sc.details.Lesions = append(sc.details.Lesions, d)
		case "marker":
			at := date(0)
			if len(plain) < 3 {
				fail("marker DATE CONCEPT VALUE [UNIT]")
			}
			cs := codes.CodesOf(plain[1])
			if len(cs) == 0 {
				fail("unknown concept %q", plain[1])
			}
			e := ev(at, cs[0], timeline.KindTumorMarker)
			if e.Value, err = strconv.ParseFloat(plain[2], 64); err != nil {
				fail("bad value %q", plain[2])
			}
			e.HasValue = true
			if len(plain) > 3 {
				e.Unit = plain[3]
			}
			avail(&e)
			sc.events = append(sc.events, e)
		case "diagnosis":
			at := date(0)
			e := ev(at, plain[1], timeline.KindDiagnosis)
			e.Text = strings.Join(plain[2:], " ")
			sc.events = append(sc.events, e)
		case "stage":
			at := date(0)
			e := ev(at, plain[1], timeline.KindStage)
			e.Text = strings.Join(plain[2:], " ")
			sc.events = append(sc.events, e)
		case "status":
			at := date(0)
			e := ev(at, "LOINC//97509-4", timeline.KindObservation)
			e.Text = strings.Join(plain[1:], " ")
			avail(&e)
			sc.events = append(sc.events, e)
		case "variant":
			at := date(0)
			e := ev(at, "GENE//"+opts["gene"], timeline.KindVariant)
			origin := opts["origin"]
			if origin == "" {
				origin = "somatic"
			}
			vd := timeline.Variant{
				SubjectID: 1, Key: e.Key, Sample: opts["sample"], Gene: opts["gene"], HGVSp: opts["hgvsp"],
				Consequence: opts["consequence"], Origin: origin, Chrom: opts["chrom"], Ref: opts["ref"], Alt: opts["alt"],
				AlleleFraction: timeline.NoFloat, Depth: -1, AltDepth: -1, Qual: timeline.NoFloat,
			}
			if v, ok := opts["vaf"]; ok {
				if vd.AlleleFraction, err = strconv.ParseFloat(v, 64); err != nil {
					fail("bad vaf %q", v)
				}
			}
			sc.events = append(sc.events, e)
			sc.details.Variants = append(sc.details.Variants, vd)
		case "asof":
			sc.blocks = append(sc.blocks, expectBlock{asOf: date(0)})
		case "expect":
			x := expectation{line: n}
			rest := words
			if len(rest) > 0 {
				if d, err := parseWhen(rest[0]); err == nil {
					x.at = d
					rest = rest[1:]
				}
			}
			for _, w := range rest {
				p, ok := splitKV(w)
				if !ok {
					fail("expectation %q is not key=value", w)
				}
				x.kv = append(x.kv, p)
			}
			b := &sc.blocks[len(sc.blocks)-1]
			b.expects = append(b.expects, x)
		default:
			fail("unknown line %q", toks[0])
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if sc.title == "" || len(sc.sources) == 0 {
		t.Fatalf("%s: a scenario needs a title and a source", sc.file)
	}
	return sc
}

func setOption(o *Options, k, v string) error {
	atoi := func() (int, error) { return strconv.Atoi(v) }
	var err error
	switch k {
	case "confirm":
		o.RequireConfirmation = v == "on"
	case "confirmDays":
		o.ConfirmDays, err = atoi()
	case "sdmin":
		o.SDMinDays, err = atoi()
	case "irecist":
		o.IRECIST = IRECISTMode(v)
	case "baseline":
		o.BaselineDate, err = parseWhen(v)
	case "window":
		o.TimePointWindowDays, err = atoi()
	case "match":
		o.MatchMaxDistanceMM, err = strconv.ParseFloat(v, 64)
	case "regimen":
		o.RegimenWindowDays, err = atoi()
	case "gap":
		o.LineGapDays, err = atoi()
	case "newline":
		o.NewLineOnAddedAgent = v == "on"
	default:
		return fmt.Errorf("unknown option %q", k)
	}
	return err
}

// TestScenarios runs every testdata/*.scn file.
//
// Rules come from RECIST 1.1 (Eisenhauer EA, Therasse P, Bogaerts J et al.
// New response evaluation criteria in solid tumours: revised RECIST
// guideline (version 1.1). Eur J Cancer 2009;45:228–247) and iRECIST
// (Seymour L, Bogaerts J, Perrone A et al. iRECIST: guidelines for response
// criteria for use in trials testing immunotherapeutics. Lancet Oncol
// 2017;18:e143–e152); each file names the section it checks.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.scn"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	for _, path := range files {
		sc := loadScenario(t, path)
		t.Run(strings.TrimSuffix(sc.file, ".scn"), func(t *testing.T) {
			checked := 0
			for _, b := range sc.blocks {
				v := twin.NewView(1, sc.events, sc.details, b.asOf, nil)
				tw := Compute(v, sc.opt)
				for _, x := range b.expects {
					checked += check(t, sc, tw, x)
				}
				if t.Failed() && testing.Verbose() {
					js, _ := json.MarshalIndent(tw, "", "  ")
					t.Logf("twin as of %v:\n%s", b.asOf, js)
				}
			}
			if checked == 0 {
				t.Errorf("%s: no expectations", sc.file)
			}
		})
	}
}

// check verifies one expectation and returns the number of checks made.
func check(t *testing.T, sc *scenario, tw *Result, x expectation) int {
	t.Helper()
	where := fmt.Sprintf("%s:%d", sc.file, x.line)
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
	}
	get := func(k string) (string, bool) {
		for _, p := range x.kv {
			if p.key == k {
				return p.val, true
			}
		}
		return "", false
	}
	// Course selection.
	criteria := CriteriaRECIST
	if v, ok := get("course"); ok && v == "irecist" {
		criteria = CriteriaIRECIST
	}
	var course *Course
	if v, ok := get("line"); ok {
		n, _ := strconv.Atoi(v)
		for _, c := range tw.Courses {
			if c.Line == n && c.Criteria == criteria {
				course = c
			}
		}
	} else {
		course = tw.current(criteria)
	}
	var tp *TimePointOutcome
	if !x.at.IsZero() {
		if course == nil {
			errorf("no %s course", criteria)
			return 1
		}
		for i := range course.TimePoints {
			if course.TimePoints[i].Time.Equal(x.at) {
				tp = &course.TimePoints[i]
			}
		}
		if tp == nil {
			if v, ok := get("assessed"); ok && v == "no" {
				return 1
			}
			errorf("no %s assessment on %s in the course (has %d)", criteria, x.at.Format("2006-01-02"), len(course.TimePoints))
			return 1
		}
	}
	n := 0
	cmp := func(p kv, got string) {
		t.Helper()
		n++
		if p.op == "~=" {
			if !strings.Contains(got, p.val) {
				errorf("%s = %q, want it to contain %q", p.key, got, p.val)
			}
			return
		}
		if got != p.val {
			errorf("%s = %q, want %q", p.key, got, p.val)
		}
	}
	num := func(p kv, got *float64) {
		t.Helper()
		n++
		want, err := strconv.ParseFloat(p.val, 64)
		if err != nil {
			errorf("bad number %q", p.val)
			return
		}
		if got == nil {
			errorf("%s is not computed, want %v", p.key, want)
			return
		}
		if math.Abs(*got-want) > 0.05 {
			errorf("%s = %v, want %v", p.key, *got, want)
		}
	}
	yesno := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	needCourse := func() bool {
		if course == nil {
			errorf("no %s course", criteria)
			return false
		}
		return true
	}
	// Lesion-scoped and used-measurement checks.
	lesionID, _ := get("lesion")
	for _, p := range x.kv {
		switch p.key {
		case "course", "line", "lesion", "assessed", "marker", "variant", "sample":
			continue
		}
		if tp != nil && lesionID != "" {
			var u *UsedMeasurement
			for i := range tp.Measurements {
				if tp.Measurements[i].LesionID == lesionID {
					u = &tp.Measurements[i]
				}
			}
			var lm *Measurement
			for _, l := range tw.Lesions {
				if l.ID == lesionID {
					for i := range l.Measurements {
						if l.Measurements[i].Time.Equal(x.at) {
							lm = &l.Measurements[i]
						}
					}
				}
			}
			switch p.key {
			case "value":
				if u == nil {
					errorf("lesion %s not used on this date", lesionID)
					continue
				}
				num(p, u.ValueMM)
			case "role":
				if u == nil {
					errorf("lesion %s not used on this date", lesionID)
					continue
				}
				cmp(p, u.Role)
			case "note":
				if u == nil {
					errorf("lesion %s not used on this date", lesionID)
					continue
				}
				cmp(p, u.Note)
			case "inferred":
				if lm == nil {
					errorf("lesion %s has no measurement on this date", lesionID)
					continue
				}
				cmp(p, yesno(lm.Inferred))
			case "basis":
				if lm == nil {
					errorf("lesion %s has no measurement on this date", lesionID)
					continue
				}
				cmp(p, lm.MatchBasis)
			default:
				errorf("unknown lesion key %q", p.key)
			}
			continue
		}
		if tp != nil {
			switch p.key {
			case "target":
				cmp(p, string(tp.Target))
			case "nontarget":
				cmp(p, string(tp.NonTarget))
			case "new":
				cmp(p, yesno(tp.NewLesions))
			case "newIds":
				cmp(p, strings.Join(tp.NewLesionIDs, ","))
			case "overall":
				cmp(p, string(tp.Overall))
			case "sum":
				num(p, tp.SumMM)
			case "nadir":
				num(p, tp.NadirMM)
			case "pctBaseline":
				num(p, tp.PctFromBaseline)
			case "pctNadir":
				num(p, tp.PctFromNadir)
			case "nlt":
				num(p, tp.NewLesionTargetSumMM)
			case "confirmed":
				got := "n/a"
				if tp.Confirmed != nil {
					got = yesno(*tp.Confirmed)
				}
				cmp(p, got)
			case "reason":
				cmp(p, tp.Reason)
			default:
				errorf("unknown assessment key %q", p.key)
			}
			continue
		}
		switch p.key {
		case "best":
			if needCourse() {
				cmp(p, string(course.BestOverall))
			}
		case "bestBasis":
			if needCourse() {
				cmp(p, course.BestOverallBasis)
			}
		case "assessments":
			if needCourse() {
				cmp(p, strconv.Itoa(len(course.TimePoints)))
			}
		case "ttp":
			if needCourse() {
				num(p, course.TimeToProgressionDays)
			}
		case "censored":
			if needCourse() {
				cmp(p, yesno(course.Censored))
			}
		case "progression":
			if needCourse() {
				got := ""
				if course.Progression != nil {
					got = course.Progression.Format("2006-01-02")
				}
				cmp(p, got)
			}
		case "baselineDate":
			if needCourse() && course.Baseline != nil {
				cmp(p, course.Baseline.Time.Format("2006-01-02"))
			}
		case "baselineSum":
			if needCourse() && course.Baseline != nil {
				f := course.Baseline.SumMM
				num(p, &f)
			}
		case "targets":
			if needCourse() && course.Baseline != nil {
				got := append([]string(nil), course.Baseline.Targets...)
				sort.Strings(got)
				cmp(p, strings.Join(got, ","))
			}
		case "nontargets":
			if needCourse() && course.Baseline != nil {
				cmp(p, strings.Join(course.Baseline.NonTargets, ","))
			}
		case "selection":
			if needCourse() && course.Baseline != nil {
				cmp(p, course.Baseline.TargetSelection)
			}
		case "notes":
			if needCourse() {
				cmp(p, strings.Join(course.Notes, " | "))
			}
		case "notComputable":
			if needCourse() {
				cmp(p, course.NotComputable)
			}
		case "courses":
			cmp(p, strconv.Itoa(len(tw.Courses)))
		case "lesions":
			cmp(p, strconv.Itoa(len(tw.Lesions)))
		case "lines":
			cmp(p, strconv.Itoa(len(tw.Lines)))
		case "lineAgents", "lineReason", "lineBest", "lineStart", "lineEnd", "lineBestI", "lineExposures":
			v, _ := get("line")
			i, _ := strconv.Atoi(v)
			if i < 1 || i > len(tw.Lines) {
				errorf("no line %s", v)
				continue
			}
			l := tw.Lines[i-1]
			switch p.key {
			case "lineAgents":
				cmp(p, l.AgentNames())
			case "lineReason":
				cmp(p, l.Reason)
			case "lineBest":
				cmp(p, string(l.BestResponse))
			case "lineBestI":
				cmp(p, string(l.BestResponseIRECIST))
			case "lineStart":
				cmp(p, l.Start.Format("2006-01-02"))
			case "lineEnd":
				cmp(p, l.End.Format("2006-01-02"))
			case "lineExposures":
				total := 0
				for _, a := range l.Agents {
					total += a.Exposures
				}
				cmp(p, strconv.Itoa(total))
			}
		case "kinetics", "days", "pct", "baselineValue", "latest", "values":
			name, _ := get("marker")
			var m *Marker
			for i := range tw.Markers {
				if tw.Markers[i].Concept == name {
					m = &tw.Markers[i]
				}
			}
			if m == nil {
				errorf("no marker %q", name)
				continue
			}
			switch p.key {
			case "kinetics":
				got := "none: " + m.KineticsNote
				if m.Kinetics != nil {
					got = m.Kinetics.Kind
				}
				cmp(p, got)
			case "days":
				if m.Kinetics == nil {
					errorf("marker %s has no kinetics: %s", name, m.KineticsNote)
					continue
				}
				num(p, &m.Kinetics.Days)
			case "values":
				if m.Kinetics == nil {
					errorf("marker %s has no kinetics: %s", name, m.KineticsNote)
					continue
				}
				cmp(p, strconv.Itoa(m.Kinetics.Values))
			case "pct":
				if m.Change == nil {
					errorf("marker %s has no change from baseline", name)
					continue
				}
				num(p, m.Change.Percent)
			case "baselineValue":
				if m.Change == nil {
					errorf("marker %s has no change from baseline", name)
					continue
				}
				num(p, &m.Change.Baseline.Value)
			case "latest":
				num(p, &m.Latest.Value)
			}
		case "samples":
			cmp(p, strconv.Itoa(len(tw.Samples)))
		case "actionable":
			// actionable=ALTERATION: some variant of sample= (or any) is it.
			name, _ := get("sample")
			var found []string
			for _, s := range tw.Samples {
				if name != "" && s.Sample != name {
					continue
				}
				for _, v := range s.Variants {
					if v.Actionable != nil {
						found = append(found, v.Actionable.Alteration)
					}
				}
			}
			sort.Strings(found)
			cmp(p, strings.Join(found, ","))
		case "vaf":
			// vaf=GENE ALT:v1,v2 — the allele fractions over time.
			var parts []string
			for _, s := range tw.VAF {
				var vs []string
				for _, pt := range s.Points {
					vs = append(vs, strconv.FormatFloat(pt.AlleleFraction, 'f', -1, 64))
				}
				parts = append(parts, s.Gene+" "+s.Alteration+":"+strings.Join(vs, ","))
			}
			cmp(p, strings.Join(parts, ";"))
		case "cancers":
			var parts []string
			for _, c := range tw.Cancers {
				parts = append(parts, c.Category+"/"+c.Site)
			}
			cmp(p, strings.Join(parts, ","))
		case "histology":
			var parts []string
			for _, c := range tw.Cancers {
				if c.Histology != "" {
					parts = append(parts, c.Histology)
				}
			}
			cmp(p, strings.Join(parts, ","))
		case "metastases":
			var parts []string
			for _, m := range tw.MetastaticSites {
				parts = append(parts, m.Site)
			}
			cmp(p, strings.Join(parts, ","))
		case "stages":
			var parts []string
			for _, s := range tw.Stages {
				parts = append(parts, fmt.Sprintf("%s %s %s%s%s", s.Type, s.Group, s.T, s.N, s.M))
			}
			cmp(p, strings.Join(parts, ";"))
		case "diseaseStatus":
			var parts []string
			for _, s := range tw.DiseaseStatus {
				parts = append(parts, s.Status)
			}
			cmp(p, strings.Join(parts, ","))
		case "history":
			var parts []string
			for _, h := range tw.History {
				parts = append(parts, h.Time.Format("2006-01-02")+" "+h.Kind)
			}
			cmp(p, strings.Join(parts, ","))
		default:
			errorf("unknown key %q", p.key)
		}
	}
	return n
}

// TestScenariosAsOfEveryArrival recomputes every scenario as of each time a
// value became available (and a second before): nothing in the result may
// reference an event available later, and no assessment, line or history
// item may stand after that time (DESIGN.md §2).
func TestScenariosAsOfEveryArrival(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.scn"))
	for _, path := range files {
		sc := loadScenario(t, path)
		byRef := map[string]*timeline.Event{}
		var times []time.Time
		for i := range sc.events {
			e := &sc.events[i]
			byRef[twin.EventRef(e)] = e
			times = append(times, e.Available(), e.Available().Add(-time.Second))
		}
		for _, at := range twin.SortedTimes(times) {
			tw := Compute(twin.NewView(1, sc.events, sc.details, at, nil), sc.opt)
			b, err := json.Marshal(tw)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			refs := 0
			var visit func(any)
			checkRef := func(r string) {
				refs++
				e, ok := byRef[r]
				switch {
				case !ok:
					t.Errorf("%s as of %s: unknown event %s", sc.file, at, r)
				case e.Available().After(at):
					t.Errorf("%s as of %s: uses %s, available only at %s", sc.file, at, r, e.Available())
				}
			}
			visit = func(x any) {
				switch v := x.(type) {
				case map[string]any:
					for k, c := range v {
						switch k {
						case "eventRef":
							if s, _ := c.(string); s != "" {
								checkRef(s)
							}
						case "eventRefs":
							for _, r := range c.([]any) {
								checkRef(r.(string))
							}
						}
						visit(c)
					}
				case []any:
					for _, c := range v {
						visit(c)
					}
				}
			}
			visit(doc)
			for _, h := range tw.History {
				if h.Time.After(at) {
					t.Errorf("%s as of %s: history item %q at %s", sc.file, at, h.Summary, h.Time)
				}
			}
			if at.Equal(last(times)) && refs == 0 {
				t.Errorf("%s: the full result references no event", sc.file)
			}
		}
	}
}

func last(ts []time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}
