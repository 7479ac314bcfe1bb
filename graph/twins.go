package graph

import (
	"context"
	"encoding/binary"
	"strings"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
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
	q := reqFrom(ctx)
	at := q.unshift(p.SubjectID, asOf)
	key := "liver " + filterKey(store.Filter{AsOf: at})
	v, err := groupOf(p).load(ctx, key, p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			view, err := r.view(ctx, &model.Patient{SubjectID: id, Group: groupOf(p)}, at)
			if err != nil {
				return nil, err
			}
			res, err := liver.Compute(view, liver.DefaultConfig())
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
	q.touch(p.SubjectID, "liverTwin")
	return &model.LiverTwin{R: v.(*liver.Result), L: q.lens(p.SubjectID), Subject: p.SubjectID}, nil
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

func (r *Resolver) scorePoints(s *model.ScoreSeries, a pageArgs) (*model.ScoreConnection, error) {
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
	idx := make([]int, len(s.Points))
	for i := range idx {
		idx[i] = i
	}
	page, hasPrev, hasNext := paginate(idx, w, pos)
	c := &model.ScoreConnection{Count: len(s.Points), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, i := range page {
		i := i
		c.Edges = append(c.Edges, model.NewEdge(&model.Score{S: &s.Points[i], L: s.L}, func() string { return r.cursors.seal(scopeScorePoints, s.Subject, pos(i)) }))
	}
	setCursors(c)
	return c, nil
}
