package oncology

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

func TestClassifyICD10(t *testing.T) {
	// ICD-10-CM Tabular List, Chapter 2 (Neoplasms).
	for _, c := range []struct {
		code, cat, site string
		ok              bool
	}{
		{"C34.90", "primary", "lung", true},
		{"C3490", "primary", "lung", true},
		{"C50.911", "primary", "breast", true},
		{"C18.7", "primary", "colon", true},
		{"C02.1", "primary", "lip, oral cavity and pharynx", true},
		{"C77.2", "secondary", "lymph node", true},
		{"C78.7", "secondary", "liver", true},
		{"C79.31", "secondary", "brain", true},
		{"C79.51", "secondary", "bone", true},
		{"C7B.02", "secondary", "neuroendocrine (secondary)", true},
		{"C7A.010", "primary", "neuroendocrine", true},
		{"C80.1", "primary", "unknown primary site", true},
		{"C91.00", "primary", "lymphoid and haematopoietic tissue", true},
		{"D05.10", "in situ", "", true},
		{"D12.6", "benign", "", true},
		{"D3A.01", "benign", "neuroendocrine", true},
		{"D47.1", "uncertain", "", true},
		{"D49.2", "uncertain", "", true},
		{"D50.9", "", "", false}, // iron deficiency anaemia: chapter 3
		{"E11.9", "", "", false},
		{"C", "", "", false},
	} {
		cat, site, ok := classifyICD10(c.code)
		if ok != c.ok || cat != c.cat || site != c.site {
			t.Errorf("classifyICD10(%q) = %q, %q, %v; want %q, %q, %v", c.code, cat, site, ok, c.cat, c.site, c.ok)
		}
	}
}

func TestClassifyText(t *testing.T) {
	for _, c := range []struct{ text, cat string }{
		{"Primary malignant neoplasm of colon", "primary"},
		{"Secondary malignant neoplasm of colon", "secondary"},
		{"Metastatic malignant neoplasm to lung (disorder)", "secondary"},
		{"Carcinoma in situ of prostate (disorder)", "in situ"},
		{"Neoplasm of prostate", "neoplasm"},
		{"Benign neoplasm of skin", "benign"},
		{"Suspected lung cancer (situation)", ""},
		{"Family history of cancer", ""},
		{"Hypertension", ""},
	} {
		got, _ := classifyText(c.text)
		if got != c.cat {
			t.Errorf("classifyText(%q) = %q, want %q", c.text, got, c.cat)
		}
	}
}

func TestAgentLookup(t *testing.T) {
	idx := newAgentIndex([]Agent{{Name: "Trial-Drug-X", Products: []string{"999001"}}})
	for _, c := range []struct {
		code, text, name, by string
	}{
		{"ATC//L01XA01", "", "cisplatin", "atc"},
		{"ATC//L02BG04", "", "letrozole", "atc"},
		{"ATC//L01XX99", "", "ATC L01XX99", "atc"}, // an L01 code outside the table is still antineoplastic
		{"RXNORM//2555", "", "cisplatin", "rxnorm-ingredient"},
		{"RXNORM//583214", "PACLitaxel 100 MG Injection", "paclitaxel", "rxnorm-product"},
		{"RXNORM//752899", "", "leuprorelin", "rxnorm-product"},
		{"RXNORM//123", "Pemetrexed 500 MG Injection", "pemetrexed", "name"},
		{"LOCAL//x", "5-FU bolus", "fluorouracil", "name"},
		{"RXNORM//999001", "", "trial-drug-x", "rxnorm-product"},
		{"ATC//C09AA05", "", "", ""},           // ramipril
		{"RXNORM//6313", "leucovorin", "", ""}, // folinic acid is not an antineoplastic
		{"RXNORM//314076", "lisinopril 10 MG Oral Tablet", "", ""},
	} {
		rec, ok := idx.lookup(&timeline.Event{Code: c.code, Text: c.text})
		if c.name == "" {
			if ok {
				t.Errorf("%s %q recognised as %s", c.code, c.text, rec.agent.Name)
			}
			continue
		}
		if !ok || rec.agent.Name != c.name || rec.by != c.by {
			t.Errorf("%s %q = %+v %v, want %s by %s", c.code, c.text, rec.agent, ok, c.name, c.by)
		}
	}
	for _, a := range Agents() {
		if a.ATC == "" || !(strings.HasPrefix(a.ATC, "L01") || strings.HasPrefix(a.ATC, "L02")) {
			t.Errorf("agent %s: ATC %q is not L01/L02", a.Name, a.ATC)
		}
	}
}

func TestNormalizeProtein(t *testing.T) {
	for in, want := range map[string]string{
		"p.Leu858Arg":                     "L858R",
		"p.(Leu858Arg)":                   "L858R",
		"NP_005219.2:p.Leu858Arg":         "L858R",
		"p.L858R":                         "L858R",
		"L858R":                           "L858R",
		"p.Glu746_Ala750del":              "E746_A750del",
		"p.Leu747_Pro753delinsSer":        "L747_P753delinsS",
		"p.Gly12Cys":                      "G12C",
		"p.Arg273His":                     "R273H",
		"p.Lys3326Ter":                    "K3326*",
		"p.?":                             "",
		"":                                "",
		"ENSP00000275493.2:p.(Val600Glu)": "V600E",
	} {
		if got := normalizeProtein(in); got != want {
			t.Errorf("normalizeProtein(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActionable(t *testing.T) {
	for _, c := range []struct {
		v    timeline.Variant
		want string
	}{
		{timeline.Variant{Gene: "EGFR", HGVSp: "p.Leu858Arg"}, "EGFR L858R"},
		{timeline.Variant{Gene: "EGFR", HGVSp: "p.Leu747_Pro753delinsSer"}, "EGFR exon 19 deletion"},
		{timeline.Variant{Gene: "EGFR", HGVSp: "p.E709_T710delinsD"}, ""}, // exon 18, not 19
		{timeline.Variant{Gene: "EGFR", HGVSp: "p.D770_N771insSVD"}, ""},  // exon 20 insertion
		{timeline.Variant{Gene: "EGFR", HGVSp: "p.A767_V769dup"}, ""},
		{timeline.Variant{Gene: "KRAS", HGVSp: "p.Gly12Cys"}, "KRAS G12C"},
		{timeline.Variant{Gene: "KRAS", HGVSp: "p.Gly12Asp"}, ""},
		{timeline.Variant{Gene: "BRAF", HGVSp: "p.V600E"}, "BRAF V600E"},
		{timeline.Variant{Gene: "BRAF", HGVSp: "p.V600K"}, ""},
		{timeline.Variant{Gene: "EML4::ALK"}, "ALK fusion"},
		{timeline.Variant{Gene: "ROS1", Consequence: "gene_fusion"}, "ROS1 fusion"},
		{timeline.Variant{Gene: "ALK", HGVSp: "p.F1174L"}, ""}, // a point mutation, not a fusion
		{timeline.Variant{Gene: "TP53", HGVSp: "p.R273H"}, ""},
	} {
		got := ""
		if a := actionabilityOf(&c.v, normalizeProtein(c.v.HGVSp)); a != nil {
			got = a.Alteration
			if a.Source == "" || a.Evidence == "" || len(a.Therapies) == 0 {
				t.Errorf("%+v: entry without source, evidence or therapy", a)
			}
		}
		if got != c.want {
			t.Errorf("%s %s = %q, want %q", c.v.Gene, c.v.HGVSp, got, c.want)
		}
	}
}

func TestParseLesionStatus(t *testing.T) {
	for in, want := range map[string]lesionStatus{
		"":                        statusNone,
		"Long axis":               statusNone,
		"unequivocal progression": statusProgression,
		"Progressive disease":     statusProgression,
		"no change":               statusStable,
		"Stable":                  statusStable,
		"not seen":                statusAbsent,
		"resolved":                statusAbsent,
		"increased in size":       statusIncreased,
		"decreased":               statusDecreased,
		"New lesion":              statusNew,
		"renewed":                 statusNone,
		"present":                 statusPresent,
	} {
		if got := parseLesionStatus(in); got != want {
			t.Errorf("parseLesionStatus(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestOrganOf(t *testing.T) {
	for _, c := range []struct {
		site, code string
		node       bool
		want       string
	}{
		{"Right lower lobe of lung", "", false, "lung"},
		{"left lung", "", false, "lung"},
		{"Liver segment 7", "", false, "liver"},
		{"mediastinal", "", true, "lymph node"},
		{"Gallbladder", "", false, "gallbladder"},
		{"urinary bladder", "", false, "bladder"},
		{"", "SNOMED//10200004", false, "liver"},
		{"", "SNOMED//3341006", false, "lung"},
		{"Pancreatic head", "", false, "pancreas"},
		{"thing", "", false, "thing"},
		{"", "", false, organUnspecified},
	} {
		if got := organOf(c.site, c.code, c.node); got != c.want {
			t.Errorf("organOf(%q, %q, %v) = %q, want %q", c.site, c.code, c.node, got, c.want)
		}
	}
}

// TestAsOfThroughStore stores the as-of scenario's events in the embedded
// store and reads them back with twin.Load at several times: the store's
// as-of filter and the view's must give the same responses, and a response
// at T must use only assessments available by T (DESIGN.md §2).
func TestAsOfThroughStore(t *testing.T) {
	sc := loadScenario(t, filepath.Join("testdata", "asof-confirmation.scn"))
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	subject, err := st.Resolve(ctx, timeline.Identifier{System: "test", Value: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	bb := timeline.NewBatchBuilder(memory.NewGoAllocator(), 0, timeline.WithClock(func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }))
	defer bb.Release()
	for _, e := range sc.events {
		e.SubjectID = subject
		if err := bb.Append(&e); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range sc.details.Lesions {
		d.SubjectID = subject
		if err := bb.Detail(timeline.Lesions).AppendLesion(&d); err != nil {
			t.Fatal(err)
		}
	}
	b := bb.Flush()
	if _, err := st.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Release()
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for _, c := range []struct {
		asOf        time.Time
		assessments int
		best        Response
	}{
		{day("2024-03-11"), 0, NE},
		{day("2024-03-12"), 1, SD},
		{day("2024-04-15").Add(12 * time.Hour), 1, SD},
		{day("2024-04-16"), 2, PR},
		{time.Time{}, 2, PR},
	} {
		v, err := twin.Load(ctx, st, subject, c.asOf, nil)
		if err != nil {
			t.Fatal(err)
		}
		tw := Compute(v, sc.opt)
		r := tw.Response()
		if r == nil {
			t.Fatalf("as of %v: no response", c.asOf)
		}
		if len(r.TimePoints) != c.assessments || r.BestOverall != c.best {
			t.Errorf("as of %v: %d assessments, best %s; want %d, %s", c.asOf, len(r.TimePoints), r.BestOverall, c.assessments, c.best)
		}
		for _, o := range r.TimePoints {
			if !c.asOf.IsZero() && o.Available != nil && o.Available.After(c.asOf) {
				t.Errorf("as of %v: uses an assessment available only on %v", c.asOf, o.Available)
			}
			for _, m := range o.Measurements {
				if m.EventRef == "" && m.Note != "not assessed" {
					t.Errorf("measurement %+v has no event reference", m)
				}
			}
		}
		// The in-memory view of the same events agrees with the store's.
		mem := Compute(twin.NewView(subject, withSubject(sc.events, subject), withSubjectDetails(sc.details, subject), c.asOf, nil), sc.opt)
		a, _ := json.Marshal(mem.Response())
		bj, _ := json.Marshal(r)
		if string(a) != string(bj) {
			t.Errorf("as of %v: store and in-memory views differ:\n%s\n%s", c.asOf, bj, a)
		}
	}
}

func withSubject(evs []timeline.Event, s int64) []timeline.Event {
	out := append([]timeline.Event(nil), evs...)
	for i := range out {
		out[i].SubjectID = s
	}
	return out
}

func withSubjectDetails(d twin.Details, s int64) twin.Details {
	out := twin.Details{Lesions: append([]timeline.LesionDetail(nil), d.Lesions...)}
	for i := range out.Lesions {
		out.Lesions[i].SubjectID = s
	}
	return out
}

// TestComputeIsDeterministic: the same view gives byte-identical JSON
// (maps are iterated in sorted order everywhere that reaches the output).
func TestComputeIsDeterministic(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.scn"))
	for _, f := range files {
		sc := loadScenario(t, f)
		v := twin.NewView(1, sc.events, sc.details, time.Time{}, nil)
		first, err := json.Marshal(Compute(v, sc.opt))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := 0; i < 5; i++ {
			again, _ := json.Marshal(Compute(v, sc.opt))
			if string(again) != string(first) {
				t.Fatalf("%s: output differs between runs", f)
			}
		}
	}
}

func TestEmptyView(t *testing.T) {
	tw := Compute(twin.NewView(7, nil, twin.Details{}, time.Time{}, nil), DefaultOptions())
	js, err := json.Marshal(tw)
	if err != nil {
		t.Fatal(err)
	}
	if tw.Response() != nil || len(tw.Courses) != 0 || strings.Contains(string(js), "null") {
		t.Errorf("empty twin = %s", js)
	}
}

func FuzzNormalizeProtein(f *testing.F) {
	for _, s := range []string{"p.Leu858Arg", "NP_005219.2:p.(Glu746_Ala750del)", "p.?", "L858R", "p.Lys3326Ter", ":", "p.("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := normalizeProtein(s)
		if len(p) > len(s) {
			t.Fatalf("normalizeProtein(%q) = %q grew", s, p)
		}
		if p != strings.TrimSpace(p) {
			t.Fatalf("normalizeProtein(%q) = %q keeps spaces at its ends", s, p)
		}
		v := timeline.Variant{Gene: "EGFR", HGVSp: s}
		actionabilityOf(&v, p)
	})
}

func FuzzParseLesionStatus(f *testing.F) {
	for _, s := range []string{"", "unequivocal progression", "not seen", "New lesion", "decreased", "stable"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st := parseLesionStatus(s)
		if st < statusNone || st > statusNew {
			t.Fatalf("parseLesionStatus(%q) = %d", s, st)
		}
		_ = organFromText(s)
		_, _ = classifyText(s)
		_ = histologyOf(s)
		_ = stageValue(s, true)
		_ = stageValue(s, false)
		_ = diseaseStatusOf(s)
	})
}
