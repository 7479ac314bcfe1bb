package graph

import (
	"context"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/medtwin/medtwin/graph/model"
)

// depthLimit refuses operations nested deeper than max (introspection
// fields excepted: their depth is bounded by the schema).
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if n := selectionDepth(oc.Operation.SelectionSet, 0); n > d.max {
		err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", n, d.max)
		err.Extensions = map[string]any{"code": CodeDepthLimit}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, guard int) int {
	if guard > 100 { // fragments are validated acyclic; this is a backstop
		return guard
	}
	deepest := 0
	for _, s := range set {
		n := 0
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			n = 1 + selectionDepth(s.SelectionSet, guard+1)
		case *ast.InlineFragment:
			n = selectionDepth(s.SelectionSet, guard+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n = selectionDepth(s.Definition.SelectionSet, guard+1)
			}
		}
		deepest = max(deepest, n)
	}
	return deepest
}

// complexity charges a list field its page size times its selection, so
// that nested lists multiply: patients(first: 100) { timeline(first: 50)
// { … } } costs about 100 × 50 × the event selection.
func (r *Resolver) complexity() ComplexityRoot {
	lim := r.cfg.Limits
	size := func(first, last *int) int {
		n := lim.DefaultPageSize
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		// Over-large pages are refused by the page-size check, with a
		// message naming that limit; charge them as one more than allowed.
		return max(1, min(n, lim.MaxPageSize+1))
	}
	list := func(child int, first, last *int) int { return 1 + size(first, last)*max(child, 1) }
	var c ComplexityRoot
	// An AI evaluation reads every patient with the tool's outputs: charge
	// it like a twin, and its pairs like any page.
	c.Query.AiEvaluation = func(child int, _ string, _ *string, _, _, _, _ *time.Time, _ *float64, _ *int) int {
		return lim.MaxPageSize/10 + child
	}
	c.AIEvaluation.Pairs = func(child int, _, _ *string, first *int, _ *string) int { return list(child, first, nil) }
	c.Query.Patients = func(child int, _ *model.PatientFilter, first *int, _ *string) int { return list(child, first, nil) }
	c.Patient.Identifiers = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.Patient.Timeline = func(child int, _, _ *time.Time, _ []model.EventKind, _ []string, _, _ *time.Time, first *int, _ *string, last *int, _ *string) int {
		return list(child, first, last)
	}
	c.Patient.Labs = func(child int, _, _ []string, _, _, _ *time.Time, first *int, _ *string) int {
		return list(child, first, nil)
	}
	c.Patient.Variants = func(child int, _ []string, _ *time.Time, first *int, _ *string) int { return list(child, first, nil) }
	c.Patient.ImagingStudies = func(child int, _ *time.Time, first *int, _ *string) int { return list(child, first, nil) }
	c.LabSeries.Points = func(child int, first *int, _ *string, last *int, _ *string) int { return list(child, first, last) }
	c.ImagingStudy.Series = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.ImagingStudy.Features = func(child int, _ []string, first *int, _ *string) int { return list(child, first, nil) }
	c.ImagingStudy.Lesions = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	// A twin reads the patient's whole timeline: charge it like a full page.
	c.Patient.LiverTwin = func(child int, _ *time.Time) int { return lim.MaxPageSize/10 + child }
	c.LiverTwin.Scores = func(child int, _ []string, first *int, _ *string) int { return list(child, first, nil) }
	c.LiverTwin.Trends = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.LiverTwin.Transitions = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.ScoreSeries.Points = func(child int, _ *bool, first *int, _ *string, last *int, _ *string) int {
		return list(child, first, last)
	}
	c.LiverImaging.Attenuation = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.LiverImaging.Volume = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.Patient.PneumoniaEpisodes = func(child int, _ *time.Time, first *int, _ *string) int {
		return lim.MaxPageSize/10 + list(child, first, nil)
	}
	c.Patient.OncologyTwin = func(child int, _ *time.Time) int { return lim.MaxPageSize/10 + child }
	c.PneumoniaEpisode.Evidence = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.PneumoniaEpisode.Ct = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.OncologyTwin.Cancers = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.OncologyTwin.Courses = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.OncologyTwin.Lines = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.OncologyTwin.Markers = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.ResponseCourse.TimePoints = func(child int, first *int, _ *string) int { return list(child, first, nil) }
	c.TumorMarker.Series = func(child int, first *int, _ *string, last *int, _ *string) int { return list(child, first, last) }
	return c
}

func limitError(code, format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": code}
	return e
}
