package flightsvc

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Dataset names.
const (
	DatasetTimeline        = "timeline"
	DatasetVariants        = "variants"
	DatasetImagingFeatures = "imaging_features"
	DatasetLesions         = "lesions"
	DatasetFeatures        = "features"
)

// source streams a dataset's internal records (subject_id first, one
// subject's rows contiguous). A record is valid only during fn.
type source func(ctx context.Context, fn func(arrow.Record) error) error

// dataset is one named dataset.
type dataset struct {
	name string
	doc  string
	cols columns
	// kinds restricts the events a row dataset reads (nil: any kind).
	kinds []timeline.Kind
	// open streams the rows of a cohort and filter (times real).
	open func(ctx context.Context, s *Service, c store.Cohort, f store.Filter) (source, error)
	// matrix is the feature matrix spec of a built-in matrix (or the
	// generic "features" dataset when spec is nil).
	matrix   *FeatureSpec
	isMatrix bool
	// eval is the evaluation table an AI-evaluation dataset serves
	// (aieval.go).
	eval string
}

// eventColumns is the timeline as columns with their policies.
func eventColumns() columns {
	pol := map[string]policy{
		"subject_id": subject, "time": shifted, "end_time": shifted, "source": withheld,
		"superseded_at": shifted, "available_at": shifted, "recorded_at": shifted,
	}
	cs := make(columns, 0, timeline.EventSchema.NumFields())
	for _, f := range timeline.EventSchema.Fields() {
		cs = append(cs, column{field: f, policy: pol[f.Name]})
	}
	return cs
}

// detailPolicies says how each detail column looks to researchers (plain
// when absent): sample names, descriptions and observers are withheld;
// DICOM UIDs and lesion ids become keyed tokens in the namespaces GraphQL
// uses, so a researcher can join across both.
var detailPolicies = map[string]column{
	"sample":             {policy: withheld},
	"series_description": {policy: withheld},
	"observer":           {policy: withheld},
	"settings":           {policy: withheld},
	"study_uid":          {policy: token, ns: "study"},
	"series_uid":         {policy: token, ns: "series"},
	"instance_uid":       {policy: token, ns: "instance"},
	"tracking_uid":       {policy: token, ns: "tracking"},
	"lesion_id":          {policy: token, ns: "lesion"},
}

// joinedEventColumns are the event columns every detail dataset row
// carries, in this order after subject_id.
var joinedEventColumns = []string{"time", "code", "numeric_value", "text_value", "unit", "available_at", "record_key"}

// detailColumns is a detail dataset's layout: subject_id, the event's
// joinedEventColumns, then the detail table's own columns.
func detailColumns(t timeline.DetailTable) columns {
	ev := eventColumns()
	cs := columns{ev[0]}
	for _, n := range joinedEventColumns {
		c := ev[ev.index(n)]
		if n != "record_key" {
			c.field.Nullable = true
		}
		cs = append(cs, c)
	}
	for _, f := range t.Schema().Fields()[2:] {
		c := detailPolicies[f.Name]
		c.field = f
		c.field.Nullable = true
		cs = append(cs, c)
	}
	return cs
}

// datasets returns the registry of named datasets.
func datasets() map[string]*dataset {
	m := map[string]*dataset{
		DatasetTimeline: {name: DatasetTimeline, doc: "timeline events (the MEDS core and medtwin's columns)", cols: eventColumns(),
			open: openTimeline},
		DatasetVariants: {name: DatasetVariants, doc: "variant calls with their event (one row per sample and allele)",
			cols: detailColumns(timeline.Variants), kinds: []timeline.Kind{timeline.KindVariant},
			open: openDetail(timeline.Variants)},
		DatasetImagingFeatures: {name: DatasetImagingFeatures, doc: "imaging-derived features with their series and algorithm",
			cols: detailColumns(timeline.Imaging), kinds: []timeline.Kind{timeline.KindImagingFeature},
			open: openDetail(timeline.Imaging)},
		DatasetLesions: {name: DatasetLesions, doc: "lesion measurements with their event",
			cols: detailColumns(timeline.Lesions), kinds: []timeline.Kind{timeline.KindLesion},
			open: openDetail(timeline.Lesions)},
		DatasetFeatures: {name: DatasetFeatures, doc: "a feature matrix from the descriptor's feature spec", isMatrix: true},
	}
	for _, ds := range evalDatasets() {
		m[ds.name] = ds
	}
	for _, b := range builtinMatrices() {
		spec := b.spec
		m[b.name] = &dataset{name: b.name, doc: b.doc, isMatrix: true, matrix: &spec}
	}
	return m
}

// DatasetNames lists the named datasets, sorted.
func DatasetNames() []string {
	var out []string
	for n := range datasets() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func openTimeline(ctx context.Context, s *Service, c store.Cohort, f store.Filter) (source, error) {
	return func(ctx context.Context, fn func(arrow.Record) error) error {
		rr, err := s.store.Scan(ctx, c, f)
		if err != nil {
			return fmt.Errorf("flightsvc: scan: %w", err)
		}
		return drain(ctx, rr, fn)
	}, nil
}

// drain calls fn for every record of rr and releases it.
func drain(ctx context.Context, rr array.RecordReader, fn func(arrow.Record) error) error {
	defer rr.Release()
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rr.Record()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("flightsvc: read: %w", err)
	}
	return ctx.Err()
}

// checkKinds validates kind names.
func parseKinds(names []string) ([]timeline.Kind, error) {
	var out []timeline.Kind
	for _, n := range names {
		k, err := timeline.ParseKind(n)
		if err != nil {
			var all []string
			for _, k := range timeline.Kinds() {
				all = append(all, k.String())
			}
			return nil, fmt.Errorf("%w: kind %q (want one of %s)", ErrBadRequest, n, strings.Join(all, ", "))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}
