package flightsvc

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

// FeatureSpec declares a feature matrix: one row per subject and index
// time, one column per feature, every value computed from what was
// available at the index time (DESIGN.md §2's as-of: a value measured
// before the index time but issued after it is not used).
//
//	{"index": {"code": "ICD10CM//K76.0", "occurrence": "first"},
//	 "columns": [
//	   {"name": "age", "demographic": "age"},
//	   {"name": "alt_last", "concept": "alt", "agg": "last", "window": "365d"},
//	   {"name": "alt_slope", "concept": "alt", "agg": "slope", "window": "2y"},
//	   {"name": "dx_count", "code": "ICD10CM//K7*", "agg": "count"},
//	   {"name": "fib4", "twin": "fib4"},
//	   {"name": "lung_pct", "twin": "lung_involvement_pct", "window": "30d"}]}
type FeatureSpec struct {
	Index   IndexSpec       `json:"index"`
	Columns []FeatureColumn `json:"columns"`
}

// IndexSpec says where a subject's rows stand. With neither Times nor Code,
// every subject has one row at the request's as_of (or at the time of the
// request when there is none).
type IndexSpec struct {
	// Times are fixed index times: every subject of the cohort has one row
	// per time (researchers give them in each subject's shifted calendar).
	Times []string `json:"times,omitempty"`
	// Code indexes a subject at its events of this code (a trailing "*"
	// matches by prefix); subjects without one have no row.
	Code string `json:"code,omitempty"`
	// Occurrence picks the code's first (default), last or all events.
	Occurrence string `json:"occurrence,omitempty"`

	times []time.Time
}

// FeatureColumn is one feature: exactly one of Code, Concept, Twin and
// Demographic.
type FeatureColumn struct {
	Name string `json:"name"`
	// Code reads an event code's raw values (a trailing "*" matches by
	// prefix); Concept reads a code-table concept, every code that reports
	// it converted to the concept's unit.
	Code    string `json:"code,omitempty"`
	Concept string `json:"concept,omitempty"`
	// Twin is a twin output at the index time: a liver score (fib4, apri,
	// meld, meld_na, meld3, albi, nfs, child_pugh), the CURB-65 or PSI of the
	// latest pneumonia episode presenting by then (curb65, psi), or the CT
	// lung involvement in % (lung_involvement_pct), all from twin/liver and
	// twin/pneumonia.
	Twin string `json:"twin,omitempty"`
	// Demographic is age (completed years at the index time) or sex (F, M,
	// O, UNK).
	Demographic string `json:"demographic,omitempty"`
	// Agg aggregates the values in the window: last (default), first, min,
	// max, mean, count (events, with or without a value) or slope
	// (least-squares change per year, two distinct times at least).
	Agg string `json:"agg,omitempty"`
	// Window bounds how long before the index time a value may be taken:
	// "365d", "12w", "2y", "48h" (or a Go duration); empty means any time.
	// A twin output's window bounds the time of the score or CT it reads.
	Window string `json:"window,omitempty"`

	window time.Duration
}

// Aggregations.
const (
	AggLast  = "last"
	AggFirst = "first"
	AggMin   = "min"
	AggMax   = "max"
	AggMean  = "mean"
	AggCount = "count"
	AggSlope = "slope"
)

var aggs = []string{AggLast, AggFirst, AggMin, AggMax, AggMean, AggCount, AggSlope}

// twinOutputs maps twin column names to the twin and score they read.
var twinOutputs = map[string]struct{ twin, score string }{
	"fib4":                 {"liver", twin.ScoreFIB4},
	"apri":                 {"liver", twin.ScoreAPRI},
	"meld":                 {"liver", twin.ScoreMELD},
	"meld_na":              {"liver", twin.ScoreMELDNa},
	"meld3":                {"liver", twin.ScoreMELD3},
	"albi":                 {"liver", twin.ScoreALBI},
	"nfs":                  {"liver", twin.ScoreNFS},
	"child_pugh":           {"liver", twin.ScoreChildPugh},
	"curb65":               {"pneumonia", twin.ScoreCURB65},
	"psi":                  {"pneumonia", twin.ScorePSI},
	"lung_involvement_pct": {"lung", ""},
}

func twinNames() []string {
	var out []string
	for n := range twinOutputs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// maxFeatureColumns bounds a spec.
const maxFeatureColumns = 1000

// parseWindow reads "365d", "12w", "2y", "48h" or a Go duration.
func parseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'d': twin.Day, 'w': 7 * twin.Day, 'y': twin.Year}
	if u, ok := unit[s[len(s)-1]]; ok {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err == nil && n > 0 && n < 1000*365 {
			return time.Duration(n * float64(u)), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%w: window %q: want a positive length such as 365d, 12w, 2y or 48h", ErrBadRequest, s)
}

// validate checks a spec and prepares its parsed fields.
func (fs *FeatureSpec) validate(codes *timeline.CodeTable) error {
	ix := &fs.Index
	if len(ix.Times) > 0 && ix.Code != "" {
		return fmt.Errorf("%w: the index is either times or a code, not both", ErrBadRequest)
	}
	if len(ix.Times) > 100 {
		return fmt.Errorf("%w: at most 100 index times", ErrBadRequest)
	}
	ix.times = nil
	for _, s := range ix.Times {
		t, err := parseTime("index time", s)
		if err != nil {
			return err
		}
		ix.times = append(ix.times, t)
	}
	switch ix.Occurrence {
	case "", "first", "last", "all":
	default:
		return fmt.Errorf("%w: index occurrence %q (want first, last or all)", ErrBadRequest, ix.Occurrence)
	}
	if ix.Occurrence != "" && ix.Code == "" {
		return fmt.Errorf("%w: an index occurrence needs an index code", ErrBadRequest)
	}
	if ix.Code == "*" {
		return fmt.Errorf("%w: the index code matches every event", ErrBadRequest)
	}
	if len(fs.Columns) == 0 {
		return fmt.Errorf("%w: a feature spec has no columns", ErrBadRequest)
	}
	if len(fs.Columns) > maxFeatureColumns {
		return fmt.Errorf("%w: %d feature columns, at most %d", ErrBadRequest, len(fs.Columns), maxFeatureColumns)
	}
	seen := map[string]bool{"subject_id": true, "index_time": true}
	for i := range fs.Columns {
		c := &fs.Columns[i]
		where := fmt.Sprintf("feature column %d (%q)", i+1, c.Name)
		if c.Name == "" {
			return fmt.Errorf("%w: feature column %d has no name", ErrBadRequest, i+1)
		}
		if seen[c.Name] {
			return fmt.Errorf("%w: %s: the name is taken (subject_id and index_time are reserved)", ErrBadRequest, where)
		}
		seen[c.Name] = true
		n := 0
		for _, s := range []string{c.Code, c.Concept, c.Twin, c.Demographic} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%w: %s: give exactly one of code, concept, twin, demographic", ErrBadRequest, where)
		}
		var err error
		if c.window, err = parseWindow(c.Window); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		switch {
		case c.Code != "":
			if c.Code == "*" {
				return fmt.Errorf("%w: %s: the code matches every event", ErrBadRequest, where)
			}
		case c.Concept != "":
			if _, ok := codes.Concept(c.Concept); !ok {
				return fmt.Errorf("%w: %s: unknown concept %q (the code table's concepts: %s)", ErrBadRequest, where, c.Concept, strings.Join(sortedConcepts(codes), ", "))
			}
		case c.Twin != "":
			if _, ok := twinOutputs[c.Twin]; !ok {
				return fmt.Errorf("%w: %s: unknown twin output %q (want one of %s)", ErrBadRequest, where, c.Twin, strings.Join(twinNames(), ", "))
			}
			if c.Agg != "" && c.Agg != AggLast {
				return fmt.Errorf("%w: %s: a twin output is its value at the index time (no aggregation)", ErrBadRequest, where)
			}
		case c.Demographic != "":
			if c.Demographic != "age" && c.Demographic != "sex" {
				return fmt.Errorf("%w: %s: demographic %q (want age or sex)", ErrBadRequest, where, c.Demographic)
			}
			if c.Agg != "" || c.Window != "" {
				return fmt.Errorf("%w: %s: a demographic takes no aggregation or window", ErrBadRequest, where)
			}
		}
		if c.Agg != "" && !slices.Contains(aggs, c.Agg) {
			return fmt.Errorf("%w: %s: aggregation %q (want one of %s)", ErrBadRequest, where, c.Agg, strings.Join(aggs, ", "))
		}
	}
	return nil
}

func sortedConcepts(codes *timeline.CodeTable) []string {
	cs := codes.Concepts()
	slices.Sort(cs)
	return cs
}

// columns is the matrix's layout.
func (fs *FeatureSpec) columns() columns {
	cs := columns{
		{field: arrow.Field{Name: "subject_id", Type: arrow.PrimitiveTypes.Int64}, policy: subject},
		{field: arrow.Field{Name: "index_time", Type: timeline.TimestampType}, policy: shifted},
	}
	for _, c := range fs.Columns {
		f := arrow.Field{Name: c.Name, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
		switch {
		case c.Demographic == "sex":
			f.Type = arrow.BinaryTypes.String
		case c.Agg == AggCount:
			f.Type, f.Nullable = arrow.PrimitiveTypes.Int64, false
		}
		cs = append(cs, column{field: f})
	}
	return cs
}

// scanCodes returns the codes a matrix reads, or nil when it needs whole
// timelines (twin outputs).
func (fs *FeatureSpec) scanCodes(codes *timeline.CodeTable) []string {
	var out []string
	if fs.Index.Code != "" {
		out = append(out, fs.Index.Code)
	}
	for _, c := range fs.Columns {
		switch {
		case c.Twin != "":
			return nil
		case c.Code != "":
			out = append(out, c.Code)
		case c.Concept != "":
			out = append(out, codes.CodesOf(c.Concept)...)
		case c.Demographic == "age":
			out = append(out, timeline.CodeBirth)
		case c.Demographic == "sex":
			out = append(out, "GENDER//*")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (fs *FeatureSpec) needsImaging() bool {
	return slices.ContainsFunc(fs.Columns, func(c FeatureColumn) bool { return twinOutputs[c.Twin].twin == "lung" })
}

// matrixSource computes a feature matrix over a cohort, one chunk of
// subjects at a time (the cohort's subjects in order, each with its events
// and, when a twin output needs them, its imaging details), each store
// query drained before the next, so a stream holds at most one store
// connection and memory one chunk's timelines and one output batch.
func (s *Service) matrixSource(r *request, c store.Cohort, knownBy time.Time) source {
	return func(ctx context.Context, fn func(arrow.Record) error) error {
		spec := *r.Features
		spec.Columns = slices.Clone(spec.Columns)
		if err := spec.validate(s.codes); err != nil {
			return err
		}
		f := store.Filter{KnownBy: knownBy, Codes: spec.scanCodes(s.codes), BatchRows: s.batchRows()}
		m := &matrix{s: s, r: r, spec: &spec, knownBy: knownBy}
		b := array.NewRecordBuilder(s.mem, arrow.NewSchema(fieldsOf(spec.columns()), nil))
		defer b.Release()
		batch := min(s.batchRows(), 4096)
		flush := func() error {
			if b.Field(0).Len() == 0 {
				return nil
			}
			rec := b.NewRecord()
			defer rec.Release()
			return fn(rec)
		}
		err := s.chunks(ctx, c, joinChunk, func(ids []int64) error {
			cc := store.Cohort{SubjectIDs: ids, HasCodes: c.HasCodes}
			er, err := readAhead(ctx, func() (array.RecordReader, error) { return s.store.Scan(ctx, cc, f) })
			if err != nil {
				return fmt.Errorf("flightsvc: scan: %w", err)
			}
			ev := &cursor{rr: er}
			defer ev.release()
			var im *cursor
			if spec.needsImaging() {
				dr, err := readAhead(ctx, func() (array.RecordReader, error) {
					return s.store.Details(ctx, timeline.Imaging, cc, store.Filter{KnownBy: knownBy, BatchRows: s.batchRows()})
				})
				if err != nil {
					return fmt.Errorf("flightsvc: details: %w", err)
				}
				im = &cursor{rr: dr}
				defer im.release()
			}
			for _, sid := range ids {
				if err := ctx.Err(); err != nil {
					return err
				}
				evs, err := ev.events(sid, !knownBy.IsZero())
				if err != nil {
					return err
				}
				var det twin.Details
				if im != nil {
					if det.Imaging, err = im.imaging(sid); err != nil {
						return err
					}
				}
				m.subject(b, sid, evs, det)
				if b.Field(0).Len() >= batch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
}

// events returns the subject's events from an event cursor (skipping
// lower subjects), with strings copied. Rows of a known-by read are the
// versions valid then: their later supersession is cleared, so that a
// twin.View keeps them.
func (c *cursor) events(sid int64, knownBy bool) ([]timeline.Event, error) {
	var out []timeline.Event
	var cols *timeline.Columns
	var colsOf arrow.Record
	for {
		s, ok := c.peek()
		if !ok || s > sid {
			return out, nil
		}
		if s < sid {
			c.row++
			continue
		}
		if colsOf != c.rec {
			var err error
			if cols, err = timeline.ColumnsOf(c.rec); err != nil {
				return nil, err
			}
			colsOf = c.rec
		}
		e := cols.Event(c.row)
		e.Code, e.Text, e.Unit, e.Source = strings.Clone(e.Code), strings.Clone(e.Text), strings.Clone(e.Unit), strings.Clone(e.Source)
		if knownBy {
			e.SupersededAt = time.Time{}
		}
		out = append(out, e)
		c.row++
	}
}

// imaging returns the subject's imaging detail rows from a details cursor.
func (c *cursor) imaging(sid int64) ([]timeline.ImagingDetail, error) {
	var out []timeline.ImagingDetail
	var rows []timeline.ImagingDetail
	var rowsOf arrow.Record
	for {
		s, ok := c.peek()
		if !ok || s > sid {
			return out, nil
		}
		if s == sid {
			if rowsOf != c.rec {
				var err error
				if rows, err = timeline.ImagingOf(c.rec); err != nil {
					return nil, err
				}
				rowsOf = c.rec
			}
			out = append(out, rows[c.row])
		}
		c.row++
	}
}

// matrix computes the rows of one subject.
type matrix struct {
	s       *Service
	r       *request
	spec    *FeatureSpec
	knownBy time.Time
}

// point is one value at one time.
type point = twin.Point

func (m *matrix) subject(b *array.RecordBuilder, sid int64, evs []timeline.Event, det twin.Details) {
	s, r, spec := m.s, m.r, m.spec
	var shift time.Duration
	if !r.Role.Identified() {
		shift = s.pseudo.Shift(sid)
	}
	real := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Add(-shift)
	}
	asOf := real(r.AsOf)
	var idx []time.Time
	switch {
	case len(spec.Index.times) > 0:
		for _, t := range spec.Index.times {
			idx = append(idx, real(t))
		}
	case spec.Index.Code != "":
		for i := range evs {
			e := &evs[i]
			if e.Static() || !e.SupersededAt.IsZero() || !twin.MatchCode(e.Code, spec.Index.Code) || (!asOf.IsZero() && !e.VisibleAsOf(asOf)) {
				continue
			}
			idx = append(idx, e.Time)
		}
		slices.SortFunc(idx, func(a, b time.Time) int { return a.Compare(b) })
		idx = slices.CompactFunc(idx, time.Time.Equal)
		if len(idx) > 0 {
			switch spec.Index.Occurrence {
			case "", "first":
				idx = idx[:1]
			case "last":
				idx = idx[len(idx)-1:]
			}
		}
	default:
		t := asOf
		if t.IsZero() {
			t = s.now().UTC().Truncate(time.Microsecond)
		}
		idx = []time.Time{t}
	}
	for _, t := range idx {
		vis := t
		if !asOf.IsZero() && asOf.Before(vis) {
			vis = asOf
		}
		v := twin.NewView(sid, evs, det, vis, s.codes)
		row := &featureRow{v: v, at: t}
		b.Field(0).(*array.Int64Builder).Append(sid)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		for i := range spec.Columns {
			row.append(b.Field(2+i), &spec.Columns[i])
		}
	}
}

// featureRow computes the features of one subject at one index time.
type featureRow struct {
	v     *twin.View
	at    time.Time
	liver *liver.Result
	pneu  *pneumonia.Result
}

func (fr *featureRow) from(w time.Duration) time.Time {
	if w <= 0 {
		return time.Time{}
	}
	return fr.at.Add(-w)
}

func (fr *featureRow) append(b array.Builder, c *FeatureColumn) {
	switch {
	case c.Demographic == "sex":
		if sx := fr.v.Sex(); sx != "" {
			b.(*array.StringBuilder).Append(sx)
		} else {
			b.AppendNull()
		}
	case c.Demographic == "age":
		if a, ok := fr.v.AgeAt(fr.at); ok {
			b.(*array.Float64Builder).Append(float64(a))
		} else {
			b.AppendNull()
		}
	case c.Twin != "":
		appendFloat(b, fr.twin(c))
	case c.Code != "" || c.Concept != "":
		pts, n := fr.points(c)
		if c.Agg == AggCount {
			b.(*array.Int64Builder).Append(int64(n))
			return
		}
		appendFloat(b, aggregate(c.Agg, pts))
	}
}

func appendFloat(b array.Builder, v *float64) {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		b.AppendNull()
		return
	}
	b.(*array.Float64Builder).Append(*v)
}

// points returns the values taken in the window up to the index time (and
// visible then: the view holds only those), and the number of matching
// events (with or without a value).
func (fr *featureRow) points(c *FeatureColumn) ([]point, int) {
	from := fr.from(c.window)
	var pts []point
	n := 0
	if c.Concept != "" {
		for _, o := range fr.v.Between(c.Concept, from, fr.at) {
			pts = append(pts, point{Time: o.Time, Value: o.Value})
		}
		return pts, len(pts)
	}
	for _, e := range fr.v.WithCode(c.Code) {
		if e.Static() || e.Time.After(fr.at) || e.Time.Before(from) {
			continue
		}
		n++
		if e.HasValue {
			pts = append(pts, point{Time: e.Time, Value: e.Value})
		}
	}
	return pts, n
}

// aggregate reduces time-ordered points (nil when there is no value).
func aggregate(agg string, pts []point) *float64 {
	if len(pts) == 0 {
		return nil
	}
	switch agg {
	case AggFirst:
		return twin.Ptr(pts[0].Value)
	case AggMin, AggMax:
		v := pts[0].Value
		for _, p := range pts[1:] {
			if (agg == AggMin && p.Value < v) || (agg == AggMax && p.Value > v) {
				v = p.Value
			}
		}
		return &v
	case AggMean:
		sum := 0.0
		for _, p := range pts {
			sum += p.Value
		}
		return twin.Ptr(sum / float64(len(pts)))
	case AggSlope:
		if v, ok := twin.Slope(pts); ok {
			return &v
		}
		return nil
	}
	return twin.Ptr(pts[len(pts)-1].Value) // last
}

// twin reads a twin output at the index time.
func (fr *featureRow) twin(c *FeatureColumn) *float64 {
	out := twinOutputs[c.Twin]
	from := fr.from(c.window)
	switch out.twin {
	case "liver":
		if fr.liver == nil {
			res, err := liver.Compute(fr.v, liver.DefaultConfig())
			if err != nil {
				return nil
			}
			fr.liver = res
		}
		sr, ok := fr.liver.Score(out.score)
		if !ok || sr.Current == nil || sr.Current.Value == nil || sr.Current.Time.Before(from) {
			return nil
		}
		return sr.Current.Value
	case "pneumonia":
		if fr.pneu == nil {
			res, err := pneumonia.Compute(fr.v, pneumonia.DefaultConfig())
			if err != nil {
				return nil
			}
			fr.pneu = res
		}
		for i := len(fr.pneu.Episodes) - 1; i >= 0; i-- {
			ep := &fr.pneu.Episodes[i]
			if ep.Presentation.After(fr.at) {
				continue
			}
			if ep.Presentation.Before(from) {
				return nil
			}
			sc := ep.CURB65
			if out.score == twin.ScorePSI {
				sc = ep.PSI
			}
			return sc.Value
		}
	case "lung":
		cts, err := pneumonia.LungCTs(fr.v, pneumonia.DefaultConfig(), from, fr.at)
		if err != nil {
			return nil
		}
		for i := len(cts) - 1; i >= 0; i-- {
			if cts[i].InvolvementPct != nil {
				return cts[i].InvolvementPct
			}
		}
	}
	return nil
}

// builtinMatrix is a named feature matrix of ListFlights.
type builtinMatrix struct {
	name, doc string
	spec      FeatureSpec
}

// builtinMatrices are the ready-made matrices, indexed at the request's
// as_of (or its time).
func builtinMatrices() []builtinMatrix {
	return []builtinMatrix{
		{name: "liver_features", doc: "liver feature matrix at as_of: age, sex, liver labs (last in 365 days, ALT slope over 2 years), BMI, CT liver attenuation and the liver twin's scores",
			spec: FeatureSpec{Columns: []FeatureColumn{
				{Name: "age", Demographic: "age"}, {Name: "sex", Demographic: "sex"},
				{Name: "alt", Concept: "alt", Window: "365d"}, {Name: "ast", Concept: "ast", Window: "365d"},
				{Name: "platelets", Concept: "platelets", Window: "365d"}, {Name: "albumin", Concept: "albumin", Window: "365d"},
				{Name: "bilirubin", Concept: "bilirubin", Window: "365d"}, {Name: "alt_slope_per_year", Concept: "alt", Agg: AggSlope, Window: "2y"},
				{Name: "bmi", Concept: "bmi", Window: "2y"}, {Name: "liver_hu", Concept: "liver_hu", Window: "3y"},
				{Name: "fib4", Twin: "fib4"}, {Name: "apri", Twin: "apri"}, {Name: "meld_na", Twin: "meld_na"},
				{Name: "albi", Twin: "albi"}, {Name: "nfs", Twin: "nfs"},
			}}},
		{name: "pneumonia_features", doc: "pneumonia feature matrix at as_of: age, sex, CURB-65 and PSI of the latest episode in 30 days, CT lung involvement, CRP, WBC and SpO2 extremes over 7 days",
			spec: FeatureSpec{Columns: []FeatureColumn{
				{Name: "age", Demographic: "age"}, {Name: "sex", Demographic: "sex"},
				{Name: "curb65", Twin: "curb65", Window: "30d"}, {Name: "psi", Twin: "psi", Window: "30d"},
				{Name: "lung_involvement_pct", Twin: "lung_involvement_pct", Window: "30d"},
				{Name: "crp_max", Concept: "crp", Agg: AggMax, Window: "7d"}, {Name: "wbc_max", Concept: "wbc", Agg: AggMax, Window: "7d"},
				{Name: "spo2_min", Concept: "spo2", Agg: AggMin, Window: "7d"},
				{Name: "respiratory_rate_max", Concept: "respiratory_rate", Agg: AggMax, Window: "7d"},
			}}},
	}
}
