package evaluation

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Evaluate reads from s every patient with outputs of the tool (of the
// version, when given), evaluates each (EvaluateSubject) and aggregates
// the report. Patients are read in chunks of Options.ChunkSubjects; when
// Options.Audit is set, each patient's read is audited before its data is
// used. ErrNoOutputs when the store holds no output of the tool.
func Evaluate(ctx context.Context, s store.Store, opt Options) (*Report, error) {
	agg, err := NewAggregator(opt)
	if err != nil {
		return nil, err
	}
	o := agg.Options()
	subjects, err := Subjects(ctx, s, o.Algorithm, o.Version, store.Filter{AsOf: o.AsOf, KnownBy: o.KnownBy})
	if err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoOutputs, o.Algorithm)
	}
	for lo := 0; lo < len(subjects); lo += o.ChunkSubjects {
		chunk := subjects[lo:min(lo+o.ChunkSubjects, len(subjects))]
		views, err := loadViews(ctx, s, chunk, o)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			agg.Add(EvaluateSubject(v, o))
		}
	}
	rep := agg.Report()
	if len(rep.Pairs) == 0 {
		return nil, fmt.Errorf("%w: %q in the time window", ErrNoOutputs, o.Algorithm)
	}
	return rep, nil
}

// Subjects lists, in ascending order, the patients with at least one
// output of the algorithm (of the version, when given) visible under f.
func Subjects(ctx context.Context, s store.Store, algorithm, version string, f store.Filter) ([]int64, error) {
	seen := map[int64]bool{}
	scan := func(t timeline.DetailTable, kind timeline.Kind) error {
		g := f
		g.Kinds = []timeline.Kind{kind}
		rr, err := s.Details(ctx, t, store.Cohort{}, g)
		if err != nil {
			return fmt.Errorf("evaluation: reading %s: %w", t, err)
		}
		defer rr.Release()
		for rr.Next() {
			rec := rr.Record()
			subj := rec.Column(0).(*array.Int64)
			algCol := rec.Column(rec.Schema().FieldIndices("algorithm")[0]).(*array.String)
			verCol := rec.Column(rec.Schema().FieldIndices("algorithm_version")[0]).(*array.String)
			for i := 0; i < int(rec.NumRows()); i++ {
				if algCol.IsNull(i) || !strings.EqualFold(strings.TrimSpace(algCol.Value(i)), algorithm) {
					continue
				}
				if version != "" && (verCol.IsNull(i) || strings.TrimSpace(verCol.Value(i)) != version) {
					continue
				}
				seen[subj.Value(i)] = true
			}
		}
		if err := rr.Err(); err != nil {
			return fmt.Errorf("evaluation: reading %s: %w", t, err)
		}
		return ctx.Err()
	}
	if err := scan(timeline.Imaging, timeline.KindImagingFeature); err != nil {
		return nil, err
	}
	if err := scan(timeline.Lesions, timeline.KindLesion); err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// auditFields are the datasets an evaluation reads of each patient.
var auditFields = []string{"timeline", "imaging", "lesions"}

// loadViews reads a chunk of patients' timelines and details, audits the
// reads and returns one view per patient (in subject order).
func loadViews(ctx context.Context, s store.Store, subjects []int64, o *Options) ([]*twin.View, error) {
	cohort := store.Cohort{SubjectIDs: subjects}
	f := store.Filter{AsOf: o.AsOf, KnownBy: o.KnownBy}
	if o.Audit != nil {
		now := time.Now().UTC()
		entries := make([]store.AuditEntry, len(subjects))
		for i, id := range subjects {
			e := *o.Audit
			e.SubjectID, e.Time = id, now
			if e.Fields == nil {
				e.Fields = auditFields
			}
			entries[i] = e
		}
		if err := s.WriteAudit(ctx, entries...); err != nil {
			return nil, fmt.Errorf("evaluation: writing the audit log: %w", err)
		}
	}
	if o.OnRead != nil {
		if err := o.OnRead(subjects); err != nil {
			return nil, err
		}
	}
	events := map[int64][]timeline.Event{}
	rr, err := s.Scan(ctx, cohort, f)
	if err != nil {
		return nil, fmt.Errorf("evaluation: reading timelines: %w", err)
	}
	for rr.Next() {
		es, err := timeline.Events(rr.Record())
		if err != nil {
			rr.Release()
			return nil, err
		}
		for _, e := range es {
			events[e.SubjectID] = append(events[e.SubjectID], e)
		}
	}
	err = rr.Err()
	rr.Release()
	if err != nil {
		return nil, fmt.Errorf("evaluation: reading timelines: %w", err)
	}
	details := map[int64]*twin.Details{}
	get := func(id int64) *twin.Details {
		d := details[id]
		if d == nil {
			d = &twin.Details{}
			details[id] = d
		}
		return d
	}
	for _, t := range []timeline.DetailTable{timeline.Imaging, timeline.Lesions} {
		rr, err := s.Details(ctx, t, cohort, f)
		if err != nil {
			return nil, fmt.Errorf("evaluation: reading %s: %w", t, err)
		}
		for rr.Next() {
			rec := rr.Record()
			switch t {
			case timeline.Imaging:
				ms, err := timeline.ImagingOf(rec)
				if err != nil {
					rr.Release()
					return nil, err
				}
				for _, m := range ms {
					d := get(m.SubjectID)
					d.Imaging = append(d.Imaging, m)
				}
			case timeline.Lesions:
				ls, err := timeline.LesionsOf(rec)
				if err != nil {
					rr.Release()
					return nil, err
				}
				for _, l := range ls {
					d := get(l.SubjectID)
					d.Lesions = append(d.Lesions, l)
				}
			}
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, fmt.Errorf("evaluation: reading %s: %w", t, err)
		}
	}
	views := make([]*twin.View, 0, len(subjects))
	for _, id := range subjects {
		var d twin.Details
		if p := details[id]; p != nil {
			d = *p
		}
		views = append(views, twin.NewView(id, events[id], d, o.AsOf, o.Codes))
	}
	return views, ctx.Err()
}

// Algorithm is one tool (and version) whose outputs a store holds.
type Algorithm struct {
	Name    string `json:"algorithm"`
	Version string `json:"version"`
	Outputs int    `json:"outputs"`
}

// Algorithms lists the algorithms and versions of the imaging features and
// lesion rows visible under f, with their output counts, sorted by name
// and version.
func Algorithms(ctx context.Context, s store.Store, f store.Filter) ([]Algorithm, error) {
	counts := map[[2]string]int{}
	for _, t := range []struct {
		table timeline.DetailTable
		kind  timeline.Kind
	}{{timeline.Imaging, timeline.KindImagingFeature}, {timeline.Lesions, timeline.KindLesion}} {
		g := f
		g.Kinds = []timeline.Kind{t.kind}
		rr, err := s.Details(ctx, t.table, store.Cohort{}, g)
		if err != nil {
			return nil, fmt.Errorf("evaluation: reading %s: %w", t.table, err)
		}
		for rr.Next() {
			rec := rr.Record()
			algCol := rec.Column(rec.Schema().FieldIndices("algorithm")[0]).(*array.String)
			verCol := rec.Column(rec.Schema().FieldIndices("algorithm_version")[0]).(*array.String)
			for i := 0; i < int(rec.NumRows()); i++ {
				if algCol.IsNull(i) || strings.TrimSpace(algCol.Value(i)) == "" {
					continue
				}
				v := ""
				if !verCol.IsNull(i) {
					v = strings.TrimSpace(verCol.Value(i))
				}
				counts[[2]string{strings.TrimSpace(algCol.Value(i)), v}]++
			}
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, fmt.Errorf("evaluation: reading %s: %w", t.table, err)
		}
	}
	out := make([]Algorithm, 0, len(counts))
	for k, n := range counts {
		out = append(out, Algorithm{Name: k[0], Version: k[1], Outputs: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}
