package flightsvc

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
)

// matrixRows pulls a feature matrix into one map per row.
func (e *env) matrixRows(tok, desc string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, rec := range e.records(tok, desc) {
		for i := 0; i < int(rec.NumRows()); i++ {
			m := map[string]any{}
			for c, f := range rec.Schema().Fields() {
				a := rec.Column(c)
				if a.IsNull(i) {
					m[f.Name] = nil
					continue
				}
				switch a := a.(type) {
				case *array.Int64:
					m[f.Name] = a.Value(i)
				case *array.Float64:
					m[f.Name] = a.Value(i)
				case *array.String:
					m[f.Name] = a.Value(i)
				case *array.Timestamp:
					m[f.Name] = a.Value(i).ToTime(arrow.Microsecond)
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// The fixture's labs are taken daily at 08:00 (ALT, AST, platelets in turn)
// and issued six hours later. At an index time of 11:00 on day 5 the
// platelet count taken that morning was measured but not yet available:
// it must not leak into the matrix, neither into the raw feature nor into
// the FIB-4 the liver twin computes; three hours later it is used.
func TestFeatureMatrixAsOfNoLeak(t *testing.T) {
	e := newEnv(t, envOptions{patients: 4, labs: 12})
	spec := `{"columns":[
		{"name":"platelets","code":"LOINC//777-3"},
		{"name":"platelets_n","code":"LOINC//777-3","agg":"count"},
		{"name":"alt","concept":"alt","window":"30d"},
		{"name":"fib4","twin":"fib4"},
		{"name":"age","demographic":"age"},
		{"name":"sex","demographic":"sex"}]}`
	day5 := fixture.LabTime(5) // platelets (5 % 3 == 2)
	for _, c := range []struct {
		index     time.Time
		platelets int // the lab index of the last platelet count known
		n         int64
	}{
		{day5.Add(3 * time.Hour), 2, 1},           // measured 08:00, issued 14:00: unknown at 11:00
		{day5.Add(7 * time.Hour), 5, 2},           // known at 15:00
		{day5.Add(-time.Minute), 2, 1},            // before it was taken
		{fixture.LabTime(9).Add(time.Hour), 5, 2}, // day 8's platelets (j=8) not issued until 14:00 of day 8: known; day 9 none
	} {
		at := c.index.Format(time.RFC3339)
		rows := e.matrixRows(tokClinician, fmt.Sprintf(`{"dataset":"features","as_of":%q,"features":%s}`, at, spec))
		if len(rows) != 4 {
			t.Fatalf("as of %s: %d rows, want one per subject", at, len(rows))
		}
		for n, r := range rows {
			pn := n + 1
			sid := e.ids[n]
			if r["subject_id"] != sid || !r["index_time"].(time.Time).Equal(c.index) {
				t.Fatalf("row %d: %v", n, r)
			}
			wantP := fixture.LabValue(pn, c.platelets)
			if c.index.Equal(fixture.LabTime(9).Add(time.Hour)) {
				wantP, c.n = fixture.LabValue(pn, 8), 3
			}
			if r["platelets"] != wantP || r["platelets_n"] != c.n {
				t.Errorf("as of %s, patient %d: platelets %v (n %v), want %v (n %d)", at, pn, r["platelets"], r["platelets_n"], wantP, c.n)
			}
			// The twin output is the liver twin's FIB-4 on the patient's
			// view as of the index time, read independently here.
			v, err := twin.Load(bg, e.store, sid, c.index, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := liver.Compute(v, liver.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			sr, _ := res.Score(twin.ScoreFIB4)
			if sr.Current == nil || sr.Current.Value == nil {
				t.Fatalf("as of %s: FIB-4 not computable: %+v", at, sr.Current)
			}
			if got := r["fib4"]; got != *sr.Current.Value {
				t.Errorf("as of %s, patient %d: fib4 %v, want %v", at, pn, got, *sr.Current.Value)
			}
			// And it differs from what a leaking read would give.
			if c.platelets == 2 && c.index.Before(day5.Add(6*time.Hour)) && !c.index.Before(day5) {
				age, _ := v.AgeAt(c.index)
				leak := liver.FIB4(float64(age), fixture.LabValue(pn, 4), fixture.LabValue(pn, 3), fixture.LabValue(pn, 5))
				if math.Abs(leak-*sr.Current.Value) < 1e-9 {
					t.Fatalf("the test cannot tell a leak: FIB-4 %v either way", leak)
				}
			}
			wantSex := "M"
			if fixture.Female(pn) {
				wantSex = "F"
			}
			if r["sex"] != wantSex || r["age"] == nil {
				t.Errorf("patient %d: sex %v age %v", pn, r["sex"], r["age"])
			}
		}
	}
}

// An index at each subject's first K76.0 diagnosis; concept windows,
// slopes and counts before it.
func TestFeatureMatrixIndexByCode(t *testing.T) {
	e := newEnv(t, envOptions{patients: 3, labs: 40})
	spec := `{"index":{"code":"ICD10CM//K76*"},"columns":[
		{"name":"alt_last","concept":"alt","window":"365d"},
		{"name":"alt_n","concept":"alt","agg":"count","window":"365d"},
		{"name":"alt_max_10d","concept":"alt","agg":"max","window":"10d"},
		{"name":"alt_slope","concept":"alt","agg":"slope"},
		{"name":"dx","code":"ICD10CM//K76.0","agg":"count"}]}`
	rows := e.matrixRows(tokClinician, fmt.Sprintf(`{"dataset":"features","cohort":{"has_codes":["ICD10CM//K76.0"]},"features":%s}`, spec))
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	index := fixture.Epoch.AddDate(0, 1, 0) // the diagnosis: 1 Feb 2020 08:00
	for n, r := range rows {
		pn := n + 1
		if !r["index_time"].(time.Time).Equal(index) {
			t.Fatalf("index %v", r["index_time"])
		}
		// ALT is lab j with j%3 == 0; j=31 (1 Feb 08:00) is issued at
		// 14:00, after the index: the last known is j=30.
		var pts []twin.Point
		maxV := math.Inf(-1)
		for j := 0; j <= 30; j += 3 {
			v := fixture.LabValue(pn, j)
			pts = append(pts, twin.Point{Time: fixture.LabTime(j), Value: v})
			if !fixture.LabTime(j).Before(index.Add(-10 * twin.Day)) {
				maxV = math.Max(maxV, v)
			}
		}
		slope, _ := twin.Slope(pts)
		if r["alt_last"] != fixture.LabValue(pn, 30) || r["alt_n"] != int64(len(pts)) || r["alt_max_10d"] != maxV || r["dx"] != int64(1) {
			t.Errorf("patient %d: %v", pn, r)
		}
		if math.Abs(r["alt_slope"].(float64)-slope) > 1e-9 {
			t.Errorf("patient %d: slope %v, want %v", pn, r["alt_slope"], slope)
		}
	}
}

// Researchers give index times in each subject's shifted calendar and get
// them back so, with pseudonyms.
func TestFeatureMatrixResearcher(t *testing.T) {
	e := newEnv(t, envOptions{patients: 3, labs: 6})
	at := "2021-06-01T00:00:00Z"
	rows := e.matrixRows(tokResearcher, fmt.Sprintf(`{"dataset":"liver_features","as_of":%q}`, at))
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	want, _ := time.Parse(time.RFC3339, at)
	for n, r := range rows {
		if r["subject_id"] != e.pseudo.Subject(e.ids[n]) || !r["index_time"].(time.Time).Equal(want) {
			t.Errorf("row %d: %v", n, r)
		}
		// Age in completed years at the subject's real index time.
		real := want.Add(-e.pseudo.Shift(e.ids[n]))
		b := fixture.Birth(n + 1)
		age := real.Year() - b.Year()
		if real.Month() < b.Month() || (real.Month() == b.Month() && real.Day() < b.Day()) {
			age--
		}
		if r["age"] != float64(age) {
			t.Errorf("row %d: age %v, want %d", n, r["age"], age)
		}
	}
}
