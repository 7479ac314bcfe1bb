package twin

import (
	"context"
	"fmt"
	"time"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Load reads one patient's current timeline and details as of asOf (zero:
// everything) and returns its View.
func Load(ctx context.Context, s store.Store, subject int64, asOf time.Time, codes *timeline.CodeTable) (*View, error) {
	f := store.Filter{AsOf: asOf}
	rr, err := s.Timeline(ctx, subject, f)
	if err != nil {
		return nil, fmt.Errorf("twin: load timeline: %w", err)
	}
	events, err := timeline.ReadAll(rr)
	if err != nil {
		return nil, fmt.Errorf("twin: load timeline: %w", err)
	}
	var d Details
	cohort := store.Cohort{SubjectIDs: []int64{subject}}
	for _, t := range timeline.DetailTables() {
		rr, err := s.Details(ctx, t, cohort, f)
		if err != nil {
			return nil, fmt.Errorf("twin: load %s: %w", t, err)
		}
		for rr.Next() {
			rec := rr.Record()
			switch t {
			case timeline.Variants:
				vs, err := timeline.VariantsOf(rec)
				if err != nil {
					rr.Release()
					return nil, err
				}
				d.Variants = append(d.Variants, vs...)
			case timeline.Imaging:
				ms, err := timeline.ImagingOf(rec)
				if err != nil {
					rr.Release()
					return nil, err
				}
				d.Imaging = append(d.Imaging, ms...)
			case timeline.Lesions:
				ls, err := timeline.LesionsOf(rec)
				if err != nil {
					rr.Release()
					return nil, err
				}
				d.Lesions = append(d.Lesions, ls...)
			}
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, fmt.Errorf("twin: load %s: %w", t, err)
		}
	}
	return NewView(subject, events, d, asOf, codes), nil
}
