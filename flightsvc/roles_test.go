package flightsvc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// records pulls a descriptor's endpoints in order, as records.
func (e *env) records(tok, desc string) []arrow.Record {
	e.t.Helper()
	ctx := withToken(bg, tok)
	info, err := e.client.GetFlightInfo(ctx, cmd(desc))
	if err != nil {
		e.t.Fatalf("GetFlightInfo: %v", err)
	}
	var out []arrow.Record
	for _, ep := range info.Endpoint {
		stream, err := e.client.DoGet(ctx, ep.Ticket)
		if err != nil {
			e.t.Fatal(err)
		}
		rdr, err := flight.NewRecordReader(stream)
		if err != nil {
			e.t.Fatal(err)
		}
		for rdr.Next() {
			r := rdr.Record()
			r.Retain()
			out = append(out, r)
		}
		if err := rdr.Err(); err != nil {
			e.t.Fatal(err)
		}
		rdr.Release()
	}
	e.t.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return out
}

func colOf[T arrow.Array](rec arrow.Record, name string) T {
	return rec.Column(rec.Schema().FieldIndices(name)[0]).(T)
}

// Researchers see pseudonyms, per-subject shifted dates and no sources, as
// in GraphQL; every patient read is audited with the real subject id.
func TestResearcherPseudonymised(t *testing.T) {
	e := newEnv(t, envOptions{patients: 6, labs: 12})
	sub := []int64{e.ids[0], e.ids[3], e.ids[4]}
	d := fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":["%s","%s","%s"]}}`, e.pseudo.Subject(sub[0]), e.pseudo.Subject(sub[1]), e.pseudo.Subject(sub[2]))
	recs := e.records(tokResearcher, d)
	rr, err := e.store.Scan(bg, store.Cohort{SubjectIDs: sub}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := timeline.ReadAll(rr)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rec := range recs {
		if f := rec.Schema().Field(0); f.Type != arrow.BinaryTypes.String {
			t.Fatalf("subject_id is %s", f.Type)
		}
		subj := colOf[*array.String](rec, "subject_id")
		tm := colOf[*array.Timestamp](rec, "time")
		rec2 := colOf[*array.Timestamp](rec, "recorded_at")
		src := colOf[*array.String](rec, "source")
		code := colOf[*array.String](rec, "code")
		for i := 0; i < int(rec.NumRows()); i++ {
			w := want[n]
			n++
			shift := e.pseudo.Shift(w.SubjectID)
			if subj.Value(i) != e.pseudo.Subject(w.SubjectID) || code.Value(i) != w.Code || src.IsValid(i) {
				t.Fatalf("row %d: subject %s code %s source valid %v", n, subj.Value(i), code.Value(i), src.IsValid(i))
			}
			if w.Time.IsZero() != tm.IsNull(i) || (!w.Time.IsZero() && !tm.Value(i).ToTime(arrow.Microsecond).Equal(w.Time.Add(shift))) {
				t.Fatalf("row %d: time %v, want %v + %v", n, tm.Value(i), w.Time, shift)
			}
			if !rec2.Value(i).ToTime(arrow.Microsecond).Equal(w.RecordedAt.Add(shift)) {
				t.Fatalf("row %d: recorded_at not shifted", n)
			}
		}
	}
	if n != len(want) {
		t.Fatalf("%d rows, want %d", n, len(want))
	}
	log, err := e.store.AuditLog(bg, store.AuditQuery{Actor: "res.c"})
	if err != nil {
		t.Fatal(err)
	}
	var audited []int64
	for _, a := range log {
		if a.Action != ActionFlight || a.Role != "researcher" || !slices.Contains(a.Fields, "timeline.subject_id") {
			t.Errorf("audit entry %+v", a)
		}
		audited = append(audited, a.SubjectID)
	}
	slices.Sort(audited)
	if !slices.Equal(audited, sub) {
		t.Errorf("audited %v, want %v", audited, sub)
	}
	// Researchers cannot name subjects by id.
	_, err = e.client.GetFlightInfo(withToken(bg, tokResearcher), cmd(fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d]}}`, sub[0])))
	if err == nil || !strings.Contains(err.Error(), "researchers name subjects by pseudonym") {
		t.Errorf("researcher with a subject id: %v", err)
	}
}

// A researcher's time bounds are in each subject's shifted calendar: every
// subject is filtered exactly in its own.
func TestResearcherTimeBoundsPerSubject(t *testing.T) {
	// Shifts of at most 10 days keep every subject's window within its 90
	// days of labs.
	e := newEnv(t, envOptions{patients: 8, labs: 90, maxShift: 10})
	var refs []string
	for _, id := range e.ids {
		refs = append(refs, `"`+e.pseudo.Subject(id)+`"`)
	}
	from := fixture.LabTime(30).Add(-time.Hour)
	to := fixture.LabTime(50).Add(-time.Hour)
	asOf := fixture.LabTime(45).Add(7 * time.Hour)
	d := fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%s]},"kinds":["lab"],"from":%q,"to":%q,"as_of":%q,"columns":["subject_id","time"]}`,
		strings.Join(refs, ","), from.Format(time.RFC3339), to.Format(time.RFC3339), asOf.Format(time.RFC3339))
	got := map[string]int{}
	for _, rec := range e.records(tokResearcher, d) {
		subj := colOf[*array.String](rec, "subject_id")
		tm := colOf[*array.Timestamp](rec, "time")
		for i := 0; i < subj.Len(); i++ {
			got[subj.Value(i)]++
			ts := tm.Value(i).ToTime(arrow.Microsecond)
			if ts.Before(from) || !ts.Before(to) {
				t.Fatalf("shifted time %v outside [%v, %v)", ts, from, to)
			}
		}
	}
	for _, id := range e.ids {
		sh := e.pseudo.Shift(id)
		n, err := e.store.Count(bg, store.Cohort{SubjectIDs: []int64{id}}, store.Filter{Kinds: []timeline.Kind{timeline.KindLab},
			From: from.Add(-sh), To: to.Add(-sh), AsOf: asOf.Add(-sh)})
		if err != nil {
			t.Fatal(err)
		}
		if n < 10 || int64(got[e.pseudo.Subject(id)]) != n {
			t.Errorf("subject shifted %v: %d rows, want %d", sh, got[e.pseudo.Subject(id)], n)
		}
	}
}

// The detail datasets join each detail row with its event; researchers get
// tokens for UIDs and lesion ids and no sample names or observers.
func TestDetailDatasets(t *testing.T) {
	e := newEnv(t, envOptions{patients: 5, labs: 3})
	for _, tok := range []string{tokClinician, tokResearcher} {
		for _, ds := range []string{DatasetVariants, DatasetImagingFeatures, DatasetLesions} {
			recs := e.records(tok, fmt.Sprintf(`{"dataset":%q}`, ds))
			rows := 0
			for _, rec := range recs {
				for i := 0; i < int(rec.NumRows()); i++ {
					n := rows + 1 // patient number: one row per patient, in subject order
					rows++
					id := e.ids[n-1]
					subj := rec.Column(0)
					if tok == tokResearcher && subj.(*array.String).Value(i) != e.pseudo.Subject(id) {
						t.Fatalf("%s: row %d subject", ds, n)
					}
					if tok == tokClinician && subj.(*array.Int64).Value(i) != id {
						t.Fatalf("%s: row %d subject", ds, n)
					}
					code := colOf[*array.String](rec, "code").Value(i)
					switch ds {
					case DatasetVariants:
						sample := colOf[*array.String](rec, "sample")
						if code != fixture.Variant || colOf[*array.String](rec, "gene").Value(i) != "PNPLA3" || colOf[*array.Int64](rec, "pos").Value(i) != 43928847 ||
							(tok == tokClinician && sample.Value(i) != fmt.Sprintf("S%d", n)) || (tok == tokResearcher && sample.IsValid(i)) {
							t.Errorf("variants row %d: %s", n, rowsOf(rec)[i])
						}
					case DatasetImagingFeatures:
						uid := colOf[*array.String](rec, "study_uid").Value(i)
						wantUID := fixture.StudyUID(n)
						if tok == tokResearcher {
							wantUID = e.pseudo.Token("study", wantUID)
						}
						if code != fixture.LiverHU || colOf[*array.Float64](rec, "numeric_value").Value(i) != fixture.LiverHUValue(n) ||
							colOf[*array.String](rec, "algorithm").Value(i) != "medtwin-features" || uid != wantUID {
							t.Errorf("imaging row %d: %s", n, rowsOf(rec)[i])
						}
					case DatasetLesions:
						lid := colOf[*array.String](rec, "lesion_id").Value(i)
						obs := colOf[*array.String](rec, "observer")
						wantID := fmt.Sprintf("L%d-1", n)
						if tok == tokResearcher {
							wantID = e.pseudo.Token("lesion", wantID)
						}
						if lid != wantID || colOf[*array.Float64](rec, "long_axis_mm").Value(i) != 21.5 || (tok == tokResearcher) == obs.IsValid(i) {
							t.Errorf("lesion row %d: %s", n, rowsOf(rec)[i])
						}
					}
				}
			}
			if rows != 5 {
				t.Errorf("%s as %s: %d rows, want 5", ds, tok, rows)
			}
		}
	}
}

// Saved cohorts: save_cohort (frozen or by definition), list_cohorts, and
// reads by name.
func TestSavedCohorts(t *testing.T) {
	e := newEnv(t, envOptions{patients: 7, labs: 3})
	act := func(tok, typ, body string) []map[string]any {
		stream, err := e.client.DoAction(withToken(bg, tok), &flight.Action{Type: typ, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for {
			r, err := stream.Recv()
			if err != nil {
				if !strings.Contains(err.Error(), "EOF") {
					t.Fatalf("%s: %v", typ, err)
				}
				break
			}
			var m map[string]any
			json.Unmarshal(r.Body, &m)
			out = append(out, m)
		}
		return out
	}
	res := act(tokResearcher, ActionSaveCohort, fmt.Sprintf(`{"name":"pair","cohort":{"subjects":["%s","%s"]},"freeze":true}`,
		e.pseudo.Subject(e.ids[1]), e.pseudo.Subject(e.ids[5])))
	if len(res) != 1 || res[0]["subjects"] != 2.0 || res[0]["created_by"] != "res.c" {
		t.Fatalf("save_cohort = %v", res)
	}
	act(tokClinician, ActionSaveCohort, `{"name":"k76","description":"NAFLD","cohort":{"has_codes":["ICD10CM//K76.0"]}}`)
	list := act(tokClinician, ActionListCohorts, "")
	if len(list) != 2 || list[0]["name"] != "k76" || list[1]["name"] != "pair" {
		t.Fatalf("list_cohorts = %v", list)
	}
	_, rows, _ := e.pull(tokClinician, `{"dataset":"timeline","cohort":{"name":"pair"}}`)
	if want := e.scanRows(store.Cohort{SubjectIDs: []int64{e.ids[1], e.ids[5]}}, store.Filter{}); !slices.Equal(rows, want) {
		t.Errorf("cohort pair: %d rows, want %d", len(rows), len(want))
	}
	_, rows, _ = e.pull(tokClinician, fmt.Sprintf(`{"dataset":"timeline","cohort":{"name":"k76","subjects":[%d]}}`, e.ids[2]))
	if want := e.scanRows(store.Cohort{SubjectIDs: e.ids[2:3]}, store.Filter{}); !slices.Equal(rows, want) {
		t.Errorf("cohort k76 narrowed: %d rows, want %d", len(rows), len(want))
	}
	if _, err := e.client.DoAction(withToken(bg, tokClinician), &flight.Action{Type: "drop_everything"}); err == nil {
		// The error comes with the first Recv.
		stream, _ := e.client.DoAction(withToken(bg, tokClinician), &flight.Action{Type: "drop_everything"})
		if _, err := stream.Recv(); err == nil || !strings.Contains(err.Error(), "unknown action") {
			t.Errorf("unknown action: %v", err)
		}
	}
}
