package graph

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

func studyPos(s *model.ImagingStudy) []byte {
	b := appendTimePos(nil, s.StudyTime.UnixMicro(), s.StudyTime.IsZero())
	return append(b, s.UID...)
}

func (r *Resolver) imagingStudies(ctx context.Context, p *model.Patient, asOf *time.Time, a pageArgs) (*model.ImagingStudyConnection, error) {
	q := reqFrom(ctx)
	w, err := r.parsePage(a, scopeStudies, p.SubjectID)
	if err != nil {
		return nil, err
	}
	f := store.Filter{AsOf: q.unshift(p.SubjectID, asOf)}
	imgRows, err := r.detailRows(ctx, p, timeline.Imaging, f)
	if err != nil {
		return nil, err
	}
	lesRows, err := r.detailRows(ctx, p, timeline.Lesions, f)
	if err != nil {
		return nil, err
	}
	ef := f
	ef.Kinds = []timeline.Kind{timeline.KindImagingStudy, timeline.KindImagingFeature, timeline.KindLesion}
	events, err := r.eventsByKey(ctx, p, "imaging", ef)
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, "imagingStudies")
	lens := q.lens(p.SubjectID)
	studies := map[string]*model.ImagingStudy{}
	var order []*model.ImagingStudy
	study := func(uid string) *model.ImagingStudy {
		s, ok := studies[uid]
		if !ok {
			s = &model.ImagingStudy{UID: uid, L: lens, Subject: p.SubjectID}
			studies[uid] = s
			order = append(order, s)
		}
		return s
	}
	earliest := func(s *model.ImagingStudy, t time.Time) {
		if !t.IsZero() && (s.StudyTime.IsZero() || t.Before(s.StudyTime)) {
			s.StudyTime = t
		}
	}
	imgs, _ := imgRows.([]timeline.ImagingDetail)
	for i := range imgs {
		d := &imgs[i]
		e, ok := events[d.Key]
		if !ok || d.StudyUID == "" {
			continue
		}
		s := study(d.StudyUID)
		switch e.Kind {
		case timeline.KindImagingStudy:
			s.Series = append(s.Series, &model.ImagingSeries{D: d, L: lens})
			earliest(s, e.Time)
			if s.Desc == "" {
				s.Desc = e.Text
			}
			if d.Modality != "" && !slices.Contains(s.Mods, d.Modality) {
				s.Mods = append(s.Mods, d.Modality)
			}
			if s.Body == "" {
				s.Body = d.BodyPart
			}
		case timeline.KindImagingFeature:
			s.Features = append(s.Features, &model.ImagingFeature{Event: model.Event{E: e, L: lens}, D: d})
		}
	}
	les, _ := lesRows.([]timeline.LesionDetail)
	for i := range les {
		l := &les[i]
		e, ok := events[l.Key]
		if !ok || l.StudyUID == "" {
			continue
		}
		s := study(l.StudyUID)
		s.Lesions = append(s.Lesions, &model.Lesion{D: l, E: e, L: lens})
	}
	for _, s := range order {
		if s.StudyTime.IsZero() { // no study event: the earliest feature or lesion
			for _, ft := range s.Features {
				earliest(s, ft.E.Time)
			}
			for _, l := range s.Lesions {
				earliest(s, l.E.Time)
			}
		}
		slices.Sort(s.Mods)
		slices.SortStableFunc(s.Series, func(a, b *model.ImagingSeries) int { return bytes.Compare(seriesPos(a), seriesPos(b)) })
		slices.SortStableFunc(s.Features, func(a, b *model.ImagingFeature) int { return bytes.Compare(featurePos(a), featurePos(b)) })
		slices.SortStableFunc(s.Lesions, func(a, b *model.Lesion) int { return bytes.Compare(lesionPos(a), lesionPos(b)) })
	}
	slices.SortFunc(order, func(a, b *model.ImagingStudy) int { return bytes.Compare(studyPos(a), studyPos(b)) })
	page, hasPrev, hasNext := paginate(order, w, studyPos)
	c := &model.ImagingStudyConnection{Count: len(order), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, s := range page {
		s := s
		c.Edges = append(c.Edges, model.NewEdge(s, func() string { return r.cursors.seal(scopeStudies, p.SubjectID, studyPos(s)) }))
	}
	setCursors(c)
	return c, nil
}

func seriesPos(s *model.ImagingSeries) []byte {
	return append([]byte(s.D.SeriesUID+"\x00"), s.D.Key[:]...)
}

func featurePos(f *model.ImagingFeature) []byte { return eventPos(nil, f.E) }

func lesionPos(l *model.Lesion) []byte {
	return append([]byte(l.D.LesionID+"\x00"), l.D.Key[:]...)
}

// subPage paginates one of a study's lists; cursors are scoped to the study.
func subPage[T any](r *Resolver, s *model.ImagingStudy, items []T, scope byte, pos func(T) []byte, a pageArgs) (*model.Conn[T], error) {
	w, err := r.parsePage(a, scope, s.Subject)
	if err != nil {
		return nil, err
	}
	if w.after != nil && !bytes.HasPrefix(w.after, []byte(s.UID+"\x00")) || w.before != nil && !bytes.HasPrefix(w.before, []byte(s.UID+"\x00")) {
		return nil, badInput("invalid cursor (cursors are only valid for the list that returned them)")
	}
	strip := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return b[len(s.UID)+1:]
	}
	w.after, w.before = strip(w.after), strip(w.before)
	page, hasPrev, hasNext := paginate(items, w, pos)
	c := &model.Conn[T]{Count: len(items), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, it := range page {
		it := it
		c.Edges = append(c.Edges, model.NewEdge(it, func() string {
			return r.cursors.seal(scope, s.Subject, append([]byte(s.UID+"\x00"), pos(it)...))
		}))
	}
	setCursors(c)
	return c, nil
}

func (r *Resolver) studyFeatures(s *model.ImagingStudy, codes []string, a pageArgs) (*model.ImagingFeatureConnection, error) {
	if err := checkCodes("codes", codes); err != nil {
		return nil, err
	}
	items := s.Features
	if len(codes) > 0 {
		items = nil
		for _, f := range s.Features {
			if twin.MatchCode(f.E.Code, codes...) {
				items = append(items, f)
			}
		}
	}
	return subPage(r, s, items, scopeFeatures, featurePos, a)
}
