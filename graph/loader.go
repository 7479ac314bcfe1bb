package graph

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// group is the set of patients one list returned (a page of patients, or
// the one patient of patient(id)). It is the dataloader of this package:
// the first resolver of a patient field with given arguments fetches that
// field for every patient of the group in one store call, and the others
// wait for it. A page of 100 patients asking for their timelines thus costs
// one store round trip, not 100, and no timer-based batching adds latency.
type group struct {
	ids   []int64
	mu    sync.Mutex
	calls map[string]*groupCall
}

type groupCall struct {
	done chan struct{}
	val  map[int64]any
	err  error
}

func newGroup(ids ...int64) *group { return &group{ids: ids, calls: map[string]*groupCall{}} }

// load returns the value of key for subject, fetching it for the whole
// group on first use.
func (g *group) load(ctx context.Context, key string, subject int64, fetch func(ctx context.Context, ids []int64) (map[int64]any, error)) (any, error) {
	g.mu.Lock()
	c, ok := g.calls[key]
	if !ok {
		c = &groupCall{done: make(chan struct{})}
		g.calls[key] = c
		g.mu.Unlock()
		func() {
			defer func() {
				if v := recover(); v != nil {
					c.err = &panicError{v: v}
				}
				close(c.done)
			}()
			c.val, c.err = fetch(ctx, g.ids)
		}()
	} else {
		g.mu.Unlock()
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.val[subject], nil
}

// prime stores a value fetched otherwise (a patient's identifiers read to
// check that it exists).
func (g *group) prime(key string, val map[int64]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.calls[key]; !ok {
		c := &groupCall{done: make(chan struct{}), val: val}
		close(c.done)
		g.calls[key] = c
	}
}

// rowSink consumes the event rows of one subject.
type rowSink interface {
	add(c *timeline.Columns, i int) error
}

// scanEvents streams the events of ids through one sink per subject, in
// one store call.
func (r *Resolver) scanEvents(ctx context.Context, ids []int64, f store.Filter, newSink func(subject int64) rowSink) (map[int64]any, error) {
	var (
		rr  array.RecordReader
		err error
	)
	if len(ids) == 1 {
		rr, err = r.cfg.Store.Timeline(ctx, ids[0], f)
	} else {
		rr, err = r.cfg.Store.Scan(ctx, store.Cohort{SubjectIDs: ids}, f)
	}
	if err != nil {
		return nil, fmt.Errorf("graph: read events: %w", err)
	}
	defer rr.Release()
	out := make(map[int64]any, len(ids))
	sinks := make(map[int64]rowSink, len(ids))
	for _, id := range ids {
		s := newSink(id)
		sinks[id], out[id] = s, s
	}
	for rr.Next() {
		c, err := timeline.ColumnsOf(rr.Record())
		if err != nil {
			return nil, fmt.Errorf("graph: read events: %w", err)
		}
		for i := 0; i < c.Len(); i++ {
			s, ok := sinks[c.SubjectID.Value(i)]
			if !ok {
				continue
			}
			if err := s.add(c, i); err != nil {
				return nil, err
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("graph: read events: %w", err)
	}
	return out, nil
}

// allEvents collects every event of a subject, up to a limit.
type allEvents struct {
	events []timeline.Event
	limit  int
	what   string
}

func (a *allEvents) add(c *timeline.Columns, i int) error {
	if len(a.events) >= a.limit {
		return coded(CodeResourceLimit, "a patient has more than %d %s in range: narrow the query (from/to, codes)", a.limit, a.what)
	}
	a.events = append(a.events, c.Event(i))
	return nil
}

// details reads the detail rows of a table for ids, by subject.
func (r *Resolver) details(ctx context.Context, t timeline.DetailTable, ids []int64, f store.Filter) (map[int64]any, error) {
	rr, err := r.cfg.Store.Details(ctx, t, store.Cohort{SubjectIDs: ids}, f)
	if err != nil {
		return nil, fmt.Errorf("graph: read %s: %w", t, err)
	}
	defer rr.Release()
	out := map[int64]any{}
	n := 0
	for rr.Next() {
		rec := rr.Record()
		n += int(rec.NumRows())
		if n > r.cfg.Limits.MaxRowsPerPatient*len(ids) {
			return nil, coded(CodeResourceLimit, "more than %d %s rows per patient: narrow the query", r.cfg.Limits.MaxRowsPerPatient, t)
		}
		switch t {
		case timeline.Variants:
			vs, err := timeline.VariantsOf(rec)
			if err != nil {
				return nil, err
			}
			for i := range vs {
				l, _ := out[vs[i].SubjectID].([]timeline.Variant)
				out[vs[i].SubjectID] = append(l, vs[i])
			}
		case timeline.Imaging:
			ms, err := timeline.ImagingOf(rec)
			if err != nil {
				return nil, err
			}
			for i := range ms {
				l, _ := out[ms[i].SubjectID].([]timeline.ImagingDetail)
				out[ms[i].SubjectID] = append(l, ms[i])
			}
		case timeline.Lesions:
			ls, err := timeline.LesionsOf(rec)
			if err != nil {
				return nil, err
			}
			for i := range ls {
				l, _ := out[ls[i].SubjectID].([]timeline.LesionDetail)
				out[ls[i].SubjectID] = append(l, ls[i])
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("graph: read %s: %w", t, err)
	}
	return out, nil
}
