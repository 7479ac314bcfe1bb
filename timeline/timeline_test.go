package timeline

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func TestBuilderValidation(t *testing.T) {
	ok := Event{SubjectID: 1, Code: "LOINC//1742-6", Kind: KindLab, Time: fixedNow.Add(-time.Hour), Value: 30, HasValue: true}
	tests := []struct {
		name string
		mod  func(e *Event)
		want error
	}{
		{"valid", func(e *Event) {}, nil},
		{"static", func(e *Event) { e.Time = time.Time{} }, nil},
		{"no subject", func(e *Event) { e.SubjectID = 0 }, ErrNoSubject},
		{"no code", func(e *Event) { e.Code = "" }, ErrNoCode},
		{"nan", func(e *Event) { e.Value = math.NaN() }, ErrNonFinite},
		{"inf", func(e *Event) { e.Value = math.Inf(-1) }, ErrNonFinite},
		{"nan without value flag is fine", func(e *Event) { e.Value = math.NaN(); e.HasValue = false }, nil},
		{"future within tolerance", func(e *Event) { e.Time = fixedNow.Add(47 * time.Hour) }, nil},
		{"future", func(e *Event) { e.Time = fixedNow.Add(49 * time.Hour) }, ErrFutureTime},
		{"future availability", func(e *Event) { e.AvailableAt = fixedNow.AddDate(1, 0, 0) }, ErrFutureTime},
		{"unknown kind", func(e *Event) { e.Kind = 0 }, ErrUnknownKind},
		{"kind out of range", func(e *Event) { e.Kind = 99 }, ErrUnknownKind},
		{"end before start", func(e *Event) { e.EndTime = e.Time.Add(-time.Second) }, ErrBadInterval},
		{"NUL in text", func(e *Event) { e.Text = "a\x00b" }, ErrBadText},
		{"invalid UTF-8 in source", func(e *Event) { e.Source = "f\xffile" }, ErrBadText},
		{"invalid UTF-8 in code", func(e *Event) { e.Code = "LOINC//\xc3" }, ErrBadText},
		{"non-ASCII text is fine", func(e *Event) { e.Text = "Leberzirrhose, Stadium Child-Pugh B – µmol/L" }, nil},
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := NewBuilder(mem, WithClock(clock))
	defer b.Release()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.mod(&e)
			before := b.Len()
			err := b.Append(&e)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Append: got %v, want %v", err, tt.want)
			}
			if tt.want != nil && b.Len() != before {
				t.Fatalf("rejected row was appended")
			}
		})
	}
	rec := b.NewRecord()
	defer rec.Release()
	if got := rec.NumRows(); got != 5 {
		t.Fatalf("rows = %d, want 5 valid rows", got)
	}
}

func TestRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := []Event{
		{SubjectID: 7, Code: CodeSexFemale, Kind: KindDemographic, Key: NewKey("Patient", "p1", "sex")},
		{SubjectID: 7, Time: fixedNow.Add(-48 * time.Hour), Code: "LOINC//1920-8", Value: 41, HasValue: true,
			Unit: "U/L", Kind: KindLab, Source: "obs.ndjson#L3", Key: NewKey("Observation", "o1"),
			AvailableAt: fixedNow.Add(-24 * time.Hour), RecordedAt: fixedNow, SourceVersion: 3},
		{SubjectID: 8, Time: fixedNow.Add(-72 * time.Hour), EndTime: fixedNow.Add(-70 * time.Hour),
			Code: "RXNORM//123", Text: "metformin", Kind: KindMedication, Key: NewKey("MedicationRequest", "m1"),
			RecordedAt: fixedNow},
	}
	rec, err := NewEventRecord(mem, in, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	out, err := Events(rec)
	if err != nil {
		t.Fatal(err)
	}
	in[0].RecordedAt = fixedNow // defaulted by the builder's clock
	for i := range in {
		if in[i] != out[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, out[i], in[i])
		}
	}
}

func TestKinds(t *testing.T) {
	for _, k := range Kinds() {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	if len(Kinds()) != 15 {
		t.Errorf("kinds = %d, want the 15 of DESIGN.md §2", len(Kinds()))
	}
	if _, err := ParseKind("gossip"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("ParseKind(gossip) err = %v", err)
	}
}

func TestKeys(t *testing.T) {
	if NewKey("ab", "c") == NewKey("a", "bc") {
		t.Error("keys of differently split parts collide")
	}
	if NewKey("Observation", "1") != NewKey("Observation", "1") {
		t.Error("key is not deterministic")
	}
	var h KeyHasher
	h.Add("Observation")
	h.AddBytes([]byte("1"))
	if h.Sum() != NewKey("Observation", "1") {
		t.Error("KeyHasher and NewKey differ")
	}
}

func TestContentHash(t *testing.T) {
	a := Event{SubjectID: 1, Code: "X", Kind: KindLab, Value: 1, HasValue: true}
	b := a
	b.RecordedAt = fixedNow
	b.Source = "elsewhere"
	if ContentHash(&a) != ContentHash(&b) {
		t.Error("provenance changed the content hash")
	}
	b.Value = 2
	if ContentHash(&a) == ContentHash(&b) {
		t.Error("value change kept the content hash")
	}
}

// Conversion factors: bilirubin 1 mg/dL = 17.1 µmol/L and creatinine
// 1 mg/dL = 88.4 µmol/L (SI conversion tables, e.g. AMA Manual of Style SI
// conversion calculator); urea 1 mmol/L = 2.8 mg/dL urea nitrogen; HbA1c
// 48 mmol/mol = 6.5 % (IFCC–NGSP master equation, Hoelzel 2004).
func TestNormalize(t *testing.T) {
	tab := DefaultCodes()
	tests := []struct {
		code     string
		v        float64
		unit     string
		want     float64
		wantUnit string
		tol      float64
	}{
		{"LOINC//2160-0", 88.4, "µmol/L", 1.0, "mg/dL", 0.001},
		{"LOINC//14682-9", 1.0, "mg/dL", 88.4, "umol/L", 0.05},
		{"LOINC//1975-2", 17.1, "umol/L", 1.0, "mg/dL", 0.001},
		{"LOINC//14631-6", 1.0, "mg/dl", 17.1, "umol/L", 0.01},
		{"LOINC//777-3", 250, "10*3/uL", 250, "10*9/L", 1e-9},
		{"LOINC//777-3", 250, "10^9/L", 250, "10*9/L", 1e-9},
		{"LOINC//777-3", 250, "x10E3/uL", 250, "10*9/L", 1e-9},
		{"LOINC//777-3", 250, "K/uL", 250, "10*9/L", 1e-9},
		{"LOINC//1751-7", 35, "g/L", 3.5, "g/dL", 1e-9},
		{"LOINC//1751-7", 3.5, "g/dL", 3.5, "g/dL", 1e-9},
		{"LOINC//6301-6", 1.2, "{INR}", 1.2, "{INR}", 0},
		{"LOINC//6301-6", 1.2, "", 1.2, "{INR}", 0},
		{"LOINC//2951-2", 135, "mEq/L", 135, "mmol/L", 1e-9},
		{"LOINC//3094-0", 7, "mmol/L", 19.609, "mg/dL", 0.001},
		{"LOINC//2345-7", 5.5, "mmol/L", 99.09, "mg/dL", 0.01},
		{"LOINC//4548-4", 48, "mmol/mol", 6.543, "%", 0.001},
		{"LOINC//8310-5", 98.6, "[degF]", 37, "Cel", 1e-9},
		{"LOINC//1988-5", 1.2, "mg/dL", 12, "mg/L", 1e-9},
		{"LOINC//1742-6", 1, "ukat/L", 60, "U/L", 1e-9},
		{"LOINC//29463-7", 154.324, "[lb_av]", 70, "kg", 0.001},
		{"LOINC//24108-3", 37, "kU/L", 37, "U/mL", 1e-9},
		{"LOCAL//xyz", 5, "mg/dl", 5, "mg/dL", 0},
		{"LOCAL//xyz", 5, "furlongs", 5, "furlongs", 0},
		// Same unit: the value exactly as given, no round trip through the base unit.
		{"LOINC//4548-4", 6.376248388607786, "%", 6.376248388607786, "%", 0},
		{"LOINC//8310-5", 37.1, "Cel", 37.1, "Cel", 0},
	}
	for _, tt := range tests {
		got, unit, err := tab.Normalize(tt.code, tt.v, tt.unit)
		if err != nil {
			t.Errorf("Normalize(%s, %v %s): %v", tt.code, tt.v, tt.unit, err)
			continue
		}
		if math.Abs(got-tt.want) > tt.tol || unit != tt.wantUnit {
			t.Errorf("Normalize(%s, %v %s) = %v %s, want %v %s", tt.code, tt.v, tt.unit, got, unit, tt.want, tt.wantUnit)
		}
	}
	for _, bad := range []struct{ code, unit string }{
		{"LOINC//2160-0", "furlongs"}, {"LOINC//2160-0", "U/L"}, {"LOINC//6301-6", "mg/dL"},
		{"LOINC//1751-7", "mmol/L"},
	} {
		if _, _, err := tab.Normalize(bad.code, 1, bad.unit); !errors.Is(err, ErrUnknownUnit) {
			t.Errorf("Normalize(%s, %s) err = %v, want ErrUnknownUnit", bad.code, bad.unit, err)
		}
	}
}

func TestToConcept(t *testing.T) {
	tab := DefaultCodes()
	// SI and conventional codes of one analyte give one concept value.
	c1, v1, err1 := tab.ToConcept("LOINC//14631-6", 20.52, "")
	c2, v2, err2 := tab.ToConcept("LOINC//1975-2", 1.2, "")
	if err1 != nil || err2 != nil || c1 != "bilirubin" || c2 != "bilirubin" || math.Abs(v1-v2) > 0.001 {
		t.Errorf("bilirubin: %s %v %v / %s %v %v", c1, v1, err1, c2, v2, err2)
	}
	c, v, err := tab.ToConcept("LOINC//3091-6", 60.06, "")
	if err != nil || c != "urea" || math.Abs(v-28.0134) > 1e-6 {
		t.Errorf("urea mass to BUN: %s %v %v", c, v, err)
	}
	for _, concept := range tab.Concepts() {
		if len(tab.CodesOf(concept)) == 0 {
			t.Errorf("concept %s has no code", concept)
		}
	}
}

func TestDetailRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	yes := true
	bb := NewBatchBuilder(mem, 10, WithClock(clock))
	defer bb.Release()
	k := NewKey("s1", "22", "43928847", "C", "G")
	if err := bb.Append(&Event{SubjectID: 3, Code: "GENE//PNPLA3//p.Ile148Met", Kind: KindVariant, Value: 1, HasValue: true, Key: k}); err != nil {
		t.Fatal(err)
	}
	v := Variant{SubjectID: 3, Key: k, Sample: "s1", Chrom: "chr22", Pos: 43928847, Ref: "C", Alt: "G",
		Qual: NoFloat, Genotype: "0/1", Depth: 30, AltDepth: -1, AlleleFraction: 0.5, Gene: "PNPLA3"}
	if err := bb.Detail(Variants).AppendVariant(&v); err != nil {
		t.Fatal(err)
	}
	l := LesionDetail{SubjectID: 3, Key: k, LesionID: "L1", LongAxisMM: 12, ShortAxisMM: NoFloat, IsNode: &yes,
		X: NoFloat, Y: NoFloat, Z: NoFloat}
	if err := bb.Detail(Lesions).AppendLesion(&l); err != nil {
		t.Fatal(err)
	}
	if err := bb.Detail(Lesions).AppendVariant(&v); err == nil {
		t.Error("variant row accepted by a lesions builder")
	}
	batch := bb.Flush()
	defer batch.Release()
	if batch.Rows() != 1 || batch.Variants.NumRows() != 1 || batch.Lesions.NumRows() != 1 || batch.Imaging != nil {
		t.Fatalf("batch shape: %d events, variants %v, lesions %v, imaging %v", batch.Rows(), batch.Variants, batch.Lesions, batch.Imaging)
	}
	vs, err := VariantsOf(batch.Variants)
	if err != nil || len(vs) != 1 || vs[0].Pos != v.Pos || vs[0].Genotype != "0/1" || !math.IsNaN(vs[0].Qual) || vs[0].AltDepth != -1 {
		t.Errorf("variants: %+v %v", vs, err)
	}
	ls, err := LesionsOf(batch.Lesions)
	if err != nil || len(ls) != 1 || ls[0].IsNode == nil || !*ls[0].IsNode || ls[0].Target != nil {
		t.Errorf("lesions: %+v %v", ls, err)
	}
	if bb.Flush() != nil {
		t.Error("second flush returned a batch")
	}
}

func TestIdentifier(t *testing.T) {
	id, err := ParseIdentifier("urn:oid:1.2.250.1.999.1|12345")
	if err != nil || id.System != "urn:oid:1.2.250.1.999.1" || id.Value != "12345" {
		t.Errorf("got %+v, %v", id, err)
	}
	for _, bad := range []string{"", "12345", "|x", "sys|"} {
		if _, err := ParseIdentifier(bad); err == nil {
			t.Errorf("ParseIdentifier(%q) accepted", bad)
		}
	}
}
