package graph

import (
	"context"
	"encoding/binary"
	"strings"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

// view loads the twin.View of a patient as of a time, for the patient's
// whole group at once: one scan of the events and one read per detail
// table, whatever the group's size.
func (r *Resolver) view(ctx context.Context, p *model.Patient, asOf time.Time) (*twin.View, error) {
	f := store.Filter{AsOf: asOf}
	limit := r.cfg.Limits.MaxRowsPerPatient
	v, err := groupOf(p).load(ctx, "view "+filterKey(f), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		evs, err := r.scanEvents(ctx, ids, f, func(int64) rowSink { return &allEvents{limit: limit, what: "events"} })
		if err != nil {
			return nil, err
		}
		det := map[int64]*twin.Details{}
		for _, id := range ids {
			det[id] = &twin.Details{}
		}
		for _, t := range timeline.DetailTables() {
			rows, err := r.details(ctx, t, ids, f)
			if err != nil {
				return nil, err
			}
			for id, l := range rows {
				d := det[id]
				if d == nil {
					continue
				}
				switch l := l.(type) {
				case []timeline.Variant:
					d.Variants = l
				case []timeline.ImagingDetail:
					d.Imaging = l
				case []timeline.LesionDetail:
					d.Lesions = l
				}
			}
		}
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			var events []timeline.Event
			if a, ok := evs[id].(*allEvents); ok {
				events = a.events
			}
			out[id] = twin.NewView(id, events, *det[id], asOf, r.cfg.Codes)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*twin.View), nil
}

func (r *Resolver) liverTwin(ctx context.Context, p *model.Patient, asOf *time.Time) (*model.LiverTwin, error) {
	v, err := r.twinResult(ctx, p, asOf, "liverTwin", func(view *twin.View) (any, error) {
		return liver.Compute(view, liver.DefaultConfig())
	})
	if err != nil {
		return nil, err
	}
	return &model.LiverTwin{R: v.(*liver.Result), L: reqFrom(ctx).lens(p.SubjectID), Subject: p.SubjectID}, nil
}

func indexPos(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

// indexPage paginates a list whose order is fixed by its producer (a
// twin's output), by position.
func indexPage[T, M any](r *Resolver, items []T, scope byte, subject int64, a pageArgs, keep func(T) bool, mk func(*T) M) (*model.Conn[M], error) {
	w, err := r.parsePage(a, scope, subject)
	if err != nil {
		return nil, err
	}
	type it struct {
		i int
		v *T
	}
	var kept []it
	for i := range items {
		if keep == nil || keep(items[i]) {
			kept = append(kept, it{i, &items[i]})
		}
	}
	page, hasPrev, hasNext := paginate(kept, w, func(x it) []byte { return indexPos(x.i) })
	c := &model.Conn[M]{Count: len(kept), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, x := range page {
		x := x
		c.Edges = append(c.Edges, model.NewEdge(mk(x.v), func() string { return r.cursors.seal(scope, subject, indexPos(x.i)) }))
	}
	setCursors(c)
	return c, nil
}

func (r *Resolver) liverScores(t *model.LiverTwin, names []string, a pageArgs) (*model.ScoreSeriesConnection, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[strings.ToLower(strings.TrimSpace(n))] = true
	}
	var keep func(liver.Series) bool
	if len(want) > 0 {
		known := map[string]bool{}
		for _, s := range t.R.Scores {
			known[strings.ToLower(s.Name)] = true
		}
		for n := range want {
			if !known[n] {
				var all []string
				for _, s := range t.R.Scores {
					all = append(all, s.Name)
				}
				return nil, badInput("names: unknown score %q (known: %s)", n, strings.Join(all, ", "))
			}
		}
		keep = func(s liver.Series) bool { return want[strings.ToLower(s.Name)] }
	}
	return indexPage(r, t.R.Scores, scopeTwinScores, t.Subject, a, keep, func(s *liver.Series) *model.ScoreSeries {
		return &model.ScoreSeries{Name: s.Name, Cur: s.Current, Points: s.Points, L: t.L, Subject: t.Subject}
	})
}

// scorePoints pages a score's points; computable, when given, keeps the
// points that have a value (true) or those that do not (false). Cursors
// are positions in the whole series, so a filtered page's cursors stay
// valid for the same filter.
func (r *Resolver) scorePoints(s *model.ScoreSeries, computable *bool, a pageArgs) (*model.ScoreConnection, error) {
	// Positions are scoped to the series by its name.
	w, err := r.parsePage(a, scopeScorePoints, s.Subject)
	if err != nil {
		return nil, err
	}
	prefix := []byte(s.Name + "\x00")
	pos := func(i int) []byte { return append(append([]byte(nil), prefix...), indexPos(i)...) }
	for _, c := range [][]byte{w.after, w.before} {
		if c != nil && (len(c) != len(prefix)+4 || string(c[:len(prefix)]) != string(prefix)) {
			return nil, badInput("invalid cursor (cursors are only valid for the list that returned them)")
		}
	}
	idx := make([]int, 0, len(s.Points))
	for i := range s.Points {
		if computable == nil || s.Points[i].Computable() == *computable {
			idx = append(idx, i)
		}
	}
	page, hasPrev, hasNext := paginate(idx, w, pos)
	c := &model.ScoreConnection{Count: len(idx), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, i := range page {
		i := i
		c.Edges = append(c.Edges, model.NewEdge(&model.Score{S: &s.Points[i], L: s.L}, func() string { return r.cursors.seal(scopeScorePoints, s.Subject, pos(i)) }))
	}
	setCursors(c)
	return c, nil
}

// twinResult computes one twin for a patient as of a time, for the
// patient's whole group at once (sharing the group's views).
func (r *Resolver) twinResult(ctx context.Context, p *model.Patient, asOf *time.Time, name string, compute func(*twin.View) (any, error)) (any, error) {
	q := reqFrom(ctx)
	at := q.unshift(p.SubjectID, asOf)
	v, err := groupOf(p).load(ctx, name+" "+filterKey(store.Filter{AsOf: at}), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			view, err := r.view(ctx, &model.Patient{SubjectID: id, Group: groupOf(p)}, at)
			if err != nil {
				return nil, err
			}
			res, err := compute(view)
			if err != nil {
				return nil, err
			}
			out[id] = res
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, name)
	return v, nil
}

func (r *Resolver) pneumoniaEpisodes(ctx context.Context, p *model.Patient, asOf *time.Time, a pageArgs) (*model.PneumoniaEpisodeConnection, error) {
	v, err := r.twinResult(ctx, p, asOf, "pneumoniaEpisodes", func(view *twin.View) (any, error) {
		return pneumonia.Compute(view, pneumonia.DefaultConfig())
	})
	if err != nil {
		return nil, err
	}
	res := v.(*pneumonia.Result)
	lens := reqFrom(ctx).lens(p.SubjectID)
	i := 0
	return indexPage(r, res.Episodes, scopePneuEpisodes, p.SubjectID, a, nil, func(e *pneumonia.Episode) *model.PneumoniaEpisode {
		// indexPage calls mk in order; Index names the episode for its
		// sub-lists' cursors.
		for j := range res.Episodes {
			if &res.Episodes[j] == e {
				i = j
			}
		}
		return &model.PneumoniaEpisode{E: e, L: lens, Subject: p.SubjectID, Index: i}
	})
}

func (r *Resolver) oncologyTwin(ctx context.Context, p *model.Patient, asOf *time.Time) (*model.OncologyTwin, error) {
	v, err := r.twinResult(ctx, p, asOf, "oncologyTwin", func(view *twin.View) (any, error) {
		return oncology.Compute(view, oncology.DefaultOptions()), nil
	})
	if err != nil {
		return nil, err
	}
	return &model.OncologyTwin{R: v.(*oncology.Result), L: reqFrom(ctx).lens(p.SubjectID), Subject: p.SubjectID}, nil
}

func (r *Resolver) oncologyCourses(t *model.OncologyTwin, a pageArgs) (*model.ResponseCourseConnection, error) {
	return indexPage(r, t.R.Courses, scopeOncCourses, t.Subject, a, nil, func(c **oncology.Course) *model.ResponseCourse {
		idx := 0
		for j := range t.R.Courses {
			if t.R.Courses[j] == *c {
				idx = j
			}
		}
		return &model.ResponseCourse{C: *c, L: t.L, Subject: t.Subject, Index: idx}
	})
}

func (r *Resolver) oncologyMarkers(t *model.OncologyTwin, a pageArgs) (*model.TumorMarkerConnection, error) {
	return indexPage(r, t.R.Markers, scopeOncMarkers, t.Subject, a, nil, func(m *oncology.Marker) *model.TumorMarker {
		idx := 0
		for j := range t.R.Markers {
			if &t.R.Markers[j] == m {
				idx = j
			}
		}
		return &model.TumorMarker{M: m, L: t.L, Subject: t.Subject, Index: idx}
	})
}

// subIndexPage paginates a list inside the parent'th item of a twin's
// list; cursors carry the parent's index so they only work there.
func subIndexPage[T, M any](r *Resolver, items []T, scope byte, subject int64, parent int, a pageArgs, mk func(*T) M) (*model.Conn[M], error) {
	w, err := r.parsePage(a, scope, subject)
	if err != nil {
		return nil, err
	}
	prefix := indexPos(parent)
	for _, c := range [][]byte{w.after, w.before} {
		if c != nil && (len(c) != 8 || string(c[:4]) != string(prefix)) {
			return nil, badInput("invalid cursor (cursors are only valid for the list that returned them)")
		}
	}
	pos := func(i int) []byte { return append(indexPos(parent), indexPos(i)...) }
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	page, hasPrev, hasNext := paginate(idx, w, pos)
	c := &model.Conn[M]{Count: len(items), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, i := range page {
		i := i
		c.Edges = append(c.Edges, model.NewEdge(mk(&items[i]), func() string { return r.cursors.seal(scope, subject, pos(i)) }))
	}
	setCursors(c)
	return c, nil
}
