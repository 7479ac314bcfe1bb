// Package storetest is the contract every store.Store backend passes: the
// same cases run against the embedded SQLite store and PostgreSQL.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clock func() time.Time) store.Store { … })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Opener returns a fresh, empty store whose clock is clock. The store is
// closed by the opener's t.Cleanup.
type Opener func(t *testing.T, clock func() time.Time) store.Store

// Clock is a settable test clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// T0 is the contract's reference time.
var T0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Run runs every contract case as a subtest.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Identity", testIdentity},
		{"AppendIdempotent", testIdempotent},
		{"Supersede", testSupersede},
		{"KnownAmongNew", testKnownAmongNew},
		{"AtomicBatch", testAtomic},
		{"AsOf", testAsOf},
		{"Filters", testFilters},
		{"Projection", testProjection},
		{"Merge", testMerge},
		{"MergeVersions", testMergeVersions},
		{"BadText", testBadText},
		{"Maintain", testMaintain},
		{"Scan", testScan},
		{"Details", testDetails},
		{"ImagingSeriesRows", testImagingSeriesRows},
		{"Subjects", testSubjects},
		{"Runs", testRuns},
		{"Audit", testAudit},
		{"SavedCohorts", testSavedCohorts},
		{"Concurrent", testConcurrent},
		{"Closed", testClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

var ctx = context.Background()

func ident(sys, val string) timeline.Identifier { return timeline.Identifier{System: sys, Value: val} }

func resolve(t *testing.T, s store.Store, ids ...timeline.Identifier) int64 {
	t.Helper()
	sid, err := s.Resolve(ctx, ids...)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return sid
}

// Lab returns a lab event for tests.
func Lab(subject int64, key string, at time.Time, code string, v float64) timeline.Event {
	return timeline.Event{SubjectID: subject, Time: at, Code: code, Value: v, HasValue: true, Unit: "U/L",
		Kind: timeline.KindLab, Source: "test#" + key, Key: timeline.NewKey("test", key)}
}

func batch(t *testing.T, clock func() time.Time, events ...timeline.Event) *timeline.Batch {
	t.Helper()
	rec, err := timeline.NewEventRecord(memory.DefaultAllocator, events, timeline.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return &timeline.Batch{Events: rec}
}

func appendOK(t *testing.T, s store.Store, clock func() time.Time, events ...timeline.Event) store.AppendResult {
	t.Helper()
	b := batch(t, clock, events...)
	defer b.Release()
	res, err := s.Append(ctx, b)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

func readTimeline(t *testing.T, s store.Store, subject int64, f store.Filter) []timeline.Event {
	t.Helper()
	rr, err := s.Timeline(ctx, subject, f)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	evs, err := timeline.ReadAll(rr)
	if err != nil {
		t.Fatalf("Timeline read: %v", err)
	}
	return evs
}

func keysOf(evs []timeline.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Source
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testIdentity(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	mrn, fhir := ident("urn:mrn", "123"), ident("https://fhir.example/Patient", "p1")
	a := resolve(t, s, mrn)
	if a <= 0 {
		t.Fatalf("subject id %d", a)
	}
	if b := resolve(t, s, mrn); b != a {
		t.Errorf("re-resolve: %d, want %d", b, a)
	}
	if b := resolve(t, s, fhir, mrn); b != a {
		t.Errorf("resolve with a known and a new id: %d, want %d", b, a)
	}
	if got, err := s.Lookup(ctx, fhir); err != nil || got != a {
		t.Errorf("Lookup(new id) = %d, %v", got, err)
	}
	if _, err := s.Lookup(ctx, ident("urn:mrn", "nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Lookup(unknown) err = %v", err)
	}
	ids, err := s.Identifiers(ctx, a)
	if err != nil || len(ids) != 2 {
		t.Errorf("Identifiers = %v, %v", ids, err)
	}
	if _, err := s.Identifiers(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Identifiers(unknown) err = %v", err)
	}
	if _, err := s.Resolve(ctx); err == nil {
		t.Error("Resolve() with no identifier accepted")
	}
	if _, err := s.Resolve(ctx, ident("", "x")); err == nil {
		t.Error("Resolve with an empty system accepted")
	}
	// Two subjects named by one resolve call are one patient: merged.
	c := resolve(t, s, ident("dicom", "PID9"))
	d := resolve(t, s, ident("dicom", "PID9"), mrn)
	if d != min(a, c) {
		t.Errorf("resolve naming two subjects = %d, want lowest %d", d, min(a, c))
	}
	if got, _ := s.Lookup(ctx, ident("dicom", "PID9")); got != d {
		t.Errorf("after merge, dicom id names %d, want %d", got, d)
	}
	// Link attaches and merges.
	e := resolve(t, s, ident("vcf", "S1"))
	if err := s.Link(ctx, d, ident("vcf", "S1"), ident("vcf", "S2")); err != nil {
		t.Fatalf("Link: %v", err)
	}
	for _, id := range []timeline.Identifier{ident("vcf", "S1"), ident("vcf", "S2")} {
		if got, _ := s.Lookup(ctx, id); got != d {
			t.Errorf("after Link, %v names %d, want %d (was %d)", id.System, got, d, e)
		}
	}
	if err := s.Link(ctx, 999999, ident("x", "y")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Link(unknown subject) err = %v", err)
	}
	lo, hi, err := s.SubjectRange(ctx)
	if err != nil || lo != d || hi < lo {
		t.Errorf("SubjectRange = %d, %d, %v", lo, hi, err)
	}
}

func testIdempotent(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	var evs []timeline.Event
	for i := 0; i < 500; i++ {
		evs = append(evs, Lab(sid, fmt.Sprintf("k%03d", i), T0.Add(-time.Duration(i)*time.Hour), "LOINC//1742-6", float64(i)))
	}
	res := appendOK(t, s, clk.Now, evs...)
	if res.Inserted != 500 || res.Duplicate != 0 {
		t.Fatalf("first append: %+v", res)
	}
	clk.Advance(time.Hour)
	res = appendOK(t, s, clk.Now, evs...)
	if res.Inserted != 0 || res.Duplicate != 500 || res.Superseded != 0 {
		t.Fatalf("second append: %+v, want 0 inserted, 500 duplicates", res)
	}
	// The same key twice in one batch: the second is a duplicate.
	twice := []timeline.Event{Lab(sid, "dup", T0, "LOINC//1920-8", 1), Lab(sid, "dup", T0, "LOINC//1920-8", 1)}
	res = appendOK(t, s, clk.Now, twice...)
	if res.Inserted != 1 || res.Duplicate != 1 {
		t.Errorf("in-batch duplicate: %+v", res)
	}
	got := readTimeline(t, s, sid, store.Filter{})
	if len(got) != 501 {
		t.Fatalf("timeline has %d rows, want 501", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("timeline not ordered by time at %d", i)
		}
	}
	if !got[0].RecordedAt.Equal(T0) {
		t.Errorf("recorded_at = %v, want the store clock %v", got[0].RecordedAt, T0)
	}
	if got[0].Unit != "U/L" || got[0].Kind != timeline.KindLab || got[0].Source == "" {
		t.Errorf("row lost fields: %+v", got[0])
	}
}

func testSupersede(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	v1 := Lab(sid, "obs1", T0.Add(-24*time.Hour), "LOINC//1742-6", 40)
	v1.SourceVersion = 1
	appendOK(t, s, clk.Now, v1)
	t1 := clk.Now()
	clk.Advance(time.Hour)
	v2 := v1
	v2.Value, v2.SourceVersion = 45, 2
	if res := appendOK(t, s, clk.Now, v2); res.Superseded != 1 || res.Inserted != 0 {
		t.Fatalf("amended version: %+v, want 1 superseded", res)
	}
	clk.Advance(time.Hour)
	// An older or equal version changes nothing.
	if res := appendOK(t, s, clk.Now, v1); res.Stale != 1 {
		t.Errorf("older version: %+v, want 1 stale", res)
	}
	v2b := v2
	v2b.Value = 99
	if res := appendOK(t, s, clk.Now, v2b); res.Stale != 1 {
		t.Errorf("equal version with other content: %+v, want 1 stale", res)
	}
	// Without versions, new content supersedes.
	u := Lab(sid, "obs2", T0.Add(-time.Hour), "LOINC//1920-8", 10)
	appendOK(t, s, clk.Now, u)
	clk.Advance(time.Hour)
	u.Value = 11
	if res := appendOK(t, s, clk.Now, u); res.Superseded != 1 {
		t.Errorf("unversioned change: %+v", res)
	}
	u.Value = 12
	clk.Advance(time.Hour)
	if res := appendOK(t, s, clk.Now, u); res.Superseded != 1 {
		t.Errorf("second unversioned change: %+v", res)
	}

	cur := readTimeline(t, s, sid, store.Filter{Codes: []string{"LOINC//1742-6"}})
	if len(cur) != 1 || cur[0].Value != 45 {
		t.Fatalf("current read = %+v, want the amended value 45", cur)
	}
	old := readTimeline(t, s, sid, store.Filter{Codes: []string{"LOINC//1742-6"}, KnownBy: t1})
	if len(old) != 1 || old[0].Value != 40 {
		t.Fatalf("known-by read before the amendment = %+v, want 40", old)
	}
	if old[0].SupersededAt.IsZero() {
		t.Error("known-by read shows no superseded_at on the old version")
	}
	none := readTimeline(t, s, sid, store.Filter{KnownBy: T0.Add(-time.Minute)})
	if len(none) != 0 {
		t.Errorf("known-by before any ingest = %d rows", len(none))
	}
	u3 := readTimeline(t, s, sid, store.Filter{Codes: []string{"LOINC//1920-8"}})
	if len(u3) != 1 || u3[0].Value != 12 {
		t.Errorf("after two supersessions = %+v", u3)
	}
}

// testKnownAmongNew appends large batches of new records, each carrying
// a few stored ones (unchanged and changed): a backend that inserts
// optimistically after sampling a few keys must still count and version
// every row exactly as a key-by-key decision would.
func testKnownAmongNew(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	old := resolve(t, s, ident("urn:mrn", "old"))
	var stored []timeline.Event
	for i := 0; i < 20; i++ {
		stored = append(stored, Lab(old, fmt.Sprintf("s%02d", i), T0.Add(-time.Duration(i)*time.Hour), "LOINC//1742-6", float64(i)))
	}
	appendOK(t, s, clk.Now, stored...)
	fresh := resolve(t, s, ident("urn:mrn", "new"))
	for round := 0; round < 5; round++ {
		clk.Advance(time.Hour)
		var evs []timeline.Event
		for i := 0; i < 1500; i++ {
			sid := fresh
			if i%2 == 0 {
				sid = old
			}
			evs = append(evs, Lab(sid, fmt.Sprintf("n%d-%04d", round, i), T0.Add(-time.Duration(i)*time.Minute), "LOINC//1920-8", float64(i)))
		}
		dup := stored[round*4]
		changed := stored[round*4+1]
		changed.Value += 1000
		evs = append(evs, dup, changed)
		res := appendOK(t, s, clk.Now, evs...)
		if res.Inserted != 1500 || res.Duplicate != 1 || res.Superseded != 1 {
			t.Fatalf("round %d: %+v, want 1500 inserted, 1 duplicate, 1 superseded", round, res)
		}
	}
	got := readTimeline(t, s, old, store.Filter{Codes: []string{"LOINC//1742-6"}})
	if len(got) != 20 {
		t.Fatalf("old subject has %d current stored-code rows, want 20", len(got))
	}
	changed := map[float64]bool{}
	for _, e := range got {
		if e.Value >= 1000 {
			changed[e.Value] = true
		}
	}
	if len(changed) != 5 {
		t.Errorf("%d changed records current, want 5", len(changed))
	}
	if n := len(readTimeline(t, s, fresh, store.Filter{})); n != 5*750 {
		t.Errorf("new subject has %d rows, want %d", n, 5*750)
	}
	if n := len(readTimeline(t, s, old, store.Filter{})); n != 20+5*750 {
		t.Errorf("old subject has %d current rows, want %d", n, 20+5*750)
	}
	before := readTimeline(t, s, old, store.Filter{KnownBy: T0})
	if len(before) != 20 {
		t.Fatalf("known-by read before the rounds = %d rows, want the 20 first versions", len(before))
	}
	for _, e := range before {
		if e.Value >= 1000 {
			t.Errorf("known-by read before the rounds shows a later version (%v)", e.Value)
		}
	}
}

func testAtomic(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	b := batch(t, clk.Now, Lab(sid, "a", T0, "LOINC//1742-6", 1), Lab(sid, "b", T0, "LOINC//1742-6", 2))
	// A detail row whose event is not in the batch fails the whole batch.
	db := timeline.NewDetailBuilder(memory.DefaultAllocator, timeline.Lesions)
	if err := db.AppendLesion(&timeline.LesionDetail{SubjectID: sid, Key: timeline.NewKey("elsewhere"), LongAxisMM: 10,
		ShortAxisMM: timeline.NoFloat, X: timeline.NoFloat, Y: timeline.NoFloat, Z: timeline.NoFloat}); err != nil {
		t.Fatal(err)
	}
	b.Lesions = db.NewRecord()
	db.Release()
	if _, err := s.Append(ctx, b); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("append with an orphan detail row: err = %v, want ErrInvalid", err)
	}
	b.Release()
	if got := readTimeline(t, s, sid, store.Filter{}); len(got) != 0 {
		t.Fatalf("failed batch left %d rows", len(got))
	}
	// A row for a subject the store never created fails the batch.
	b2 := batch(t, clk.Now, Lab(sid, "c", T0, "LOINC//1742-6", 1), Lab(987654, "d", T0, "LOINC//1742-6", 1))
	defer b2.Release()
	if _, err := s.Append(ctx, b2); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("append for an unknown subject: err = %v, want ErrInvalid", err)
	}
	if got := readTimeline(t, s, sid, store.Filter{}); len(got) != 0 {
		t.Fatalf("failed batch left %d rows", len(got))
	}
	// A cancelled context writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	b3 := batch(t, clk.Now, Lab(sid, "e", T0, "LOINC//1742-6", 1))
	defer b3.Release()
	if _, err := s.Append(cctx, b3); err == nil {
		t.Error("append with a cancelled context succeeded")
	}
	if got := readTimeline(t, s, sid, store.Filter{}); len(got) != 0 {
		t.Fatalf("cancelled batch left %d rows", len(got))
	}
}

func testAsOf(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	drawn := T0.Add(-72 * time.Hour)
	late := Lab(sid, "late", drawn, "LOINC//1742-6", 80)
	late.AvailableAt = drawn.Add(48 * time.Hour) // issued two days after the draw
	prompt := Lab(sid, "prompt", drawn, "LOINC//1920-8", 50)
	static := timeline.Event{SubjectID: sid, Code: "GENE//PNPLA3//p.Ile148Met", Value: 1, HasValue: true,
		Kind: timeline.KindVariant, Key: timeline.NewKey("variant")}
	appendOK(t, s, clk.Now, late, prompt, static)
	tests := []struct {
		asOf time.Time
		want []string
	}{
		{drawn.Add(-time.Second), []string{""}},
		{drawn, []string{"", "test#prompt"}},
		{drawn.Add(47 * time.Hour), []string{"", "test#prompt"}},
		{drawn.Add(48 * time.Hour), []string{"", "test#late", "test#prompt"}},
	}
	for _, tt := range tests {
		got := keysOf(readTimeline(t, s, sid, store.Filter{AsOf: tt.asOf}))
		sort.Strings(got)
		if !sameStrings(got, tt.want) {
			t.Errorf("as of %v: %v, want %v", tt.asOf, got, tt.want)
		}
	}
	rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{AsOf: drawn})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := timeline.ReadAll(rr)
	if err != nil || len(evs) != 2 {
		t.Errorf("scan as of draw: %d rows, %v; want 2", len(evs), err)
	}
}

func testFilters(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	med := timeline.Event{SubjectID: sid, Time: T0.Add(-10 * 24 * time.Hour), EndTime: T0.Add(-5 * 24 * time.Hour),
		Code: "RXNORM//6809", Kind: timeline.KindMedication, Source: "test#med", Key: timeline.NewKey("med")}
	sex := timeline.Event{SubjectID: sid, Code: timeline.CodeSexFemale, Kind: timeline.KindDemographic, Source: "test#sex", Key: timeline.NewKey("sex")}
	appendOK(t, s, clk.Now,
		Lab(sid, "alt1", T0.Add(-48*time.Hour), "LOINC//1742-6", 1),
		Lab(sid, "alt2", T0.Add(-24*time.Hour), "LOINC//1742-6", 2),
		Lab(sid, "ast1", T0.Add(-24*time.Hour), "LOINC//1920-8", 3),
		Lab(sid, "plt1", T0.Add(-12*time.Hour), "LOINC//777-3", 4),
		med, sex)
	tests := []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"all", store.Filter{}, []string{"test#sex", "test#med", "test#alt1", "test#alt2", "test#ast1", "test#plt1"}},
		{"from", store.Filter{From: T0.Add(-24 * time.Hour)}, []string{"test#sex", "test#alt2", "test#ast1", "test#plt1"}},
		{"to", store.Filter{To: T0.Add(-24 * time.Hour), ExcludeStatic: true}, []string{"test#med", "test#alt1"}},
		{"kinds", store.Filter{Kinds: []timeline.Kind{timeline.KindMedication, timeline.KindDemographic}}, []string{"test#sex", "test#med"}},
		{"code", store.Filter{Codes: []string{"LOINC//1742-6"}}, []string{"test#alt1", "test#alt2"}},
		{"codes", store.Filter{Codes: []string{"LOINC//1742-6", "LOINC//777-3"}}, []string{"test#alt1", "test#alt2", "test#plt1"}},
		{"prefix", store.Filter{Codes: []string{"LOINC//*"}}, []string{"test#alt1", "test#alt2", "test#ast1", "test#plt1"}},
		{"prefix is literal", store.Filter{Codes: []string{"LOINC//1_42*"}}, nil},
		{"prefix and exact", store.Filter{Codes: []string{"RXNORM//*", "LOINC//1920-8"}}, []string{"test#med", "test#ast1"}},
	}
	for _, tt := range tests {
		got := keysOf(readTimeline(t, s, sid, tt.f))
		if !sameStrings(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	evs := readTimeline(t, s, sid, store.Filter{Kinds: []timeline.Kind{timeline.KindMedication}})
	if len(evs) != 1 || !evs[0].EndTime.Equal(med.EndTime) {
		t.Errorf("medication end time lost: %+v", evs)
	}
	n, err := s.Count(ctx, store.Cohort{SubjectIDs: []int64{sid}}, store.Filter{Kinds: []timeline.Kind{timeline.KindLab}})
	if err != nil || n != 4 {
		t.Errorf("Count labs = %d, %v", n, err)
	}
}

func testMerge(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	a := resolve(t, s, ident("fhir", "a"))
	b := resolve(t, s, ident("dicom", "b"))
	appendOK(t, s, clk.Now, Lab(a, "a1", T0.Add(-time.Hour), "LOINC//1742-6", 1), Lab(b, "shared", T0.Add(-time.Hour), "LOINC//1920-8", 2))
	appendOK(t, s, clk.Now, Lab(b, "b1", T0.Add(-2*time.Hour), "LOINC//777-3", 3), Lab(a, "shared", T0.Add(-time.Hour), "LOINC//1920-8", 2))
	if err := s.Merge(ctx, a, b); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	got := keysOf(readTimeline(t, s, a, store.Filter{}))
	sort.Strings(got)
	if !sameStrings(got, []string{"test#a1", "test#b1", "test#shared"}) {
		t.Errorf("merged timeline = %v", got)
	}
	if _, err := s.Identifiers(ctx, b); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("merged-away subject still exists: %v", err)
	}
	if sid, _ := s.Lookup(ctx, ident("dicom", "b")); sid != a {
		t.Errorf("identifier follows the merge: %d, want %d", sid, a)
	}
	// Rows that still arrive for the old subject id land on the survivor.
	res := appendOK(t, s, clk.Now, Lab(b, "b1", T0.Add(-2*time.Hour), "LOINC//777-3", 3), Lab(b, "b2", T0, "LOINC//777-3", 4))
	if res.Duplicate != 1 || res.Inserted != 1 {
		t.Errorf("append for a merged-away id: %+v, want 1 duplicate 1 inserted", res)
	}
	if n := len(readTimeline(t, s, a, store.Filter{})); n != 4 {
		t.Errorf("survivor has %d events, want 4", n)
	}
	if err := s.Merge(ctx, a, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Merge(unknown) err = %v", err)
	}
	ids, _ := s.Subjects(ctx, store.SubjectQuery{HasCodes: []string{"LOINC//777-3"}})
	if len(ids) != 1 || ids[0] != a {
		t.Errorf("has-code after merge = %v", ids)
	}
	// A patient created after the merge never gets the merged-away id
	// (b was the newest subject): its rows must not follow b's merge.
	c := resolve(t, s, ident("fhir", "c"))
	if c == a || c == b {
		t.Fatalf("new subject reuses id %d (survivor %d, merged-away %d)", c, a, b)
	}
	appendOK(t, s, clk.Now, Lab(c, "c1", T0, "LOINC//777-3", 5))
	if n := len(readTimeline(t, s, c, store.Filter{})); n != 1 {
		t.Errorf("new subject has %d events, want 1", n)
	}
	ids, _ = s.Subjects(ctx, store.SubjectQuery{HasCodes: []string{"LOINC//777-3"}})
	if len(ids) != 2 {
		t.Errorf("has-code after a new subject = %v, want [%d %d]", ids, a, c)
	}
}

func testScan(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	var subjects []int64
	var all []timeline.Event
	for p := 0; p < 5; p++ {
		sid := resolve(t, s, ident("urn:mrn", fmt.Sprint(p)))
		subjects = append(subjects, sid)
		for i := 0; i < 30; i++ {
			code := "LOINC//1742-6"
			if p == 3 && i == 7 {
				code = "ICD10CM//J18.9"
			}
			all = append(all, Lab(sid, fmt.Sprintf("p%d-%d", p, i), T0.Add(-time.Duration(30-i)*time.Hour), code, float64(i)))
		}
	}
	// Interleaved arrival, as from a time-ordered feed.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	// A static row arriving last still comes first in its subject's scan
	// (MEDS exports rely on it: a subject's rows sorted by time, nulls first).
	all = append(all, timeline.Event{SubjectID: subjects[0], Code: timeline.CodeSexFemale, Kind: timeline.KindDemographic, Key: timeline.NewKey("p0-sex")})
	appendOK(t, s, clk.Now, all...)

	rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{BatchRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	var rows, batches int
	var last timeline.Event
	for rr.Next() {
		batches++
		if n := rr.Record().NumRows(); n > 7 {
			t.Errorf("batch of %d rows, bound 7", n)
		}
		evs, _ := timeline.Events(rr.Record())
		for _, e := range evs {
			if rows > 0 && (e.SubjectID < last.SubjectID || (e.SubjectID == last.SubjectID && e.Time.Before(last.Time))) {
				t.Fatalf("scan not ordered by subject, time at row %d", rows)
			}
			last = e
			rows++
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	rr.Release()
	if rows != 151 || batches < 151/7 {
		t.Errorf("scan: %d rows in %d batches", rows, batches)
	}
	count := func(c store.Cohort) int {
		rr, err := s.Scan(ctx, c, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := timeline.ReadAll(rr)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.Count(ctx, c, store.Filter{})
		if err != nil || int(n) != len(evs) {
			t.Errorf("Count(%+v) = %d, %v; scan gave %d", c, n, err, len(evs))
		}
		return len(evs)
	}
	if n := count(store.Cohort{SubjectIDs: []int64{subjects[1], subjects[4]}}); n != 60 {
		t.Errorf("by ids: %d rows", n)
	}
	if n := count(store.Cohort{SubjectIDs: []int64{}}); n != 0 {
		t.Errorf("empty id list: %d rows", n)
	}
	if n := count(store.Cohort{HasCodes: []string{"ICD10CM//J18*"}}); n != 30 {
		t.Errorf("has code: %d rows", n)
	}
	if n := count(store.Cohort{MinSubject: subjects[1], MaxSubject: subjects[2]}); n != 60 {
		t.Errorf("subject range: %d rows", n)
	}
}

func testDetails(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("vcf", "S1"))
	k := timeline.NewKey("S1", "chr22", "43928847", "C", "G")
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 0, timeline.WithClock(clk.Now))
	defer bb.Release()
	if err := bb.Append(&timeline.Event{SubjectID: sid, Code: "GENE//PNPLA3//p.Ile148Met", Value: 1, HasValue: true, Kind: timeline.KindVariant, Key: k}); err != nil {
		t.Fatal(err)
	}
	v := timeline.Variant{SubjectID: sid, Key: k, Sample: "S1", Assembly: "GRCh38", Chrom: "chr22", Pos: 43928847, Ref: "C", Alt: "G",
		RSID: "rs738409", Qual: 99.5, Filter: "PASS", Genotype: "0/1", Zygosity: "heterozygous", Depth: 31, AltDepth: 15,
		AlleleFraction: 15.0 / 31, Origin: "germline", Gene: "PNPLA3", HGVSp: "p.Ile148Met"}
	if err := bb.Detail(timeline.Variants).AppendVariant(&v); err != nil {
		t.Fatal(err)
	}
	b := bb.Flush()
	res, err := s.Append(ctx, b)
	b.Release()
	if err != nil || res.Details != 1 {
		t.Fatalf("append: %+v, %v", res, err)
	}
	rr, err := s.Details(ctx, timeline.Variants, store.Cohort{SubjectIDs: []int64{sid}}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []timeline.Variant
	for rr.Next() {
		vs, err := timeline.VariantsOf(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, vs...)
	}
	rr.Release()
	if len(got) != 1 || got[0] != v {
		t.Fatalf("variants read back:\n got %+v\nwant %+v", got, v)
	}
	if _, err := s.Details(ctx, timeline.DetailTable("nope"), store.Cohort{}, store.Filter{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown detail table: err = %v", err)
	}
}

// testImagingSeriesRows: an imaging_study event keeps one imaging detail row
// per series (timeline.ImagingDetail), each upserted by (subject, key,
// series_uid); a row naming no series reads back with an empty SeriesUID.
func testImagingSeriesRows(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:dicom:issuer:H", "P1"))
	study := timeline.NewKey("dicom", "study", "1.2.3")
	feat := timeline.NewKey("dicom", "feature", "1.2.3.9")
	write := func(rows ...timeline.ImagingDetail) store.AppendResult {
		t.Helper()
		bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 0, timeline.WithClock(clk.Now))
		defer bb.Release()
		if err := bb.Append(&timeline.Event{SubjectID: sid, Time: T0.Add(-time.Hour), Code: "IMAGING//CT//study", Kind: timeline.KindImagingStudy, Key: study}); err != nil {
			t.Fatal(err)
		}
		if err := bb.Append(&timeline.Event{SubjectID: sid, Time: T0.Add(-time.Hour), Code: "IMAGING//CT//liver_mean_hu", Value: 55, HasValue: true, Unit: "[hnsf'U]", Kind: timeline.KindImagingFeature, Key: feat}); err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if err := bb.Detail(timeline.Imaging).AppendImaging(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		b := bb.Flush()
		defer b.Release()
		res, err := s.Append(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	nan := timeline.NoFloat
	row := func(series string, n int32) timeline.ImagingDetail {
		return timeline.ImagingDetail{SubjectID: sid, Key: study, StudyUID: "1.2.3", SeriesUID: series, Modality: "CT", Instances: n,
			Rows: 512, Columns: 512, PixelSpacingRow: 0.7, PixelSpacingCol: 0.7, SliceThickness: 1, SliceSpacing: 1,
			RescaleSlope: 1, RescaleIntercept: -1024}
	}
	fr := timeline.ImagingDetail{SubjectID: sid, Key: feat, StudyUID: "1.2.3", Modality: "CT", Instances: -1, Rows: -1, Columns: -1,
		PixelSpacingRow: nan, PixelSpacingCol: nan, SliceThickness: nan, SliceSpacing: nan, RescaleSlope: nan, RescaleIntercept: nan,
		Algorithm: "medtwin-features", AlgorithmVersion: "1", ROI: "liver"}
	if res := write(row("1.2.3.1", 100), row("1.2.3.2", 3), fr); res.Details != 3 {
		t.Fatalf("first append: %+v", res)
	}
	// A later ingest of one series replaces that series' row only; within
	// one batch, the last row of a series wins.
	write(row("1.2.3.2", 9), row("1.2.3.1", 100), row("1.2.3.2", 4))
	rr, err := s.Details(ctx, timeline.Imaging, store.Cohort{SubjectIDs: []int64{sid}}, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []timeline.ImagingDetail
	for rr.Next() {
		rows, err := timeline.ImagingOf(rr.Record())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rows...)
	}
	rr.Release()
	bySeries := map[string]timeline.ImagingDetail{}
	for _, r := range got {
		bySeries[string(r.Key[:])+"/"+r.SeriesUID] = r
	}
	if len(got) != 3 {
		t.Fatalf("imaging rows: got %d, want 3 (two series of the study, one feature): %+v", len(got), got)
	}
	if r := bySeries[string(study[:])+"/1.2.3.2"]; r.Instances != 4 {
		t.Errorf("series 2 instances = %d, want 4 (replaced)", r.Instances)
	}
	if r := bySeries[string(study[:])+"/1.2.3.1"]; r.Instances != 100 {
		t.Errorf("series 1 instances = %d, want 100 (kept)", r.Instances)
	}
	if r, ok := bySeries[string(feat[:])+"/"]; !ok || r.ROI != "liver" || r.Algorithm != "medtwin-features" {
		t.Errorf("feature row without series: %+v (found %v)", r, ok)
	}
}

func testSubjects(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	mk := func(id string, sex string, born time.Time, codes ...string) int64 {
		sid := resolve(t, s, ident("urn:mrn", id))
		evs := []timeline.Event{
			{SubjectID: sid, Code: "GENDER//" + sex, Kind: timeline.KindDemographic, Key: timeline.NewKey(id, "sex"), Source: "fhir/" + id},
			{SubjectID: sid, Time: born, Code: timeline.CodeBirth, Kind: timeline.KindDemographic, Key: timeline.NewKey(id, "birth"), Source: "fhir/" + id},
		}
		for i, c := range codes {
			evs = append(evs, timeline.Event{SubjectID: sid, Time: T0.Add(-time.Hour), Code: c, Kind: timeline.KindDiagnosis,
				Key: timeline.NewKey(id, "dx", fmt.Sprint(i)), Source: "other/" + id})
		}
		appendOK(t, s, clk.Now, evs...)
		return sid
	}
	a := mk("a", "F", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), "ICD10CM//K76.0")
	b := mk("b", "M", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), "ICD10CM//J18.9")
	c := mk("c", "F", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		q    store.SubjectQuery
		want []int64
	}{
		{"all", store.SubjectQuery{}, []int64{a, b, c}},
		{"sex", store.SubjectQuery{Sex: "F"}, []int64{a, c}},
		{"born", store.SubjectQuery{BornFrom: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), BornTo: time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC)}, []int64{b}},
		{"has code", store.SubjectQuery{HasCodes: []string{"ICD10CM//K76*"}}, []int64{a}},
		{"has kind", store.SubjectQuery{HasKinds: []timeline.Kind{timeline.KindDiagnosis}}, []int64{a, b}},
		{"source", store.SubjectQuery{SourcePrefix: "other/"}, []int64{a, b}},
		{"page 1", store.SubjectQuery{Limit: 2}, []int64{a, b}},
		{"page 2", store.SubjectQuery{Limit: 2, After: b}, []int64{c}},
		{"combined", store.SubjectQuery{Sex: "F", HasKinds: []timeline.Kind{timeline.KindDiagnosis}}, []int64{a}},
	}
	for _, tt := range tests {
		got, err := s.Subjects(ctx, tt.q)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testRuns(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	id, err := s.BeginRun(ctx, "medtwin ingest data/")
	if err != nil {
		t.Fatal(err)
	}
	f := store.FileRecord{RunID: id, Path: "data/a.ndjson", Format: "fhir", Size: 10, Status: store.FileRunning, Started: T0}
	if err := s.RecordFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Accepted, f.Rejected, f.Duplicate, f.Status, f.SHA256, f.Finished = 5, 1, 2, store.FilePartial, "abc", T0.Add(time.Second)
	f.Error = ""
	if err := s.RecordFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, "partial"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id+100, "ok"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishRun(unknown) err = %v", err)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs = %v, %v", runs, err)
	}
	r := runs[0]
	if r.Status != "partial" || r.Command != "medtwin ingest data/" || len(r.Files) != 1 {
		t.Fatalf("run = %+v", r)
	}
	if got := r.Files[0]; got.Accepted != 5 || got.Rejected != 1 || got.Duplicate != 2 || got.SHA256 != "abc" || got.Status != store.FilePartial {
		t.Errorf("file = %+v", got)
	}
}

func testAudit(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	err := s.WriteAudit(ctx,
		store.AuditEntry{Time: T0, Actor: "dr.a", Role: "clinician", SubjectID: 1, Action: "graphql", Fields: []string{"timeline", "liverTwin"}, Detail: "req-1"},
		store.AuditEntry{Time: T0.Add(time.Minute), Actor: "res.b", Role: "researcher", SubjectID: 2, Action: "flight", Fields: []string{"timeline"}},
		store.AuditEntry{Actor: "dr.a", Role: "clinician", SubjectID: 2, Action: "graphql", Fields: []string{"variants"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.AuditLog(ctx, store.AuditQuery{})
	if err != nil || len(all) != 3 {
		t.Fatalf("AuditLog = %d, %v", len(all), err)
	}
	if !all[len(all)-1].Time.Equal(T0) || all[len(all)-1].Detail != "req-1" || len(all[len(all)-1].Fields) != 2 {
		t.Errorf("oldest entry = %+v", all[len(all)-1])
	}
	bySubject, _ := s.AuditLog(ctx, store.AuditQuery{SubjectID: 2})
	byActor, _ := s.AuditLog(ctx, store.AuditQuery{Actor: "dr.a"})
	since, _ := s.AuditLog(ctx, store.AuditQuery{Since: T0.Add(time.Second)})
	if len(bySubject) != 2 || len(byActor) != 2 || len(since) != 1 {
		t.Errorf("filters: subject %d, actor %d, since %d", len(bySubject), len(byActor), len(since))
	}
}

func testSavedCohorts(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	if _, err := s.LoadCohort(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LoadCohort(unknown) = %v, want ErrNotFound", err)
	}
	if list, err := s.Cohorts(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Cohorts(empty store) = %v, %v", list, err)
	}
	for _, bad := range []string{"", string(make([]byte, store.MaxCohortName+1)), "tab\tname", "\xff"} {
		if err := s.SaveCohort(ctx, store.SavedCohort{Name: bad}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SaveCohort(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	frozen := store.SavedCohort{Name: "nafld 2024 — frozen", Description: "first NAFLD diagnosis in 2024", CreatedBy: "dr.a",
		Cohort: store.Cohort{SubjectIDs: []int64{3, 7, 42}}}
	byCode := store.SavedCohort{Name: "alt-measured", Cohort: store.Cohort{HasCodes: []string{"LOINC//1742-6", "ICD10CM//K76*"}, MinSubject: 2, MaxSubject: 90}}
	empty := store.SavedCohort{Name: "empty", Cohort: store.Cohort{SubjectIDs: []int64{}}}
	for _, c := range []store.SavedCohort{frozen, byCode, empty} {
		if err := s.SaveCohort(ctx, c); err != nil {
			t.Fatalf("SaveCohort(%s): %v", c.Name, err)
		}
	}
	got, err := s.LoadCohort(ctx, frozen.Name)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Cohort.SubjectIDs) != "[3 7 42]" || got.Cohort.HasCodes != nil || got.Description != frozen.Description ||
		got.CreatedBy != "dr.a" || !got.CreatedAt.Equal(T0) {
		t.Errorf("LoadCohort(frozen) = %+v", got)
	}
	got, _ = s.LoadCohort(ctx, byCode.Name)
	if got.Cohort.SubjectIDs != nil || fmt.Sprint(got.Cohort.HasCodes) != "[LOINC//1742-6 ICD10CM//K76*]" ||
		got.Cohort.MinSubject != 2 || got.Cohort.MaxSubject != 90 {
		t.Errorf("LoadCohort(by code) = %+v", got.Cohort)
	}
	// A frozen empty list stays an empty list (no subject), not "every subject".
	if got, _ = s.LoadCohort(ctx, "empty"); got.Cohort.SubjectIDs == nil || len(got.Cohort.SubjectIDs) != 0 {
		t.Errorf("LoadCohort(empty) = %+v, want an empty, non-nil subject list", got.Cohort)
	}
	// Saving a name again replaces it.
	clk.Advance(time.Hour)
	frozen.Cohort.SubjectIDs = []int64{5}
	if err := s.SaveCohort(ctx, frozen); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.LoadCohort(ctx, frozen.Name); fmt.Sprint(got.Cohort.SubjectIDs) != "[5]" || !got.CreatedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("after replace: %+v", got)
	}
	list, err := s.Cohorts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	if fmt.Sprint(names) != "[alt-measured empty nafld 2024 — frozen]" {
		t.Errorf("Cohorts = %q", names)
	}
}

func testConcurrent(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				// Every worker resolves the same shared identifier.
				sid, err := s.Resolve(ctx, ident("shared", "x"))
				if err != nil {
					errs <- err
					return
				}
				rec, err := timeline.NewEventRecord(memory.DefaultAllocator, []timeline.Event{Lab(sid, fmt.Sprintf("w%d-%d", w, i), T0, "LOINC//1742-6", 1)}, timeline.WithClock(clk.Now))
				if err != nil {
					errs <- err
					return
				}
				b := &timeline.Batch{Events: rec}
				_, err = s.Append(ctx, b)
				b.Release()
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sid, _ := s.Lookup(ctx, ident("shared", "x"))
	if n := len(readTimeline(t, s, sid, store.Filter{})); n != 40 {
		t.Errorf("concurrent appends: %d rows, want 40", n)
	}
	if lo, hi, _ := s.SubjectRange(ctx); lo != hi {
		t.Errorf("concurrent resolves created %d..%d subjects", lo, hi)
	}
}

func testClosed(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, ident("a", "b")); err == nil {
		t.Error("Resolve on a closed store succeeded")
	}
	if _, err := s.Timeline(ctx, 1, store.Filter{}); err == nil {
		t.Error("Timeline on a closed store succeeded")
	}
}

// A record both subjects hold, one of them in two versions: after the merge
// the survivor's version is the one current row, the others are history,
// and later versions of the record still supersede it.
func testMergeVersions(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	a := resolve(t, s, ident("fhir", "a"))
	b := resolve(t, s, ident("dicom", "b"))
	at := T0.Add(-time.Hour)
	appendOK(t, s, clk.Now, Lab(a, "k", at, "LOINC//1742-6", 1))
	appendOK(t, s, clk.Now, Lab(b, "k", at, "LOINC//1742-6", 2))
	clk.Advance(time.Minute)
	if res := appendOK(t, s, clk.Now, Lab(b, "k", at, "LOINC//1742-6", 3)); res.Superseded != 1 {
		t.Fatalf("second version: %+v", res)
	}
	clk.Advance(time.Minute)
	beforeMerge := clk.Now()
	clk.Advance(time.Minute)
	if err := s.Merge(ctx, a, b); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	cur := readTimeline(t, s, a, store.Filter{})
	if len(cur) != 1 || cur[0].Value != 1 {
		t.Fatalf("after merge, current rows = %+v; want the survivor's version only", cur)
	}
	// What the platform held before the merge is still there (under the
	// survivor's id now): a's version and b's second version were current.
	old := readTimeline(t, s, a, store.Filter{KnownBy: beforeMerge})
	var vals []float64
	for _, e := range old {
		vals = append(vals, e.Value)
	}
	sort.Float64s(vals)
	if fmt.Sprint(vals) != "[1 3]" {
		t.Errorf("known-by before the merge: values %v, want [1 3]", vals)
	}
	clk.Advance(time.Minute)
	if res := appendOK(t, s, clk.Now, Lab(b, "k", at, "LOINC//1742-6", 4)); res.Superseded != 1 {
		t.Fatalf("new version after the merge (old id): %+v, want 1 superseded", res)
	}
	if res := appendOK(t, s, clk.Now, Lab(a, "k", at, "LOINC//1742-6", 4)); res.Duplicate != 1 {
		t.Errorf("same version again: %+v, want 1 duplicate", res)
	}
	cur = readTimeline(t, s, a, store.Filter{})
	if len(cur) != 1 || cur[0].Value != 4 {
		t.Errorf("current rows = %+v, want the newest version only", cur)
	}
	if n, err := s.Count(ctx, store.Cohort{}, store.Filter{KnownBy: clk.Now()}); err != nil || n != 1 {
		t.Errorf("known-by now: %d rows, %v; want 1", n, err)
	}
}

// rawBatch builds a batch without the builder's validation, as a caller
// that assembles Arrow records itself might.
func rawBatch(events ...timeline.Event) *timeline.Batch {
	b := timeline.NewBuilder(memory.DefaultAllocator)
	defer b.Release()
	c := b.Columns()
	for _, e := range events {
		c.SubjectID.Append(e.SubjectID)
		c.Time.Append(arrow.Timestamp(e.Time.UnixMicro()))
		c.Code.Append(e.Code)
		c.Value.Append(e.Value)
		c.Text.Append(e.Text)
		c.Unit.Append(e.Unit)
		c.Kind.Append(int8(e.Kind) - 1)
		c.EndTime.AppendNull()
		c.Source.Append(e.Source)
		c.Key.Append(e.Key[:])
		c.SupersededAt.AppendNull()
		c.AvailableAt.AppendNull()
		c.RecordedAt.Append(arrow.Timestamp(T0.UnixMicro()))
		c.Version.AppendNull()
	}
	return &timeline.Batch{Events: b.NewRecord()}
}

// Text that is not valid UTF-8 or holds a NUL byte fails the batch with
// ErrInvalid on every backend (PostgreSQL text cannot hold it).
func testBadText(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	sid := resolve(t, s, ident("urn:mrn", "1"))
	for _, bad := range []func(e *timeline.Event){
		func(e *timeline.Event) { e.Text = "a\x00b" },
		func(e *timeline.Event) { e.Source = "file\xff#1" },
		func(e *timeline.Event) { e.Unit = "\xc3" },
	} {
		good := Lab(sid, "good", T0, "LOINC//1742-6", 1)
		e := Lab(sid, "bad", T0, "LOINC//1742-6", 2)
		bad(&e)
		b := rawBatch(good, e)
		_, err := s.Append(ctx, b)
		b.Release()
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad text: err = %v, want ErrInvalid", err)
		}
	}
	if got := readTimeline(t, s, sid, store.Filter{}); len(got) != 0 {
		t.Errorf("failed batches left %d rows", len(got))
	}
	b := rawBatch(Lab(sid, "ok", T0, "LOINC//1742-6", 1))
	defer b.Release()
	if res, err := s.Append(ctx, b); err != nil || res.Inserted != 1 {
		t.Errorf("valid raw batch: %+v, %v", res, err)
	}
}

// Maintain keeps every row and version, reads give the same answers
// afterwards, and appends stay idempotent across it.
func testMaintain(t *testing.T, open Opener) {
	clk := NewClock(T0)
	s := open(t, clk.Now)
	var subjects []int64
	var all []timeline.Event
	for p := 0; p < 6; p++ {
		sid := resolve(t, s, ident("urn:mrn", fmt.Sprint(p)))
		subjects = append(subjects, sid)
		for i := 0; i < 40; i++ {
			all = append(all, Lab(sid, fmt.Sprintf("p%d-%d", p, i), T0.Add(-time.Duration(40-i)*time.Hour), "LOINC//1742-6", float64(i)))
		}
	}
	// Time-ordered arrival in several batches: the worst layout.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	for start := 0; start < len(all); start += 60 {
		appendOK(t, s, clk.Now, all[start:min(start+60, len(all))]...)
	}
	clk.Advance(time.Hour)
	amended := all[7]
	amended.Value = 1000
	if res := appendOK(t, s, clk.Now, amended); res.Superseded != 1 {
		t.Fatalf("amendment: %+v", res)
	}
	known := clk.Now().Add(-time.Minute)
	snapshot := func() string {
		var out []string
		for _, sid := range subjects {
			for _, f := range []store.Filter{{}, {KnownBy: known}} {
				for _, e := range readTimeline(t, s, sid, f) {
					out = append(out, fmt.Sprintf("%d %s %v %v", e.SubjectID, e.Source, e.Value, e.SupersededAt))
				}
			}
		}
		return fmt.Sprint(out)
	}
	before := snapshot()
	for i := 0; i < 2; i++ {
		if err := s.Maintain(ctx); err != nil {
			t.Fatalf("Maintain: %v", err)
		}
		if after := snapshot(); after != before {
			t.Fatalf("reads changed across Maintain:\nbefore %s\nafter  %s", before, after)
		}
	}
	res := appendOK(t, s, clk.Now, all...)
	if res.Inserted != 0 || res.Duplicate != int64(len(all))-1 || res.Superseded != 1 {
		t.Errorf("re-append after Maintain: %+v, want %d duplicates and the amended record superseded back", res, len(all)-1)
	}
	if n, err := s.Count(ctx, store.Cohort{HasCodes: []string{"LOINC//1742-6"}}, store.Filter{}); err != nil || n != int64(len(all)) {
		t.Errorf("Count after Maintain = %d, %v", n, err)
	}
}
