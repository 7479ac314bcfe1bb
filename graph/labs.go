package graph

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

type labsArgs struct {
	codes, concepts []string
	from, to, asOf  *time.Time
	page            pageArgs
}

func (r *Resolver) labs(ctx context.Context, p *model.Patient, a labsArgs) (*model.LabSeriesConnection, error) {
	q := reqFrom(ctx)
	w, err := r.parsePage(a.page, scopeLabSeries, p.SubjectID)
	if err != nil {
		return nil, err
	}
	if err := checkCodes("codes", a.codes); err != nil {
		return nil, err
	}
	codes := slices.Clone(a.codes)
	for _, name := range a.concepts {
		if _, ok := r.cfg.Codes.Concept(name); !ok {
			return nil, badInput("concepts: unknown concept %q (known: %v)", name, r.cfg.Codes.Concepts())
		}
		codes = append(codes, r.cfg.Codes.CodesOf(name)...)
	}
	f := store.Filter{
		From: q.unshift(p.SubjectID, a.from), To: q.unshift(p.SubjectID, a.to),
		AsOf: q.unshift(p.SubjectID, a.asOf), ExcludeStatic: true,
	}
	if len(codes) > 0 {
		sort.Strings(codes)
		f.Codes = slices.Compact(codes)
	} else {
		f.Kinds = []timeline.Kind{timeline.KindLab, timeline.KindTumorMarker}
	}
	limit := r.cfg.Limits.MaxRowsPerPatient
	v, err := groupOf(p).load(ctx, "labs "+filterKey(f), p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		return r.scanEvents(ctx, ids, f, func(int64) rowSink { return &allEvents{limit: limit, what: "lab values"} })
	})
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, "labs")
	var events []timeline.Event
	if x, ok := v.(*allEvents); ok {
		events = x.events
	}
	lens := q.lens(p.SubjectID)
	byCode := map[string]*model.LabSeries{}
	var series []*model.LabSeries
	for i := range events {
		e := &events[i]
		s, ok := byCode[e.Code]
		if !ok {
			s = &model.LabSeries{Code: e.Code, DisplayName: lens.Display(e.Code), Subject: p.SubjectID}
			if c, ok := r.cfg.Codes.ConceptOf(e.Code); ok {
				name := c.Name
				s.Concept = &name
			}
			if ci, ok := r.cfg.Codes.Lookup(e.Code); ok && ci.Unit != "" {
				u := ci.Unit
				s.Unit = &u
			} else if e.Unit != "" {
				u := e.Unit
				s.Unit = &u
			}
			byCode[e.Code] = s
			series = append(series, s)
		}
		s.Points = append(s.Points, &model.LabPoint{Event: model.Event{E: e, L: lens}})
	}
	sort.Slice(series, func(i, j int) bool { return series[i].Code < series[j].Code })
	for _, s := range series {
		slices.SortStableFunc(s.Points, func(a, b *model.LabPoint) int {
			return bytes.Compare(eventPos(nil, a.E), eventPos(nil, b.E))
		})
	}
	pos := func(s *model.LabSeries) []byte { return []byte(s.Code) }
	page, hasPrev, hasNext := paginate(series, w, pos)
	c := &model.LabSeriesConnection{Count: len(series), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, s := range page {
		s := s
		c.Edges = append(c.Edges, model.NewEdge(s, func() string { return r.cursors.seal(scopeLabSeries, p.SubjectID, pos(s)) }))
	}
	setCursors(c)
	return c, nil
}

func (r *Resolver) labPoints(ctx context.Context, s *model.LabSeries, a pageArgs) (*model.LabPointConnection, error) {
	w, err := r.parsePage(a, scopeLabPoints, s.Subject)
	if err != nil {
		return nil, err
	}
	pos := func(p *model.LabPoint) []byte { return eventPos(nil, p.E) }
	page, hasPrev, hasNext := paginate(s.Points, w, pos)
	c := &model.LabPointConnection{Count: len(s.Points), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, pt := range page {
		pt := pt
		c.Edges = append(c.Edges, model.NewEdge(pt, func() string { return r.cursors.seal(scopeLabPoints, s.Subject, pos(pt)) }))
	}
	setCursors(c)
	return c, nil
}
