// Package imagingcsv ingests feature tables written by imaging AI and
// radiomics tools: pyradiomics batch output (one row per image/mask pair,
// columns such as original_firstorder_Mean) and a generic long format with
// one feature per row:
//
//	patient_system,patient_value,study_uid,time,feature,value,unit,roi,algorithm,version
//
// (optional extra columns: modality, series_uid, settings, tracking_uid,
// finding_site). Every value becomes an imaging_feature event with an
// imaging detail row recording the algorithm and its version, the ROI and
// the study. tracking_uid and finding_site (a code such as SCT//10200004)
// say which finding a value measures; when the columns are absent, keys of
// the same names in the settings JSON fill them.
//
// Codes are IMAGING//<modality>//<feature>//<roi>: the modality from a
// modality column (OT, DICOM's "other", when absent), the ROI as qualifier.
// A feature that already is a code (contains "//") is used as given.
//
// pyradiomics rows name their patient and time in columns the user adds to
// the batch input (pyradiomics copies input columns to its output):
// patient_system and patient_value (or PatientID, with --namespace or
// urn:dicom:patient-id as system), time (or StudyDate), and optionally
// study_uid, modality and roi (default: the mask's file name). The
// algorithm is "pyradiomics", its version diagnostics_Versions_PyRadiomics.
package imagingcsv

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// Sentinel errors.
var (
	// ErrHeader: the header lacks a column the format needs.
	ErrHeader = errors.New("imagingcsv: missing column")
	// ErrValue: a cell that cannot be read.
	ErrValue = errors.New("imagingcsv: bad value")
)

// DefaultSystem is the identifier system of a PatientID column without a
// system (the same default as DICOM ingest, so the two link).
const DefaultSystem = "urn:dicom:patient-id"

// LongColumns is the generic long format's header.
var LongColumns = []string{"patient_system", "patient_value", "study_uid", "time", "feature", "value", "unit", "roi", "algorithm", "version"}

// Adapter reads imaging feature CSVs.
type Adapter struct{}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (a *Adapter) Name() string { return "imagingcsv" }

type format int

const (
	formatNone format = iota
	formatLong
	formatPyradiomics
)

var pyradiomicsFeature = regexp.MustCompile(`^(original|wavelet-[A-Z]+|log-sigma-[0-9-]+mm-[23]D|square|squareroot|logarithm|exponential|gradient|lbp-2D|lbp-3D-[a-z0-9]+)_(firstorder|shape|shape2D|glcm|glrlm|glszm|gldm|ngtdm)_[A-Za-z0-9]+$`)

func detectHeader(cols []string) format {
	set := map[string]bool{}
	for _, c := range cols {
		set[strings.TrimSpace(c)] = true
	}
	long := true
	for _, c := range LongColumns {
		long = long && set[c]
	}
	if long {
		return formatLong
	}
	if set["diagnostics_Versions_PyRadiomics"] {
		return formatPyradiomics
	}
	for c := range set {
		if pyradiomicsFeature.MatchString(c) {
			return formatPyradiomics
		}
	}
	return formatNone
}

// Detect implements ingest.Adapter: the first line is a CSV header of one
// of the two formats.
func (a *Adapter) Detect(path string, head []byte) bool {
	line := head
	if i := strings.IndexByte(string(head), '\n'); i >= 0 {
		line = head[:i]
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(line), "\ufeff")))
	cols, err := r.Read()
	if err != nil {
		return false
	}
	return detectHeader(cols) != formatNone
}

// Ingest implements ingest.Adapter.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fs := sink.File(in)
		err := a.file(ctx, env, in, fs)
		var fatal *storeError
		if errors.As(err, &fatal) {
			fs.Done(fatal.err)
			return fatal.err
		}
		fs.Done(err)
	}
	return nil
}

type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }

type reader struct {
	ctx  context.Context
	env  *ingest.Env
	in   *ingest.Input
	fs   ingest.FileSink
	col  map[string]int
	bb   *timeline.BatchBuilder
	line int
}

func (r *reader) get(rec []string, names ...string) string {
	for _, n := range names {
		if i, ok := r.col[n]; ok && i < len(rec) {
			if v := strings.TrimSpace(rec[i]); v != "" {
				return v
			}
		}
	}
	return ""
}

func (r *reader) reject(field string, err error) {
	r.fs.Reject(&ingest.ParseError{Source: r.in.Name, Record: "line " + strconv.Itoa(r.line), Field: field, Err: err})
}

func (r *reader) flush(ctx context.Context) error {
	if b := r.bb.Flush(); b != nil {
		if err := r.fs.Write(ctx, b); err != nil {
			return &storeError{err}
		}
	}
	return nil
}

func (a *Adapter) file(ctx context.Context, env *ingest.Env, in *ingest.Input, fs ingest.FileSink) error {
	rc, err := in.OpenStream()
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: reading the header: %v", ErrHeader, err)
	}
	r := &reader{ctx: ctx, env: env, in: in, fs: fs, col: map[string]int{}, line: 1}
	for i, c := range header {
		r.col[strings.TrimSpace(c)] = i
	}
	header = append([]string(nil), header...)
	f := detectHeader(header)
	var row func(rec []string) error
	switch f {
	case formatLong:
		row = r.longRow
	case formatPyradiomics:
		var feats []string
		for _, c := range header {
			if pyradiomicsFeature.MatchString(strings.TrimSpace(c)) {
				feats = append(feats, strings.TrimSpace(c))
			}
		}
		if r.get0("patient_value", "PatientID", "patient_id") < 0 {
			return fmt.Errorf("%w: pyradiomics table needs a patient column (patient_value or PatientID) added to the batch input", ErrHeader)
		}
		if r.get0("time", "StudyDate", "study_date") < 0 {
			return fmt.Errorf("%w: pyradiomics table needs a time column (time or StudyDate) added to the batch input", ErrHeader)
		}
		row = func(rec []string) error { return r.pyradiomicsRow(rec, feats) }
	default:
		return fmt.Errorf("%w: header is neither the long format nor pyradiomics output", ErrHeader)
	}
	r.bb = env.NewBatchBuilder()
	defer r.bb.Release()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		r.line++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				r.reject("", err)
				continue
			}
			if errors.As(err, &pe) {
				r.reject("", pe.Err)
				continue
			}
			return fmt.Errorf("line %d: %w", r.line, err)
		}
		if err := row(rec); err != nil {
			return err
		}
		if r.bb.Full() {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
	return r.flush(ctx)
}

func (r *reader) get0(names ...string) int {
	for _, n := range names {
		if i, ok := r.col[n]; ok {
			return i
		}
	}
	return -1
}

// parseTime accepts RFC 3339, a date (UTC), and DICOM DA / DT values.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "20060102150405", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: time is not RFC 3339, a date or a DICOM date", ErrValue)
}

type feature struct {
	patient    timeline.Identifier
	study      string
	series     string
	modality   string
	when       time.Time
	code       string
	value      float64
	unit       string
	roi        string
	algorithm  string
	version    string
	settings   string
	tracking   string // tracking UID of the finding measured
	site       string // finding site code
	keyPrefix  string
	keyExtra   string
	fieldLabel string
}

func codeFor(modality, feat, roi string) string {
	if strings.Contains(feat, "//") {
		return feat
	}
	if modality == "" {
		modality = "OT"
	}
	c := timeline.Code(timeline.VocabImaging, strings.ToUpper(modality), feat)
	if roi != "" {
		c += "//" + strings.ReplaceAll(roi, "//", "/")
	}
	return c
}

func (r *reader) emit(f *feature) error {
	subject, err := r.env.Resolver.Resolve(r.ctx, f.patient)
	if err != nil {
		return &storeError{fmt.Errorf("resolving a patient: %w", err)}
	}
	v, unit, err := r.env.Codes.Normalize(f.code, f.value, f.unit)
	if err != nil {
		r.reject(f.fieldLabel, err)
		return nil
	}
	key := timeline.NewKey(f.keyPrefix, f.patient.System, f.patient.Value, f.study, f.when.Format(time.RFC3339Nano), f.code, f.roi, f.algorithm, f.version, f.keyExtra)
	ev := timeline.Event{SubjectID: subject, Time: f.when, Code: f.code, Value: v, HasValue: true, Unit: unit,
		Kind: timeline.KindImagingFeature, Key: key, Source: r.in.Name + "#line " + strconv.Itoa(r.line)}
	if err := r.bb.Append(&ev); err != nil {
		r.reject(f.fieldLabel, err)
		return nil
	}
	nan := math.NaN()
	row := timeline.ImagingDetail{SubjectID: subject, Key: key, StudyUID: f.study, SeriesUID: f.series, Modality: f.modality,
		Instances: -1, Rows: -1, Columns: -1, PixelSpacingRow: nan, PixelSpacingCol: nan, SliceThickness: nan, SliceSpacing: nan,
		RescaleSlope: nan, RescaleIntercept: nan, Algorithm: f.algorithm, AlgorithmVersion: f.version, ROI: f.roi, Settings: f.settings,
		TrackingUID: f.tracking, FindingSite: f.site}
	return r.bb.Detail(timeline.Imaging).AppendImaging(&row)
}

func (r *reader) patient(rec []string) (timeline.Identifier, bool) {
	val := r.get(rec, "patient_value", "PatientID", "patient_id")
	if val == "" {
		r.reject("patient_value", fmt.Errorf("%w: patient missing", ErrValue))
		return timeline.Identifier{}, false
	}
	sys := r.get(rec, "patient_system")
	if sys == "" {
		sys = r.env.Options.Namespace
	}
	if sys == "" {
		sys = DefaultSystem
	}
	return timeline.Identifier{System: sys, Value: val}, true
}

func (r *reader) longRow(rec []string) error {
	id, ok := r.patient(rec)
	if !ok {
		return nil
	}
	f := &feature{patient: id, study: r.get(rec, "study_uid"), series: r.get(rec, "series_uid"),
		modality: strings.ToUpper(r.get(rec, "modality")), roi: r.get(rec, "roi"), algorithm: r.get(rec, "algorithm"),
		version: r.get(rec, "version"), unit: r.get(rec, "unit"), settings: r.get(rec, "settings"), keyPrefix: "imagingcsv", fieldLabel: "value",
		tracking: r.get(rec, "tracking_uid"), site: r.get(rec, "finding_site")}
	if (f.tracking == "" || f.site == "") && strings.HasPrefix(f.settings, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(f.settings), &m) == nil {
			if s, ok := m["tracking_uid"].(string); ok && f.tracking == "" {
				f.tracking = strings.TrimSpace(s)
			}
			if s, ok := m["finding_site"].(string); ok && f.site == "" {
				f.site = strings.TrimSpace(s)
			}
		}
	}
	ts := r.get(rec, "time")
	if ts == "" {
		r.reject("time", fmt.Errorf("%w: time missing", ErrValue))
		return nil
	}
	var err error
	if f.when, err = parseTime(ts); err != nil {
		r.reject("time", err)
		return nil
	}
	feat := r.get(rec, "feature")
	if feat == "" {
		r.reject("feature", fmt.Errorf("%w: feature missing", ErrValue))
		return nil
	}
	if f.algorithm == "" {
		r.reject("algorithm", fmt.Errorf("%w: algorithm missing (the long format names the tool that computed the value)", ErrValue))
		return nil
	}
	if f.value, err = strconv.ParseFloat(r.get(rec, "value"), 64); err != nil || math.IsNaN(f.value) || math.IsInf(f.value, 0) {
		r.reject("value", fmt.Errorf("%w: value is not a finite number", ErrValue))
		return nil
	}
	f.code = codeFor(f.modality, feat, f.roi)
	return r.emit(f)
}

// pyradiomicsUnit gives the unit of a pyradiomics feature (pyradiomics
// docs, "Radiomic Features"): intensity features are in image units —
// Hounsfield units for CT unless the image was normalised — and shape
// features in mm. Texture features are unitless indices left without unit.
func pyradiomicsUnit(class, name string, hu bool) string {
	switch class {
	case "shape", "shape2D":
		switch name {
		case "MeshVolume", "VoxelVolume":
			return "mm3"
		case "SurfaceArea", "MeshSurface", "PixelSurface":
			return "mm2"
		case "SurfaceVolumeRatio", "PerimeterSurfaceRatio":
			return "mm-1"
		case "Maximum3DDiameter", "Maximum2DDiameterSlice", "Maximum2DDiameterColumn", "Maximum2DDiameterRow",
			"MajorAxisLength", "MinorAxisLength", "LeastAxisLength", "Perimeter", "MaximumDiameter":
			return "mm"
		case "Sphericity", "Elongation", "Flatness", "SphericalDisproportion", "Compactness1", "Compactness2", "Sphericity2D":
			return "1"
		}
	case "firstorder":
		switch name {
		case "Skewness", "Kurtosis", "Uniformity":
			return "1"
		case "Entropy":
			return "bit" // log2
		}
		if !hu {
			return ""
		}
		switch name {
		case "10Percentile", "90Percentile", "Maximum", "Mean", "Median", "Minimum", "InterquartileRange", "Range",
			"MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation", "RootMeanSquared":
			return "[hnsf'U]"
		case "Energy", "Variance":
			return "[hnsf'U]2"
		case "TotalEnergy":
			return "[hnsf'U]2.mm3"
		}
	}
	return ""
}

func (r *reader) pyradiomicsRow(rec []string, feats []string) error {
	id, ok := r.patient(rec)
	if !ok {
		return nil
	}
	ts := r.get(rec, "time", "StudyDate", "study_date")
	if ts == "" {
		r.reject("time", fmt.Errorf("%w: time missing", ErrValue))
		return nil
	}
	when, err := parseTime(ts)
	if err != nil {
		r.reject("time", err)
		return nil
	}
	modality := strings.ToUpper(r.get(rec, "modality", "Modality"))
	mask := r.get(rec, "Mask")
	roi := r.get(rec, "roi", "ROI")
	if roi == "" && mask != "" {
		roi = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(mask), ".gz"), filepath.Ext(strings.TrimSuffix(filepath.Base(mask), ".gz")))
	}
	label := r.get(rec, "Label", "label")
	if label != "" && roi != "" && label != "1" {
		roi += "-label" + label
	}
	settingsText := r.get(rec, "diagnostics_Configuration_Settings")
	normalized := strings.Contains(strings.ReplaceAll(strings.ToLower(settingsText), " ", ""), "'normalize':true")
	settings, _ := json.Marshal(map[string]string{
		"settings":    settingsText,
		"image_types": r.get(rec, "diagnostics_Configuration_EnabledImageTypes"),
		"image":       filepath.Base(r.get(rec, "Image")),
		"mask":        filepath.Base(mask),
		"label":       label,
	})
	version := r.get(rec, "diagnostics_Versions_PyRadiomics")
	for _, name := range feats {
		cell := r.get(rec, name)
		if cell == "" {
			continue
		}
		v, err := strconv.ParseFloat(cell, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			r.reject(name, fmt.Errorf("%w: not a finite number", ErrValue))
			continue
		}
		parts := strings.SplitN(name, "_", 3)
		unit := ""
		if parts[0] == "original" || parts[1] == "shape" || parts[1] == "shape2D" {
			unit = pyradiomicsUnit(parts[1], parts[2], modality == "CT" && !normalized)
		}
		f := &feature{patient: id, study: r.get(rec, "study_uid", "StudyInstanceUID"), series: r.get(rec, "series_uid", "SeriesInstanceUID"),
			modality: modality, when: when, code: codeFor(modality, name, roi), value: v, unit: unit, roi: roi,
			algorithm: "pyradiomics", version: version, settings: string(settings), keyPrefix: "pyradiomics",
			keyExtra: filepath.Base(r.get(rec, "Image")) + "|" + filepath.Base(mask) + "|" + label, fieldLabel: name}
		if err := r.emit(f); err != nil {
			return err
		}
	}
	return nil
}
