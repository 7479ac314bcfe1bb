package dicom

import (
	"fmt"
	"math"
	"strconv"
)

// Segmentation SOP classes and attributes (PS3.3 C.8.20).
const (
	UIDSegmentationStorage  = "1.2.840.10008.5.1.4.1.1.66.4"
	UIDLabelMapSegmentation = "1.2.840.10008.5.1.4.1.1.66.7"

	TagSegmentationType   Tag = 0x00620001
	TagSegmentSeq         Tag = 0x00620002
	TagSegmentCategorySeq Tag = 0x00620003
	TagSegmentNumber      Tag = 0x00620004
	TagSegmentLabel       Tag = 0x00620005
	TagSegmentDescription Tag = 0x00620006
	TagSegmentAlgType     Tag = 0x00620008
	TagSegmentAlgName     Tag = 0x00620009
	TagMaxFractional      Tag = 0x0062000E
	TagSegmentTypeSeq     Tag = 0x0062000F
	TagFractionalType     Tag = 0x00620010
	TagTrackingID         Tag = 0x00620020
	TagTrackingUID        Tag = 0x00620021
	TagAnatomicRegionSeq  Tag = 0x00082218
)

// IsSegmentation reports whether a SOP class is a segmentation.
func IsSegmentation(sopClass string) bool {
	return sopClass == UIDSegmentationStorage || sopClass == UIDLabelMapSegmentation
}

// Segment describes one segment of a segmentation.
type Segment struct {
	Number         int
	Label          string
	Description    string
	AlgorithmType  string // AUTOMATIC, SEMIAUTOMATIC, MANUAL
	AlgorithmName  string
	Category       Code // Segmented Property Category
	Type           Code // Segmented Property Type
	AnatomicRegion Code
	TrackingID     string
	TrackingUID    string
}

// Segmentation is a DICOM SEG's metadata: its segments and, per frame,
// the segment and source image it belongs to. Masks decodes its frames
// into masks aligned with the referenced series.
type Segmentation struct {
	Instance       *Instance
	Type           string // BINARY, FRACTIONAL or LABELMAP
	FractionalType string // PROBABILITY or OCCUPANCY
	MaxFractional  int
	Segments       []Segment
	// ReferencedSeries lists the series of the Referenced Series Sequence
	// with their instances.
	ReferencedSeries map[string][]string
}

// ReadSegmentation reads a segmentation's metadata (frames are decoded
// later, by Mask).
func ReadSegmentation(path string) (*Segmentation, error) { return readParsed(path, NewSegmentation) }

// NewSegmentation reads a segmentation from a parsed file.
func NewSegmentation(f *File, in *Instance) (*Segmentation, error) {
	d := f.Dataset
	s := &Segmentation{Instance: in, Type: d.String(TagSegmentationType), FractionalType: d.String(TagFractionalType),
		ReferencedSeries: map[string][]string{}}
	if in.SOPClassUID == UIDLabelMapSegmentation && s.Type == "" {
		s.Type = "LABELMAP"
	}
	switch s.Type {
	case "BINARY", "LABELMAP":
	case "FRACTIONAL":
		s.MaxFractional = intOr(d, TagMaxFractional, 0)
		if s.MaxFractional <= 0 {
			return nil, &TagError{Tag: TagMaxFractional, Offset: -1, Err: fmt.Errorf("%w: fractional segmentation needs a positive maximum", ErrMissingAttribute)}
		}
	default:
		return nil, &TagError{Tag: TagSegmentationType, Offset: -1, Err: fmt.Errorf("%w: segmentation type %q", ErrMalformed, s.Type)}
	}
	for i, it := range d.Seq(TagSegmentSeq) {
		n, ok := it.Int(TagSegmentNumber)
		if !ok {
			return nil, &TagError{Tag: TagSegmentNumber, Offset: -1, Context: "item " + strconv.Itoa(i+1) + " of " + TagSegmentSeq.String(), Err: ErrMissingAttribute}
		}
		s.Segments = append(s.Segments, Segment{Number: n, Label: it.String(TagSegmentLabel), Description: it.String(TagSegmentDescription),
			AlgorithmType: it.String(TagSegmentAlgType), AlgorithmName: it.String(TagSegmentAlgName),
			Category: codeOf(it.Item(TagSegmentCategorySeq)), Type: codeOf(it.Item(TagSegmentTypeSeq)),
			AnatomicRegion: codeOf(it.Item(TagAnatomicRegionSeq)), TrackingID: it.String(TagTrackingID), TrackingUID: it.String(TagTrackingUID)})
	}
	if len(s.Segments) == 0 {
		return nil, &TagError{Tag: TagSegmentSeq, Offset: -1, Err: ErrMissingAttribute}
	}
	for _, rs := range d.Seq(TagReferencedSeriesSeq) {
		uid := rs.String(TagSeriesInstanceUID)
		var sops []string
		for _, ri := range rs.Seq(TagReferencedInstSeq) {
			if u := ri.String(TagReferencedSOPInst); u != "" {
				sops = append(sops, u)
			}
		}
		s.ReferencedSeries[uid] = append(s.ReferencedSeries[uid], sops...)
	}
	if !in.HasPixelData {
		return nil, &TagError{Tag: TagPixelData, Offset: -1, Err: ErrMissingAttribute}
	}
	if len(in.Frames) != in.NumberOfFrames {
		return nil, &TagError{Tag: TagPerFrameFGSeq, Offset: -1, Err: fmt.Errorf("%w: a segmentation needs one per-frame functional group per frame", ErrMissingAttribute)}
	}
	if s.Type != "LABELMAP" {
		for i, g := range in.Frames {
			if g.Segment == 0 && len(s.Segments) > 1 {
				return nil, &TagError{Tag: TagReferencedSegmentNum, Offset: -1, Context: "frame " + strconv.Itoa(i+1), Err: ErrMissingAttribute}
			}
		}
	}
	return s, nil
}

// SegmentReference is an image a segmentation references.
type SegmentReference struct {
	SOPInstanceUID string
	Frame          int    // 1-based referenced frame, 0 for single-frame images
	Locator        string // "frame 3" or "referenced series 1"
}

// References lists the source images of each frame, then the instances of
// the Referenced Series Sequence not already listed.
func (s *Segmentation) References() []SegmentReference {
	var out []SegmentReference
	seen := map[string]bool{}
	for i, g := range s.Instance.Frames {
		if g.ReferencedSOPInstanceUID == "" {
			continue
		}
		seen[g.ReferencedSOPInstanceUID] = true
		out = append(out, SegmentReference{SOPInstanceUID: g.ReferencedSOPInstanceUID, Frame: g.ReferencedFrame, Locator: "frame " + strconv.Itoa(i+1)})
	}
	n := 0
	for _, sops := range s.ReferencedSeries {
		n++
		for _, u := range sops {
			if !seen[u] {
				seen[u] = true
				out = append(out, SegmentReference{SOPInstanceUID: u, Locator: "referenced series " + strconv.Itoa(n)})
			}
		}
	}
	return out
}

// ReferencesSeries reports whether the segmentation was made on series:
// it names the series, references one of its instances, or shares its
// frame of reference.
func (s *Segmentation) ReferencesSeries(series *Series) bool {
	if _, ok := s.ReferencedSeries[series.SeriesInstanceUID]; ok {
		return true
	}
	for _, g := range s.Instance.Frames {
		if g.ReferencedSOPInstanceUID != "" && series.FindSlice(g.ReferencedSOPInstanceUID, max(g.ReferencedFrame-1, 0)) >= 0 {
			return true
		}
	}
	return s.Instance.FrameOfReferenceUID != "" && s.Instance.FrameOfReferenceUID == series.FrameOfReferenceUID
}

// Segment returns the segment numbered n.
func (s *Segmentation) Segment(n int) (Segment, bool) {
	for _, sg := range s.Segments {
		if sg.Number == n {
			return sg, true
		}
	}
	return Segment{}, false
}

// Mask is one segment's mask on the voxel grid of a series: Slices ×
// Rows × Columns values in the order of Series.Slices, then rows, then
// columns. Binary masks and label maps fill Binary with 0/1; fractional
// masks fill Fraction with values in [0, 1] (stored value /
// MaximumFractionalValue) and Binary with 1 where the fraction is > 0.
type Mask struct {
	Segment               Segment
	Slices, Rows, Columns int
	Binary                []uint8
	Fraction              []float32
}

// Count returns the number of foreground voxels.
func (m *Mask) Count() int {
	n := 0
	for _, v := range m.Binary {
		n += int(v)
	}
	return n
}

// Sum returns the sum of the fractions (the voxel count for binary masks).
func (m *Mask) Sum() float64 {
	if m.Fraction == nil {
		return float64(m.Count())
	}
	var s float64
	for _, v := range m.Fraction {
		s += float64(v)
	}
	return s
}

// At returns the mask value at (slice, row, column).
func (m *Mask) At(slice, row, col int) float32 {
	i := (slice*m.Rows+row)*m.Columns + col
	if m.Fraction != nil {
		return m.Fraction[i]
	}
	return float32(m.Binary[i])
}

// SliceOf returns the index in series.Slices of segmentation frame i
// (0-based): by the frame's source image (ReferencedSOPInstanceUID and
// ReferencedFrameNumber) when given, else by its ImagePositionPatient.
func (s *Segmentation) SliceOf(series *Series, i int) (int, error) {
	g := s.Instance.Frames[i]
	loc := "frame " + strconv.Itoa(i+1)
	if g.ReferencedSOPInstanceUID != "" {
		k := series.FindSlice(g.ReferencedSOPInstanceUID, max(g.ReferencedFrame-1, 0))
		if k < 0 {
			return -1, &TagError{Tag: TagReferencedSOPInst, Offset: -1, Context: loc, Err: fmt.Errorf("%w: source image not in the series", ErrMissingReference)}
		}
		return k, nil
	}
	if !g.HasPosition {
		return -1, &TagError{Tag: TagImagePosition, Offset: -1, Context: loc, Err: fmt.Errorf("%w: frame has neither a source image nor a position", ErrMissingAttribute)}
	}
	if s.Instance.FrameOfReferenceUID != "" && series.FrameOfReferenceUID != "" && s.Instance.FrameOfReferenceUID != series.FrameOfReferenceUID {
		return -1, &TagError{Tag: TagFrameOfReferenceUID, Offset: -1, Context: loc, Err: fmt.Errorf("%w: segmentation and series have different frames of reference", ErrGeometry)}
	}
	d := dot(series.Normal, g.Position)
	tol := posTol * 10
	if sp := series.Spacing(); !math.IsNaN(sp) {
		tol = math.Max(tol, 0.05*sp)
	}
	for k, sl := range series.Slices {
		if math.Abs(sl.Distance-d) > tol {
			continue
		}
		p := sl.Geometry().Position
		if math.Abs(p[0]-g.Position[0]) <= tol*10 && math.Abs(p[1]-g.Position[1]) <= tol*10 {
			return k, nil
		}
	}
	return -1, &TagError{Tag: TagImagePosition, Offset: -1, Context: loc, Err: fmt.Errorf("%w: frame position matches no slice of the series", ErrGeometry)}
}

// Masks decodes every segment's mask on series' grid (see Mask).
func (s *Segmentation) Masks(series *Series) ([]*Mask, error) {
	out := make([]*Mask, 0, len(s.Segments))
	for _, sg := range s.Segments {
		if s.Type == "LABELMAP" && sg.Number == 0 {
			continue // background
		}
		m, err := s.Mask(series, sg.Number)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Mask decodes one segment's mask on series' grid. Frames must match the
// series' slices in size and orientation (no resampling); frames whose
// source image is not in the series are ErrMissingReference; slices no
// frame covers stay 0.
func (s *Segmentation) Mask(series *Series, segment int) (*Mask, error) {
	sg, ok := s.Segment(segment)
	if !ok {
		return nil, fmt.Errorf("%w: no segment %d", ErrMissingAttribute, segment)
	}
	if len(series.Slices) == 0 {
		return nil, fmt.Errorf("%w: the series has no positioned slices", ErrGeometry)
	}
	in := s.Instance
	ref := series.Slices[0].Instance
	if in.Rows != ref.Rows || in.Columns != ref.Columns {
		return nil, &TagError{Tag: TagRows, Offset: -1, Err: fmt.Errorf("%w: segmentation frames are %dx%d, the series' images %dx%d",
			ErrGeometry, in.Rows, in.Columns, ref.Rows, ref.Columns)}
	}
	if len(in.Frames) > 0 && in.Frames[0].HasOrientation {
		n := Normal(in.Frames[0].Orientation)
		if math.Abs(dot(n, series.Normal)) < 1-orientTol {
			return nil, &TagError{Tag: TagImageOrientation, Offset: -1, Err: fmt.Errorf("%w: segmentation planes are not parallel to the series' slices", ErrGeometry)}
		}
	}
	m := &Mask{Segment: sg, Slices: len(series.Slices), Rows: in.Rows, Columns: in.Columns}
	plane := in.Rows * in.Columns
	m.Binary = make([]uint8, m.Slices*plane)
	if s.Type == "FRACTIONAL" {
		m.Fraction = make([]float32, m.Slices*plane)
	}
	fr, err := OpenFrames(in)
	if err != nil {
		return nil, err
	}
	defer fr.Close()
	if err := fr.Decodable(); err != nil {
		return nil, err
	}
	var buf []int32
	for i := 0; i < in.NumberOfFrames && i < len(in.Frames); i++ {
		if s.Type != "LABELMAP" && len(s.Segments) > 1 && in.Frames[i].Segment != segment {
			continue
		}
		if s.Type != "LABELMAP" && len(s.Segments) == 1 && in.Frames[i].Segment != 0 && in.Frames[i].Segment != segment {
			continue
		}
		k, err := s.SliceOf(series, i)
		if err != nil {
			return nil, err
		}
		buf, err = fr.Int32(i, buf)
		if err != nil {
			return nil, err
		}
		base := k * plane
		for p := 0; p < plane; p++ {
			v := buf[p]
			switch s.Type {
			case "LABELMAP":
				if int(v) == segment {
					m.Binary[base+p] = 1
				}
			case "FRACTIONAL":
				if v > 0 {
					f := float32(v) / float32(s.MaxFractional)
					if f > m.Fraction[base+p] {
						m.Fraction[base+p] = f
					}
					m.Binary[base+p] = 1
				}
			default:
				if v != 0 {
					m.Binary[base+p] = 1
				}
			}
		}
	}
	return m, nil
}
