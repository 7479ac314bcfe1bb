package features

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/medtwin/medtwin/ingest/dicom"
)

// Algorithm names and version recorded with every feature (imaging detail
// rows). The version changes whenever a definition or default changes the
// numbers.
const (
	AlgorithmFirstOrder = "medtwin/features firstorder"
	AlgorithmShape      = "medtwin/features shape"
	AlgorithmLiver      = "medtwin/features liver"
	AlgorithmLung       = "medtwin/features lung"
	AlgorithmVersion    = "1.0.0"
)

// ROI is a region of interest given as a box in patient coordinates (LPS,
// mm). It applies to the series of its frame of reference (any series when
// FrameOfReferenceUID is empty).
type ROI struct {
	Name                string     `json:"name"`
	Lo, Hi              [3]float64 `json:"-"`
	FrameOfReferenceUID string     `json:"-"`
}

// Config configures what the Extractor computes.
type Config struct {
	Settings Settings
	Lung     LungOptions
	// BodyHU is the threshold of the body mask (tissue ≥ BodyHU, largest
	// 6-connected component) used on CT without a segmentation or ROI.
	BodyHU float64
	// ROIs are boxes measured on every series they apply to.
	ROIs []ROI
	// ChestMinLungML: a CT whose body part is not stated counts as a chest
	// CT, and gets lung features, when its lungs hold this much.
	ChestMinLungML float64
}

// DefaultConfig returns pyradiomics' first-order defaults, the lung
// defaults, a −500 HU body threshold and 1.5 L of lung for a chest CT of
// unstated body part.
func DefaultConfig() Config {
	return Config{Settings: DefaultSettings(), Lung: DefaultLungOptions(), BodyHU: -500, ChestMinLungML: 1500}
}

// Extractor computes the features of image series for imaging ingest
// (`medtwin ingest --features`). Safe for concurrent use.
type Extractor struct{ cfg Config }

// New returns an extractor.
func New(cfg Config) *Extractor { return &Extractor{cfg: cfg} }

// region is one mask to measure with its provenance.
type region struct {
	name        string
	findingSite string
	trackingUID string
	source      string // how the mask was made (settings JSON)
	mask        *Mask
}

// Series computes the features of one series (a dicom.FeatureFunc):
//   - the series is assembled (Load); an irregular series, undecodable
//     pixel data or a segmentation that does not fit is an error and the
//     series gets no features;
//   - every segment of the segmentations that reference the series and
//     every ROI box gives first-order and shape features named
//     <roi>_<feature> (a liver or spleen segment — SNOMED 10200004,
//     78961009 or their SRT codes — is named liver or spleen; others by
//     their label); a liver with a spleen adds liver_minus_spleen_hu and
//     liver_spleen_ratio;
//   - a CT without segmentation or ROI gets them in the body mask (body_…);
//   - a chest CT (body part CHEST/THORAX/LUNG, or unstated with enough
//     lung) gets the lung involvement features.
//
// Codes are IMAGING//<modality>//<feature>; CT intensities in HU.
func (x *Extractor) Series(ctx context.Context, in *dicom.FeatureInput) ([]dicom.Feature, error) {
	s := in.Series
	if len(s.Slices) == 0 {
		return nil, nil
	}
	ct := s.Modality == "CT"
	var rois []ROI
	for _, r := range x.cfg.ROIs {
		if r.FrameOfReferenceUID == "" || r.FrameOfReferenceUID == s.FrameOfReferenceUID {
			rois = append(rois, r)
		}
	}
	if !ct && len(in.Segmentations) == 0 && len(rois) == 0 {
		return nil, nil // nothing defined to measure outside CT
	}
	v, err := Load(ctx, s)
	if err != nil {
		return nil, err
	}
	var regions []region
	used := map[string]int{}
	unique := func(n string) string {
		used[n]++
		if used[n] > 1 {
			return n + "_" + strconv.Itoa(used[n])
		}
		return n
	}
	for si, seg := range in.Segmentations {
		for _, sg := range seg.Segments {
			if seg.Type == "LABELMAP" && sg.Number == 0 {
				continue
			}
			dm, err := seg.Mask(s, sg.Number)
			if err != nil {
				return nil, fmt.Errorf("segmentation %d, segment %d: %w", si+1, sg.Number, err)
			}
			m, err := FromSegment(v, dm)
			if err != nil {
				return nil, fmt.Errorf("segmentation %d: %w", si+1, err)
			}
			name := unique(segmentName(sg))
			site := sg.Type.Meaning
			if site == "" {
				site = sg.Label
			}
			regions = append(regions, region{name: name, findingSite: site, trackingUID: sg.TrackingUID, mask: m,
				source: fmt.Sprintf("DICOM SEG %s segment %d (%s)", seg.Type, sg.Number, codeString(sg.Type))})
		}
	}
	for _, r := range rois {
		regions = append(regions, region{name: unique(sanitize(r.Name, "roi")), findingSite: r.Name, mask: Box(v, r.Lo, r.Hi),
			source: fmt.Sprintf("box %v–%v mm (patient LPS)", r.Lo, r.Hi)})
	}
	var body *Mask
	if len(regions) == 0 && ct {
		body = Threshold(v, x.cfg.BodyHU, math.Inf(1)).KeepLargest(Conn6)
		regions = append(regions, region{name: "body", findingSite: "body", mask: body,
			source: fmt.Sprintf("threshold ≥ %g HU, largest 6-connected component", x.cfg.BodyHU)})
	}
	var out []dicom.Feature
	means := map[string]float64{}
	for _, r := range regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs, mean, err := x.regionFeatures(v, r)
		if err != nil {
			if errors.Is(err, ErrEmptyMask) {
				continue // a segment with no voxel on this series: nothing to measure
			}
			return nil, fmt.Errorf("region %s: %w", r.name, err)
		}
		means[r.name] = mean
		out = append(out, fs...)
	}
	if ct {
		out = append(out, x.liverFeatures(v, means, regions)...)
		lf, err := x.lungFeatures(v, s, body)
		if err != nil {
			return nil, err
		}
		out = append(out, lf...)
	}
	return out, nil
}

// settings is the JSON recorded with each feature.
type settings struct {
	ROI             string         `json:"roi"`
	Mask            string         `json:"mask"`
	Voxels          int            `json:"voxels,omitempty"`
	BinWidth        float64        `json:"binWidth,omitempty"`
	VoxelArrayShift *float64       `json:"voxelArrayShift,omitempty"`
	Definitions     string         `json:"definitions"`
	SpacingMM       [3]float64     `json:"spacingMM"`
	Size            [3]int         `json:"size"`
	Unit            string         `json:"unit"`
	Lung            *LungOptions   `json:"lung,omitempty"`
	Split           string         `json:"lungSplit,omitempty"`
	AirwayML        *float64       `json:"airwayML,omitempty"`
	Zones           []LungZone     `json:"zones,omitempty"`
	Extra           map[string]any `json:"extra,omitempty"`
}

func (x *Extractor) baseSettings(v *Volume, roi, mask string) settings {
	return settings{ROI: roi, Mask: mask, SpacingMM: v.Spacing, Size: [3]int{v.Nx, v.Ny, v.Nz}, Unit: v.Unit,
		Definitions: "pyradiomics firstorder.py/shape.py; IBSI reference manual (arXiv:1612.07003)"}
}

func encode(s settings) string {
	b, err := json.Marshal(s)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// regionFeatures computes first-order and shape features of one region.
func (x *Extractor) regionFeatures(v *Volume, r region) ([]dicom.Feature, float64, error) {
	fo, err := ComputeFirstOrder(v, r.mask, x.cfg.Settings)
	if err != nil {
		return nil, 0, err
	}
	sh, err := ComputeShape(v, r.mask)
	if err != nil {
		return nil, 0, err
	}
	mod := v.Modality
	ct := mod == "CT"
	iu, iu2, suffix := "1", "1", ""
	if ct {
		iu, iu2, suffix = "[hnsf'U]", "[hnsf'U]2", "_hu"
	}
	st := x.baseSettings(v, r.name, r.source)
	st.Voxels = fo.N
	st.BinWidth = x.cfg.Settings.BinWidth
	shift := x.cfg.Settings.VoxelArrayShift
	st.VoxelArrayShift = &shift
	foJSON := encode(st)
	st.BinWidth, st.VoxelArrayShift = 0, nil
	shJSON := encode(st)
	var out []dicom.Feature
	add := func(alg, js, name string, val float64, unit string) {
		if math.IsNaN(val) || math.IsInf(val, 0) {
			return
		}
		out = append(out, dicom.Feature{Code: "IMAGING//" + mod + "//" + r.name + "_" + name, Value: val, Unit: unit,
			ROI: r.name, FindingSite: r.findingSite, TrackingUID: r.trackingUID,
			Algorithm: alg, AlgorithmVersion: AlgorithmVersion, Settings: js})
	}
	fa := func(name string, val float64, unit string) { add(AlgorithmFirstOrder, foJSON, name, val, unit) }
	fa("mean"+suffix, fo.Mean, iu)
	fa("median"+suffix, fo.Median, iu)
	fa("min"+suffix, fo.Minimum, iu)
	fa("max"+suffix, fo.Maximum, iu)
	fa("p10"+suffix, fo.P10, iu)
	fa("p90"+suffix, fo.P90, iu)
	fa("range"+suffix, fo.Range, iu)
	fa("iqr"+suffix, fo.IQR, iu)
	fa("mad"+suffix, fo.MAD, iu)
	fa("rmad"+suffix, fo.RobustMAD, iu)
	fa("rms"+suffix, fo.RMS, iu)
	fa("std"+suffix, fo.StdDev, iu)
	fa("variance", fo.Variance, iu2)
	fa("energy", fo.Energy, iu2)
	fa("total_energy", fo.TotalEnergy, iu2+".mm3")
	fa("entropy", fo.Entropy, "bit")
	fa("uniformity", fo.Uniformity, "1")
	fa("skewness", fo.Skewness, "1")
	fa("kurtosis", fo.Kurtosis, "1")
	sa := func(name string, val float64, unit string) { add(AlgorithmShape, shJSON, name, val, unit) }
	sa("volume_ml", sh.VoxelVolume/1000, "mL")
	sa("mesh_volume_ml", sh.MeshVolume/1000, "mL")
	sa("surface_area_mm2", sh.SurfaceArea, "mm2")
	sa("surface_volume_ratio", sh.SurfaceVolumeRatio, "/mm")
	sa("sphericity", sh.Sphericity, "1")
	sa("max_3d_diameter_mm", sh.Maximum3DDiameter, "mm")
	sa("max_2d_diameter_slice_mm", sh.Maximum2DDiameterSlice, "mm")
	sa("major_axis_mm", sh.MajorAxisLength, "mm")
	sa("minor_axis_mm", sh.MinorAxisLength, "mm")
	sa("least_axis_mm", sh.LeastAxisLength, "mm")
	sa("elongation", sh.Elongation, "1")
	sa("flatness", sh.Flatness, "1")
	return out, fo.Mean, nil
}

// liverFeatures adds liver − spleen and liver/spleen when both regions
// were measured.
func (x *Extractor) liverFeatures(v *Volume, means map[string]float64, regions []region) []dicom.Feature {
	l, okL := means["liver"]
	s, okS := means["spleen"]
	if !okL || !okS {
		return nil
	}
	st := x.baseSettings(v, "liver", "liver and spleen regions: "+sourceOf(regions, "liver")+"; "+sourceOf(regions, "spleen"))
	st.Extra = map[string]any{"thresholds": "unenhanced CT: liver ≤40 HU moderate-severe (Boyce 2010), <48 HU ≥30% fat (Pickhardt 2012), L−S <−10 HU or L/S <1.0 moderate-severe, L/S ≤1.1 mild (Boyce 2010)"}
	js := encode(st)
	f := func(name string, val float64, unit string) dicom.Feature {
		return dicom.Feature{Code: "IMAGING//CT//" + name, Value: val, Unit: unit, ROI: "liver", FindingSite: "Liver",
			Algorithm: AlgorithmLiver, AlgorithmVersion: AlgorithmVersion, Settings: js}
	}
	out := []dicom.Feature{f("liver_minus_spleen_hu", l-s, "[hnsf'U]")}
	if s != 0 {
		out = append(out, f("liver_spleen_ratio", l/s, "1"))
	}
	return out
}

func sourceOf(regions []region, name string) string {
	for _, r := range regions {
		if r.name == name {
			return r.source
		}
	}
	return ""
}

// isChest says from BodyPartExamined whether a CT is of the chest (yes),
// of another region (no), or unstated (unknown: decide by lung volume).
func isChest(bodyPart string) (yes, known bool) {
	b := strings.ToUpper(strings.TrimSpace(bodyPart))
	switch {
	case b == "" || strings.Contains(b, "WHOLE") || strings.Contains(b, "BODY") || strings.Contains(b, "TORSO"):
		return false, false
	case strings.Contains(b, "CHEST") || strings.Contains(b, "THORAX") || strings.Contains(b, "LUNG") || strings.Contains(b, "THX"):
		return true, true
	}
	return false, true
}

// lungFeatures measures lung involvement on a chest CT (none elsewhere).
func (x *Extractor) lungFeatures(v *Volume, s *dicom.Series, body *Mask) ([]dicom.Feature, error) {
	bodyPart := ""
	if len(s.Slices) > 0 {
		bodyPart = s.Slices[0].Instance.BodyPartExamined
	}
	chest, known := isChest(bodyPart)
	if known && !chest {
		return nil, nil
	}
	if body == nil {
		body = Threshold(v, x.cfg.Lung.AirHU, math.Inf(1)).KeepLargest(Conn6)
	}
	lung, err := ComputeLung(v, body, x.cfg.Lung)
	if errors.Is(err, ErrNoLung) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !known && lung.Total.VolumeML < x.cfg.ChestMinLungML {
		return nil, nil
	}
	opts := x.cfg.Lung
	st := x.baseSettings(v, "lung", "lungs: enclosed air < airHU inside the body, trachea and main bronchi tracked out, ≤2 largest 6-connected regions, holes filled per slice")
	st.Lung, st.Split = &opts, lung.Split
	st.AirwayML = &lung.AirwayML
	st.Zones = lung.Zones[:]
	st.Extra = map[string]any{"severityScore": "approximate: Pan 2020 lobe bands (0-5) on five pseudo-lobes (right lung thirds, left lung halves of the cranio-caudal extent); lobes not segmented"}
	js := encode(st)
	var out []dicom.Feature
	f := func(name string, val float64, unit string) {
		out = append(out, dicom.Feature{Code: "IMAGING//CT//" + name, Value: val, Unit: unit, ROI: "lung", FindingSite: "Lung",
			Algorithm: AlgorithmLung, AlgorithmVersion: AlgorithmVersion, Settings: js})
	}
	f("lung_volume_ml", lung.Total.VolumeML, "mL")
	f("lung_mean_hu", lung.Total.MeanHU, "[hnsf'U]")
	f("lung_ggo_pct", lung.Total.GGOPct, "%")
	f("lung_consolidation_pct", lung.Total.ConsolidationPct, "%")
	f("lung_involvement_pct", lung.Total.InvolvementPct, "%")
	for _, sd := range []struct {
		name string
		s    LungSide
	}{{"left", lung.Left}, {"right", lung.Right}} {
		f("lung_"+sd.name+"_volume_ml", sd.s.VolumeML, "mL")
		if sd.s.VolumeML > 0 {
			f("lung_"+sd.name+"_ggo_pct", sd.s.GGOPct, "%")
			f("lung_"+sd.name+"_consolidation_pct", sd.s.ConsolidationPct, "%")
			f("lung_"+sd.name+"_involvement_pct", sd.s.InvolvementPct, "%")
		}
	}
	f("lung_severity_score", float64(lung.SeverityScore), "{score}")
	return out, nil
}

// Organ codes named by segmentName: SNOMED CT and the older SRT codes.
var organCodes = map[string]string{
	"SCT/10200004": "liver", "SRT/T-62000": "liver",
	"SCT/78961009": "spleen", "SRT/T-C3000": "spleen",
}

// segmentName names a segment's region: liver or spleen by their codes,
// else its label (or type meaning) in lower snake case.
func segmentName(sg dicom.Segment) string {
	if n, ok := organCodes[sg.Type.Scheme+"/"+sg.Type.Value]; ok {
		return n
	}
	label := sg.Label
	if strings.TrimSpace(label) == "" {
		label = sg.Type.Meaning
	}
	return sanitize(label, "segment"+strconv.Itoa(sg.Number))
}

// sanitize lower-cases a name and keeps letters and digits, other runs
// becoming one underscore; fallback when nothing is left.
func sanitize(s, fallback string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		default:
			under = true
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

func codeString(c dicom.Code) string {
	if c.IsZero() {
		return "no property type"
	}
	return c.Scheme + " " + c.Value + " " + strconv.Quote(c.Meaning)
}
