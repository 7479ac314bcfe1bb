package evaluation

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/agreement"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
)

// Outcomes: a study is reference-positive when a diagnosis of the outcome
// is coded within the window; contrast-enhanced studies are not assessed.
func TestOutcomeReference(t *testing.T) {
	st := day0(2024, 5, 1)
	mk := func(id int64, hu float64, contrast string) *patient {
		p := &patient{subject: id}
		p.study("S", st, "H", "CT", contrast)
		p.ai("S", st, "liver_mean_hu", "[hnsf'U]", hu, "FatAI", "1", "liver", "", "")
		return p
	}
	p1 := mk(1, 40, "none") // test +, steatosis coded 200 days before: TP
	p1.diagnosis("ICD10CM//K76.0", st.Add(-200*day))
	p2 := mk(2, 60, "none") // test −, coded 400 days after (outside): TN
	p2.diagnosis("ICD10CM//K76.0", st.Add(400*day))
	p3 := mk(3, 45, "") // test + (< 48 HU), nothing coded: FP
	p3.diagnosis("ICD10CM//J18.9", st)
	p4 := mk(4, 62, "none") // test −, NASH coded 30 days after: FN
	p4.diagnosis("ICD10CM//K75.81", st.Add(30*day))
	p5 := mk(5, 30, "portal_venous") // enhanced: not assessed
	rep := evaluate(t, DefaultOptions("FatAI"), p1, p2, p3, p4, p5)
	var l *LabelReport
	for i := range rep.Labels {
		if rep.Labels[i].Label == "hepatic steatosis" {
			l = &rep.Labels[i]
		}
	}
	if l == nil {
		t.Fatalf("labels: %+v", rep.Labels)
	}
	if (l.Confusion != agreement.Confusion{TP: 1, FP: 1, FN: 1, TN: 1}) {
		t.Errorf("confusion: %+v", l.Confusion)
	}
	if rep.Excluded["hepatic steatosis: not assessable (contrast-enhanced or phase unknown)"] != 1 {
		t.Errorf("excluded: %v", rep.Excluded)
	}
	if l.Reference == "" || l.Level != "study" {
		t.Errorf("reference standard not named: %+v", l)
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Through a store: only the patients with the tool's outputs are read, each
// read is audited, and the report's Arrow tables have their schemas and
// release their memory.
func TestEvaluateStoreAuditArrow(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	var ps []*patient
	for i := int64(1); i <= 8; i++ {
		p := &patient{subject: i}
		st := day0(2024, 1, int(i))
		uid := "S" + string(rune('0'+i))
		p.study(uid, st, "Hospital A", "CT-1", "none")
		p.sr(uid, st, "DCM//112031//mean", "[hnsf'U]", 50+float64(i), "liver ROI", "", "SNOMED//10200004")
		if i != 8 { // patient 8 has no output of the tool
			p.ai(uid, st, "liver_mean_hu", "[hnsf'U]", 48+float64(i)+0.1*float64(i%3), "FatAI", "1", "liver", "", "")
		}
		ps = append(ps, p)
	}
	store1(t, s, ps...)
	opt := DefaultOptions("FatAI")
	opt.ChunkSubjects = 3
	opt.Audit = &store.AuditEntry{Actor: "tester", Role: "cli", Action: "cli-evaluate", Detail: "algorithm FatAI"}
	rep, err := Evaluate(ctx, s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Subjects != 7 || rep.Quantities[0].Overall.N != 7 {
		t.Fatalf("subjects %d, pairs %d", rep.Subjects, rep.Quantities[0].Overall.N)
	}
	near(t, "bias", rep.Quantities[0].Overall.BlandAltman.Bias, -2+0.1*(1+2+0+1+2+0+1)/7.0, 1e-9)
	log, err := s.AuditLog(ctx, store.AuditQuery{Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range log {
		seen[e.SubjectID] = true
		if e.Action != "cli-evaluate" || len(e.Fields) == 0 {
			t.Errorf("audit entry: %+v", e)
		}
	}
	if len(log) != 7 || seen[8] {
		t.Errorf("audit: %d entries, patient 8 audited %v", len(log), seen[8])
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// Agreement: all, one version, one site, one scanner, one month.
	want := map[string]int64{TablePairs: 7, TableAgreement: 5}
	for _, name := range Tables() {
		rec, err := rep.Record(mem, name)
		if err != nil {
			t.Fatal(err)
		}
		schema, _ := Schema(name)
		if !rec.Schema().Equal(schema) {
			t.Errorf("%s: schema %v", name, rec.Schema())
		}
		if n, ok := want[name]; ok && rec.NumRows() != n {
			t.Errorf("%s: %d rows, want %d", name, rec.NumRows(), n)
		}
		rec.Release()
	}
	if _, err := rep.Record(mem, "nope"); err == nil {
		t.Error("unknown table accepted")
	}
	// Nothing of another tool.
	if _, err := Evaluate(ctx, s, DefaultOptions("OtherAI")); !errors.Is(err, ErrNoOutputs) {
		t.Errorf("unknown tool: %v", err)
	}
	algs, err := Algorithms(ctx, s, store.Filter{})
	if err != nil || len(algs) != 1 || algs[0].Name != "FatAI" || algs[0].Outputs != 7 {
		t.Errorf("algorithms: %+v %v", algs, err)
	}
	// As of before the last studies: fewer patients.
	opt.AsOf = day0(2024, 1, 4).Add(-time.Hour)
	early, err := Evaluate(ctx, s, opt)
	if err != nil || early.Subjects != 3 {
		t.Errorf("as of: %v subjects, %v", early, err)
	}
}
