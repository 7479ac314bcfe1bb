package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

type timelineArgs struct {
	from, to, asOf, knownBy *time.Time
	kinds                   []model.EventKind
	codes                   []string
	page                    pageArgs
}

// filterKey writes a filter canonically, as part of a loader key.
func filterKey(f store.Filter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "from=%d to=%d asof=%d known=%d static=%v kinds=%v codes=%q columns=%q",
		f.From.UnixMicro(), f.To.UnixMicro(), f.AsOf.UnixMicro(), f.KnownBy.UnixMicro(), f.ExcludeStatic, f.Kinds, f.Codes, f.Columns)
	return b.String()
}

func checkCodes(arg string, codes []string) error {
	if len(codes) > 1000 {
		return badInput("%s: more than 1000 codes", arg)
	}
	for _, c := range codes {
		if strings.TrimSpace(c) == "" || c == "*" {
			return badInput("%s: empty code (a bare * would match everything: leave %s out instead)", arg, arg)
		}
	}
	return nil
}

func kindsOf(arg string, ks []model.EventKind) ([]timeline.Kind, error) {
	var out []timeline.Kind
	for _, k := range ks {
		tk, err := k.Kind()
		if err != nil {
			return nil, badInput("%s: %v", arg, err)
		}
		out = append(out, tk)
	}
	return out, nil
}

func (r *Resolver) timeline(ctx context.Context, p *model.Patient, a timelineArgs) (*model.EventConnection, error) {
	q := reqFrom(ctx)
	w, err := r.parsePage(a.page, scopeTimeline, p.SubjectID)
	if err != nil {
		return nil, err
	}
	if err := checkCodes("codes", a.codes); err != nil {
		return nil, err
	}
	kinds, err := kindsOf("kinds", a.kinds)
	if err != nil {
		return nil, err
	}
	f := store.Filter{
		From: q.unshift(p.SubjectID, a.from), To: q.unshift(p.SubjectID, a.to),
		AsOf: q.unshift(p.SubjectID, a.asOf), KnownBy: q.unshift(p.SubjectID, a.knownBy),
		Kinds: kinds, Codes: a.codes,
		Columns: timelineColumns(ctx),
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, badInput("from must be before to")
	}
	g := groupOf(p)
	if w.after != nil || w.before != nil {
		g = newGroup(p.SubjectID) // a cursor belongs to one patient
	}
	v, err := g.load(ctx, "timeline "+filterKey(f)+" "+w.key(), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		return r.scanEvents(ctx, ids, f, func(int64) rowSink { return &eventWindow{w: w} })
	})
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, "timeline")
	x, _ := v.(*eventWindow)
	if x == nil {
		x = &eventWindow{w: w}
	}
	kept, hasPrev, hasNext := x.page()
	lens := q.lens(p.SubjectID)
	c := &model.EventConnection{Count: x.total, PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	c.Edges = make([]*model.EventEdge, len(kept))
	nodes := make([]model.Event, len(kept))
	for i := range kept {
		k := &kept[i]
		nodes[i] = model.Event{E: &k.ev, L: lens}
		c.Edges[i] = model.NewEdge(&nodes[i], func() string { return r.cursors.seal(scopeTimeline, p.SubjectID, k.pos) })
	}
	setCursors(c)
	return c, nil
}
