package graph

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// eventsByKey loads the events of some kinds for a patient's group, as of
// a time, indexed by record key.
func (r *Resolver) eventsByKey(ctx context.Context, p *model.Patient, name string, f store.Filter) (map[timeline.Key]*timeline.Event, error) {
	limit := r.cfg.Limits.MaxRowsPerPatient
	v, err := groupOf(p).load(ctx, name+" "+filterKey(f), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		return r.scanEvents(ctx, ids, f, func(int64) rowSink { return &allEvents{limit: limit, what: name + " events"} })
	})
	if err != nil {
		return nil, err
	}
	out := map[timeline.Key]*timeline.Event{}
	if x, ok := v.(*allEvents); ok {
		for i := range x.events {
			out[x.events[i].Key] = &x.events[i]
		}
	}
	return out, nil
}

func (r *Resolver) detailRows(ctx context.Context, p *model.Patient, t timeline.DetailTable, f store.Filter) (any, error) {
	return groupOf(p).load(ctx, "details "+string(t)+" "+filterKey(f), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		return r.details(ctx, t, ids, f)
	})
}

func (r *Resolver) variants(ctx context.Context, p *model.Patient, genes []string, asOf *time.Time, a pageArgs) (*model.VariantConnection, error) {
	q := reqFrom(ctx)
	w, err := r.parsePage(a, scopeVariants, p.SubjectID)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, g := range genes {
		g = strings.ToUpper(strings.TrimSpace(g))
		if g == "" {
			return nil, badInput("genes: empty gene symbol")
		}
		want[g] = true
	}
	f := store.Filter{AsOf: q.unshift(p.SubjectID, asOf)}
	rows, err := r.detailRows(ctx, p, timeline.Variants, f)
	if err != nil {
		return nil, err
	}
	ef := f
	ef.Kinds = []timeline.Kind{timeline.KindVariant}
	events, err := r.eventsByKey(ctx, p, "variants", ef)
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, "variants")
	lens := q.lens(p.SubjectID)
	all, _ := rows.([]timeline.Variant)
	var vs []*model.Variant
	for i := range all {
		v := &all[i]
		if len(want) > 0 && !want[strings.ToUpper(v.Gene)] {
			continue
		}
		e, ok := events[v.Key]
		if !ok {
			continue // its event is not visible (superseded, or not yet known as of)
		}
		vs = append(vs, &model.Variant{V: v, E: e, L: lens})
	}
	pos := func(v *model.Variant) []byte {
		b := eventPos(nil, v.E)
		b = append(b, 0)
		b = append(b, v.V.Sample...)
		b = append(b, 0)
		b = append(b, v.V.Chrom...)
		b = append(b, 0)
		b = append(b, v.V.Alt...)
		return b
	}
	slices.SortStableFunc(vs, func(a, b *model.Variant) int { return bytes.Compare(pos(a), pos(b)) })
	page, hasPrev, hasNext := paginate(vs, w, pos)
	c := &model.VariantConnection{Count: len(vs), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, v := range page {
		v := v
		c.Edges = append(c.Edges, model.NewEdge(v, func() string { return r.cursors.seal(scopeVariants, p.SubjectID, pos(v)) }))
	}
	setCursors(c)
	return c, nil
}
