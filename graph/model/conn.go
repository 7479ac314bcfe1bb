package model

import (
	"context"
	"time"
)

// Conn is a Relay connection page. The schema's XxxConnection and XxxEdge
// types bind to its instantiations.
type Conn[T any] struct {
	Edges    []*Edge[T]
	PageInfo *PageInfo
	// Count is the number of items in all pages, unless Total is set:
	// then Total computes it when a client asks for it.
	Count int
	Total func(ctx context.Context) (int, error)
}

// TotalCount returns the number of items in all pages.
func (c *Conn[T]) TotalCount(ctx context.Context) (int, error) {
	if c.Total != nil {
		return c.Total(ctx)
	}
	return c.Count, nil
}

// Edge is one node and its cursor, computed only when asked for.
type Edge[T any] struct {
	Node   T
	cursor func() string
}

// NewEdge returns an edge whose cursor is computed by cursor on demand.
func NewEdge[T any](node T, cursor func() string) *Edge[T] {
	return &Edge[T]{Node: node, cursor: cursor}
}

// Cursor returns the edge's opaque cursor.
func (e *Edge[T]) Cursor() string { return e.cursor() }

// The connections of the schema.
type (
	PatientConnection        = Conn[*Patient]
	PatientEdge              = Edge[*Patient]
	IdentifierConnection     = Conn[*Identifier]
	IdentifierEdge           = Edge[*Identifier]
	EventConnection          = Conn[*Event]
	EventEdge                = Edge[*Event]
	LabSeriesConnection      = Conn[*LabSeries]
	LabSeriesEdge            = Edge[*LabSeries]
	LabPointConnection       = Conn[*LabPoint]
	LabPointEdge             = Edge[*LabPoint]
	VariantConnection        = Conn[*Variant]
	VariantEdge              = Edge[*Variant]
	ImagingStudyConnection   = Conn[*ImagingStudy]
	ImagingStudyEdge         = Edge[*ImagingStudy]
	ImagingSeriesConnection  = Conn[*ImagingSeries]
	ImagingSeriesEdge        = Edge[*ImagingSeries]
	ImagingFeatureConnection = Conn[*ImagingFeature]
	ImagingFeatureEdge       = Edge[*ImagingFeature]
	LesionConnection         = Conn[*Lesion]
	LesionEdge               = Edge[*Lesion]
)

// LabSeries is the values of one code. Its points are paginated by the
// resolver.
type LabSeries struct {
	Code        string
	DisplayName *string
	Concept     *string
	Unit        *string
	Points      []*LabPoint // all of them, in time order
	Subject     int64
}

// Count returns the number of values.
func (s *LabSeries) Count() int { return len(s.Points) }

// Latest returns the most recent value.
func (s *LabSeries) Latest() *LabPoint {
	if len(s.Points) == 0 {
		return nil
	}
	return s.Points[len(s.Points)-1]
}

// ImagingStudy groups what is known of one study. Its lists are paginated
// by the resolver.
type ImagingStudy struct {
	UID       string // the real Study Instance UID
	L         *Lens
	StudyTime time.Time
	Mods      []string
	Body      string
	Desc      string
	Series    []*ImagingSeries
	Features  []*ImagingFeature
	Lesions   []*Lesion
	Subject   int64
}

// StudyUID returns the UID, or its token for pseudonymised roles.
func (s *ImagingStudy) StudyUID() string {
	if p := s.L.UID("study", s.UID); p != nil {
		return *p
	}
	return ""
}

func (s *ImagingStudy) Time() *time.Time     { return s.L.Time(s.StudyTime) }
func (s *ImagingStudy) Modalities() []string { return s.Mods }
func (s *ImagingStudy) BodyPart() *string    { return strPtr(s.Body) }
func (s *ImagingStudy) Description() *string { return s.L.Withheld(s.Desc) }
