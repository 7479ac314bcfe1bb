package dicom

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Slice is one image plane of a series: a frame of an instance with its
// position along the series' slice normal.
type Slice struct {
	Instance *Instance
	Frame    int     // 0-based frame of the instance
	Distance float64 // position along the slice normal, mm
}

// Geometry returns the slice's plane geometry.
func (s Slice) Geometry() FrameGeometry { return s.Instance.Frames[s.Frame] }

// Series is the instances of one SeriesInstanceUID, with their image
// planes ordered geometrically: by position along the slice normal
// (the cross product of the row and column direction cosines), not by
// InstanceNumber or file name.
type Series struct {
	StudyInstanceUID    string
	SeriesInstanceUID   string
	FrameOfReferenceUID string
	Modality            string
	// Instances in InstanceNumber order (then SOP Instance UID).
	Instances []*Instance
	// Slices of image instances in ascending Distance; empty when the
	// series has no positioned images (reports, segmentations, …).
	Slices []Slice
	// Normal is the unit slice normal (zero when Slices is empty).
	Normal [3]float64
	// Issues lists what keeps the slices from forming one regular volume;
	// empty when they do.
	Issues []GeometryIssue
}

// GeometryIssueKind classifies geometry problems.
type GeometryIssueKind string

// Kinds of geometry issues.
const (
	IssueMissingGeometry   GeometryIssueKind = "missing_geometry"   // an image without position or orientation
	IssueMixedOrientation  GeometryIssueKind = "mixed_orientation"  // slices not parallel
	IssueMixedSize         GeometryIssueKind = "mixed_size"         // Rows/Columns/PixelSpacing differ
	IssueDuplicatePosition GeometryIssueKind = "duplicate_position" // two slices at one position
	IssueNonUniform        GeometryIssueKind = "non_uniform_spacing"
	IssueGap               GeometryIssueKind = "gap" // a step well above the typical spacing
	IssueTilt              GeometryIssueKind = "tilt"
	IssueMultipleFrames    GeometryIssueKind = "frame_of_reference" // more than one FrameOfReferenceUID
)

// GeometryIssue is one problem of a series' geometry.
type GeometryIssue struct {
	Kind   GeometryIssueKind
	Detail string // numbers and slice indices only, never patient data
}

func (g GeometryIssue) String() string { return string(g.Kind) + ": " + g.Detail }

// Spacing returns the median step between consecutive slices (mm), or NaN
// with fewer than two slices.
func (s *Series) Spacing() float64 {
	if len(s.Slices) < 2 {
		return math.NaN()
	}
	steps := make([]float64, len(s.Slices)-1)
	for i := range steps {
		steps[i] = s.Slices[i+1].Distance - s.Slices[i].Distance
	}
	sort.Float64s(steps)
	return steps[len(steps)/2]
}

// Regular reports whether the slices form one regular volume (no issues).
func (s *Series) Regular() bool { return len(s.Issues) == 0 && len(s.Slices) > 0 }

// Err returns nil for a regular volume, else an ErrGeometry error listing
// the issues.
func (s *Series) Err() error {
	if len(s.Issues) == 0 {
		if len(s.Slices) == 0 {
			return fmt.Errorf("%w: series has no positioned image slices", ErrGeometry)
		}
		return nil
	}
	parts := make([]string, len(s.Issues))
	for i, is := range s.Issues {
		parts[i] = is.String()
	}
	return fmt.Errorf("%w: %s", ErrGeometry, strings.Join(parts, "; "))
}

// FindSlice returns the index in Slices of the frame of instance sop
// (frame is 0-based), or -1.
func (s *Series) FindSlice(sop string, frame int) int {
	for i, sl := range s.Slices {
		if sl.Instance.SOPInstanceUID == sop && sl.Frame == frame {
			return i
		}
	}
	return -1
}

// GroupSeries groups instances by SeriesInstanceUID (in the order the
// series first appear) and orders each series' slices geometrically.
// Instances repeated (the same SOP Instance UID twice) are kept once.
func GroupSeries(instances []*Instance) []*Series {
	var out []*Series
	idx := make(map[string]*Series)
	seen := make(map[string]bool)
	for _, in := range instances {
		if seen[in.SOPInstanceUID] {
			continue
		}
		seen[in.SOPInstanceUID] = true
		s := idx[in.SeriesInstanceUID]
		if s == nil {
			s = &Series{StudyInstanceUID: in.StudyInstanceUID, SeriesInstanceUID: in.SeriesInstanceUID,
				FrameOfReferenceUID: in.FrameOfReferenceUID, Modality: in.Modality}
			idx[in.SeriesInstanceUID] = s
			out = append(out, s)
		}
		s.Instances = append(s.Instances, in)
	}
	for _, s := range out {
		s.order()
	}
	return out
}

// NewSeries builds one series from instances that share a
// SeriesInstanceUID.
func NewSeries(instances []*Instance) (*Series, error) {
	all := GroupSeries(instances)
	if len(all) != 1 {
		return nil, fmt.Errorf("%w: %d series among the instances given, want 1", ErrGeometry, len(all))
	}
	return all[0], nil
}

const (
	// orientTol is the tolerance on direction cosines for "parallel".
	orientTol = 1e-3
	// posTol is the tolerance (mm) for positions that must coincide.
	posTol = 1e-2
	// spacingRelTol is the relative spread of slice steps still "uniform"
	// (1 %, the tolerance ITK's GDCM series reader uses is of this order).
	spacingRelTol = 0.01
)

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm(a [3]float64) float64   { return math.Sqrt(dot(a, a)) }

// Normal returns the unit normal of an orientation (row × column).
func Normal(o [6]float64) [3]float64 {
	n := cross([3]float64{o[0], o[1], o[2]}, [3]float64{o[3], o[4], o[5]})
	if l := norm(n); l > 0 {
		n = [3]float64{n[0] / l, n[1] / l, n[2] / l}
	}
	return n
}

func (s *Series) order() {
	sort.SliceStable(s.Instances, func(i, j int) bool {
		a, b := s.Instances[i], s.Instances[j]
		if a.InstanceNumber != b.InstanceNumber {
			return a.InstanceNumber < b.InstanceNumber
		}
		return a.SOPInstanceUID < b.SOPInstanceUID
	})
	s.Slices, s.Issues = nil, nil
	var ref *FrameGeometry
	missing := 0
	fors := map[string]bool{}
	for _, in := range s.Instances {
		if !in.IsImage() || len(in.Frames) == 0 {
			continue
		}
		if in.FrameOfReferenceUID != "" {
			fors[in.FrameOfReferenceUID] = true
		}
		for f := range in.Frames {
			g := &in.Frames[f]
			if !g.HasPosition || !g.HasOrientation {
				missing++
				continue
			}
			if ref == nil {
				ref = g
				s.Normal = Normal(g.Orientation)
			}
			s.Slices = append(s.Slices, Slice{Instance: in, Frame: f, Distance: dot(s.Normal, g.Position)})
		}
	}
	if missing > 0 {
		s.issue(IssueMissingGeometry, "%d image frame(s) without ImagePositionPatient/ImageOrientationPatient", missing)
	}
	if len(fors) > 1 {
		s.issue(IssueMultipleFrames, "%d FrameOfReferenceUIDs", len(fors))
	}
	if len(s.Slices) == 0 {
		return
	}
	sort.SliceStable(s.Slices, func(i, j int) bool { return s.Slices[i].Distance < s.Slices[j].Distance })
	first := s.Slices[0]
	g0 := first.Geometry()
	for i, sl := range s.Slices {
		g := sl.Geometry()
		for k := 0; k < 6; k++ {
			if math.Abs(g.Orientation[k]-g0.Orientation[k]) > orientTol {
				s.issue(IssueMixedOrientation, "slice %d orientation differs from slice 1", i+1)
				break
			}
		}
		if sl.Instance.Rows != first.Instance.Rows || sl.Instance.Columns != first.Instance.Columns ||
			math.Abs(g.PixelSpacing[0]-g0.PixelSpacing[0]) > posTol || math.Abs(g.PixelSpacing[1]-g0.PixelSpacing[1]) > posTol {
			s.issue(IssueMixedSize, "slice %d size or pixel spacing differs from slice 1", i+1)
		}
	}
	if len(s.Slices) < 2 {
		return
	}
	spacing := s.Spacing()
	var minStep, maxStep = math.Inf(1), math.Inf(-1)
	for i := 1; i < len(s.Slices); i++ {
		step := s.Slices[i].Distance - s.Slices[i-1].Distance
		minStep, maxStep = math.Min(minStep, step), math.Max(maxStep, step)
		if step < posTol {
			s.issue(IssueDuplicatePosition, "slices %d and %d at the same position", i, i+1)
		}
	}
	if spacing > posTol && maxStep-minStep > spacingRelTol*spacing {
		if maxStep > 1.5*spacing {
			s.issue(IssueGap, "step of %.3g mm where the median step is %.3g mm", maxStep, spacing)
		}
		if maxStep <= 1.5*spacing || minStep < (1-spacingRelTol)*spacing {
			s.issue(IssueNonUniform, "steps from %.3g to %.3g mm", minStep, maxStep)
		}
	}
	// Tilt: successive positions must move along the normal. A gantry
	// tilt shears the volume: positions drift within the slice plane.
	p0 := g0.Position
	last := s.Slices[len(s.Slices)-1].Geometry().Position
	d := [3]float64{last[0] - p0[0], last[1] - p0[1], last[2] - p0[2]}
	if l := norm(d); l > posTol {
		cos := math.Abs(dot(d, s.Normal)) / l
		if cos < 1-1e-4 {
			s.issue(IssueTilt, "slice positions run %.2f° off the slice normal (gantry tilt or shear)", math.Acos(math.Min(cos, 1))*180/math.Pi)
		}
	}
}

func (s *Series) issue(k GeometryIssueKind, format string, args ...any) {
	for _, is := range s.Issues {
		if is.Kind == k {
			return // one issue of each kind is enough to refuse
		}
	}
	s.Issues = append(s.Issues, GeometryIssue{Kind: k, Detail: fmt.Sprintf(format, args...)})
}
