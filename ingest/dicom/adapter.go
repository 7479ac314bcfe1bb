package dicom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// Patient identifier systems. A PatientID is qualified, in this order, by
// the Issuer of Patient ID Qualifiers Sequence (0010,0024) (an ISO OID
// becomes urn:oid:…, a UUID urn:uuid:…, a URI itself), by Issuer of
// Patient ID (0010,0021) (urn:dicom:issuer:<issuer>), by the run's
// --namespace, and otherwise by SystemLocal. An identifier that a FHIR
// source shares (the same OID or system) links the two sources.
const (
	SystemIssuerPrefix = "urn:dicom:issuer:"
	SystemLocal        = "urn:dicom:patient-id"
)

// Identifiers returns the patient identifiers of an instance: its
// PatientID and those of the Other Patient IDs Sequence that name an issuer
// (an unqualified other ID could belong to any hospital).
func Identifiers(in *Instance, namespace string) []timeline.Identifier {
	out := []timeline.Identifier{{System: identifierSystem(in.Patient, namespace), Value: in.Patient.ID}}
	for _, o := range in.OtherPatientIDs {
		if o.Issuer == "" && o.UniversalEntityID == "" {
			continue
		}
		out = append(out, timeline.Identifier{System: identifierSystem(o, namespace), Value: o.ID})
	}
	return out
}

func identifierSystem(p PatientIdentifier, namespace string) string {
	if id := strings.TrimSpace(p.UniversalEntityID); id != "" {
		switch strings.ToUpper(p.UniversalEntityIDType) {
		case "ISO":
			return "urn:oid:" + id
		case "UUID":
			return "urn:uuid:" + strings.ToLower(id)
		case "URI":
			return id
		case "":
		default:
			return SystemIssuerPrefix + strings.ToUpper(p.UniversalEntityIDType) + ":" + id
		}
	}
	if p.Issuer != "" {
		return SystemIssuerPrefix + p.Issuer
	}
	if namespace != "" {
		return namespace
	}
	return SystemLocal
}

// Feature is a number computed from pixel data by a FeatureFunc.
type Feature struct {
	Code             string // IMAGING//<modality>//<feature>, e.g. IMAGING//CT//liver_mean_hu
	Value            float64
	Unit             string // UCUM
	ROI              string
	FindingSite      string
	TrackingUID      string
	Algorithm        string
	AlgorithmVersion string
	Settings         string // JSON of the settings used
}

// FeatureInput is one image series handed to a FeatureFunc with the
// segmentations of this run that reference it.
type FeatureInput struct {
	Series        *Series
	Segmentations []*Segmentation
}

// FeatureFunc computes features of a series (the features package
// provides one; `medtwin ingest --features` turns it on). An error skips
// that series' features, reported against its first file; other series go
// on.
type FeatureFunc func(ctx context.Context, in *FeatureInput) ([]Feature, error)

// Adapter ingests DICOM files, directories and DICOMDIR trees: one
// imaging_study event per study with one imaging detail row per series
// (instances counted), imaging_feature and lesion events from structured
// reports, and a check that segmentations reference instances present.
type Adapter struct {
	// Features computes pixel-derived features when the run asks for them
	// (Options.Features); nil: none.
	Features FeatureFunc
	// Workers reading file headers in parallel (GOMAXPROCS when 0).
	Workers int
}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

// Name implements ingest.Adapter.
func (a *Adapter) Name() string { return "dicom" }

// Detect implements ingest.Adapter: the DICM magic at byte 128, a file
// named DICOMDIR or *.dcm/*.dicom (claimed so that a broken one is
// rejected with a reason rather than skipped), or a bare data set whose
// first element is a file meta or identifying group element.
func (a *Adapter) Detect(path string, head []byte) bool {
	if len(head) >= 132 && string(head[128:132]) == "DICM" {
		return true
	}
	base := strings.ToLower(filepath.Base(path))
	if base == "dicomdir" || strings.HasSuffix(base, ".dcm") || strings.HasSuffix(base, ".dicom") {
		return true
	}
	if len(head) < 8 {
		return false
	}
	ts, ok := inferSyntax(head)
	if !ok {
		return false
	}
	var g uint16
	if ts.BigEndian {
		g = uint16(head[0])<<8 | uint16(head[1])
	} else {
		g = uint16(head[1])<<8 | uint16(head[0])
	}
	if g != 0x0002 && g != 0x0008 {
		return false
	}
	// Parse the first few elements to be sure.
	p := &parser{buf: head, size: int64(len(head)) + 1<<40, stopAt: true}
	_, _, err := p.dataset(0, -1, ts.BigEndian, ts.Implicit, false, 0, true)
	var more *errNeedMore
	return (err == nil || err == errStop || errors.As(err, &more)) && p.elements >= 3
}

// ParseErrorOf converts an error of this package into an ingest parse error
// that names the file and, when known, the tag.
func ParseErrorOf(name string, err error) *ingest.ParseError {
	var pe *ingest.ParseError
	if errors.As(err, &pe) {
		return pe
	}
	var te *TagError
	if errors.As(err, &te) {
		rec := te.Context
		loc := "tag " + te.Tag.String()
		if te.Offset >= 0 {
			loc += " at byte " + strconv.FormatInt(te.Offset, 10)
		}
		if rec != "" {
			loc = rec + ", " + loc
		}
		return &ingest.ParseError{Source: name, Record: loc, Field: te.Tag.Keyword(), Err: te.Err}
	}
	return &ingest.ParseError{Source: name, Err: err}
}

type fileKind int

const (
	kindImage fileKind = iota
	kindReport
	kindSegmentation
	kindOther
)

// entry is one file of the run.
type entry struct {
	in    *ingest.Input
	inst  *Instance // kept for reports, segmentations, and all files when features run
	kind  fileKind
	study string
	ids   []timeline.Identifier
	sink  ingest.FileSink
	err   error
	rep   *Report
	seg   *Segmentation
}

type seriesAgg struct {
	uid       string
	first     *Instance
	instances int32
	distances []float64
	normal    [3]float64
	hasNormal bool
	all       []*Instance // only when features run
	files     []*entry
}

type studyAgg struct {
	uid      string
	files    []*entry
	series   map[string]*seriesAgg
	order    []string
	modality map[string]int
}

// Ingest implements ingest.Adapter.
func (a *Adapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	features := env.Options.Features && a.Features != nil
	entries := make([]*entry, 0, len(files))
	seen := make(map[string]bool, len(files))
	for _, in := range files {
		if abs, err := filepath.Abs(in.Path); err == nil {
			seen[abs] = true
		}
	}
	var dirs []*ingest.Input
	for _, in := range files {
		if strings.EqualFold(filepath.Base(in.Path), "DICOMDIR") {
			dirs = append(dirs, in)
			continue
		}
		entries = append(entries, &entry{in: in})
	}
	for _, d := range dirs {
		entries = append(entries, a.expandDICOMDIR(env, d, sink, seen)...)
	}

	paths := make([]string, len(entries))
	for i, e := range entries {
		paths[i] = e.in.Path
	}
	studies := make(map[string]*studyAgg)
	sops := make(map[string]bool, len(entries))
	var more []*entry // DICOMDIRs found by content
	err := Scan(ctx, paths, a.Workers, func(r ReadResult) {
		e := entries[r.Index]
		// The file is done with once its header is read: count it whole for
		// the progress display.
		e.in.MarkRead(e.in.Size)
		if r.Err != nil {
			if f, err := ReadFile(e.in.Path); err == nil && IsDICOMDIR(f) {
				more = append(more, a.expandDICOMDIR(env, e.in, sink, seen)...)
				e.err = errDirectory
				return
			}
			e.err = r.Err
			return
		}
		a.accept(env, e, r.Instance, studies, sops, features)
	})
	if err != nil {
		return err
	}
	if len(more) > 0 {
		paths = paths[:0]
		for _, e := range more {
			paths = append(paths, e.in.Path)
		}
		err := Scan(ctx, paths, a.Workers, func(r ReadResult) {
			e := more[r.Index]
			if r.Err != nil {
				e.err = r.Err
				return
			}
			a.accept(env, e, r.Instance, studies, sops, features)
		})
		if err != nil {
			return err
		}
		entries = append(entries, more...)
	}
	// Files that failed: their error, nothing stored.
	for _, e := range entries {
		if e.err != nil && e.err != errDirectory {
			sink.File(e.in).Done(ParseErrorOf(e.in.Name, e.err))
		}
	}

	uids := make([]string, 0, len(studies))
	for u := range studies {
		uids = append(uids, u)
	}
	sort.Strings(uids)
	// Studies are independent writes: a server store takes several at once
	// (env.WriteLimit), which hides each one's round trips. The files'
	// sinks are opened first, in study order, so that the run report lists
	// them in the same order whatever the interleaving of the writes.
	for _, u := range uids {
		st := studies[u]
		sort.SliceStable(st.files, func(i, j int) bool { return st.files[i].in.Name < st.files[j].in.Name })
		for _, e := range st.files {
			if e.err == nil {
				sink.File(e.in)
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	limit := env.WriteLimit()
	if features {
		// Pixel features hold a whole series volume (and more) per study
		// in memory and keep the cores busy on their own: one study at a
		// time keeps the feature path's memory bound (issue 6).
		limit = 1
	}
	g.SetLimit(limit)
	for _, u := range uids {
		if gctx.Err() != nil {
			break
		}
		st := studies[u]
		g.Go(func() error { return a.writeStudy(gctx, env, sink, st, sops, features) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

var errDirectory = errors.New("DICOMDIR")

func (a *Adapter) expandDICOMDIR(env *ingest.Env, d *ingest.Input, sink ingest.Sink, seen map[string]bool) []*entry {
	fs := sink.File(d)
	refs, err := ReadDICOMDIR(d.Path)
	if err != nil {
		fs.Done(ParseErrorOf(d.Name, err))
		return nil
	}
	var out []*entry
	for _, r := range refs {
		p := resolveCase(r.Path)
		abs, _ := filepath.Abs(p)
		if seen[abs] {
			continue // also given directly or by a directory walk
		}
		rel, err := filepath.Rel(filepath.Dir(d.Path), p)
		if err != nil {
			rel = filepath.Base(p)
		}
		in, err := ingest.NewInput(p, filepath.ToSlash(filepath.Join(filepath.Dir(d.Name), rel)), nil)
		if err != nil {
			fs.Reject(&ingest.ParseError{Source: d.Name, Record: "directory record " + strconv.Itoa(r.Record), Field: "ReferencedFileID",
				Err: fmt.Errorf("%w: referenced file missing", ErrMissingReference)})
			continue
		}
		seen[abs] = true
		out = append(out, &entry{in: in})
	}
	fs.Skip("dicomdir_files", int64(len(refs)))
	fs.Done(nil)
	return out
}

// resolveCase finds a DICOMDIR-referenced file whose name differs only in
// case (media written on ISO 9660 use upper case).
func resolveCase(p string) string {
	if _, err := os.Stat(p); err == nil {
		return p
	}
	dir, base := filepath.Split(p)
	if dir != "" && dir != string(filepath.Separator) {
		dir = resolveCase(filepath.Clean(dir))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return p
	}
	for _, e := range ents {
		if strings.EqualFold(e.Name(), base) {
			return filepath.Join(dir, e.Name())
		}
	}
	return p
}

func (a *Adapter) accept(env *ingest.Env, e *entry, in *Instance, studies map[string]*studyAgg, sops map[string]bool, features bool) {
	e.study = in.StudyInstanceUID
	e.ids = Identifiers(in, env.Options.Namespace)
	switch {
	case IsReport(in.SOPClassUID) || in.Modality == "SR":
		e.kind = kindReport
		e.inst = in
	case IsSegmentation(in.SOPClassUID) || in.Modality == "SEG":
		e.kind = kindSegmentation
		e.inst = in
	case in.IsImage():
		e.kind = kindImage
		if features {
			e.inst = in
		}
	default:
		e.kind = kindOther
	}
	st := studies[in.StudyInstanceUID]
	if st == nil {
		st = &studyAgg{uid: in.StudyInstanceUID, series: map[string]*seriesAgg{}, modality: map[string]int{}}
		studies[in.StudyInstanceUID] = st
	}
	st.files = append(st.files, e)
	sr := st.series[in.SeriesInstanceUID]
	if sr == nil {
		sr = &seriesAgg{uid: in.SeriesInstanceUID, first: in}
		st.series[in.SeriesInstanceUID] = sr
		st.order = append(st.order, in.SeriesInstanceUID)
	}
	sr.files = append(sr.files, e)
	if !sops[in.SOPInstanceUID] {
		sops[in.SOPInstanceUID] = true
		sr.instances++
		if in.Modality != "" {
			st.modality[in.Modality]++
		}
	}
	if features && e.kind == kindImage {
		sr.all = append(sr.all, in)
	}
	for _, g := range in.Frames {
		if !g.HasPosition || !g.HasOrientation {
			continue
		}
		if !sr.hasNormal {
			sr.normal, sr.hasNormal = Normal(g.Orientation), true
		}
		sr.distances = append(sr.distances, dot(sr.normal, g.Position))
	}
}

// nonImageModalities do not name a study's imaging procedure.
var nonImageModalities = map[string]bool{"SR": true, "SEG": true, "PR": true, "KO": true, "RWV": true, "REG": true,
	"RTSTRUCT": true, "RTPLAN": true, "RTRECORD": true, "RTDOSE": true, "DOC": true, "PLAN": true, "FID": true}

// studyModality picks the modality that names a study: the first image
// modality of ModalitiesInStudy when an instance lists it, else the image
// modality with the most instances in this run.
func (st *studyAgg) studyModality() string {
	for _, e := range st.files {
		if e.err == nil && e.inst != nil {
			for _, m := range e.inst.ModalitiesInStudy {
				if !nonImageModalities[m] && m != "" {
					return m
				}
			}
		}
	}
	best, n := "", -1
	for m, c := range st.modality {
		score := c
		if !nonImageModalities[m] {
			score += 1 << 30
		}
		if score > n || (score == n && m < best) {
			best, n = m, score
		}
	}
	if best == "" {
		return "OT"
	}
	return best
}

// writeStudy writes one study; Ingest has sorted its files by name.
func (a *Adapter) writeStudy(ctx context.Context, env *ingest.Env, sink ingest.Sink, st *studyAgg, sops map[string]bool, features bool) error {
	// Reports and segmentations are read whole now; one that fails is
	// rejected before anything of it is counted or stored.
	for _, e := range st.files {
		if e.err != nil {
			continue
		}
		switch e.kind {
		case kindReport:
			e.rep, e.err = readReport(e.inst)
		case kindSegmentation:
			e.seg, e.err = readSegmentation(e.inst)
		}
		if e.err != nil {
			sink.File(e.in).Done(ParseErrorOf(e.in.Name, e.err))
			a.uncount(st, e)
		}
	}
	var first *entry
	for _, e := range st.files {
		if e.err == nil {
			first = e
			break
		}
	}
	if first == nil {
		return nil
	}
	subject, err := env.Resolver.Resolve(ctx, first.ids...)
	if err != nil {
		return fmt.Errorf("resolving the patient of %s: %w", first.in.Name, err)
	}
	for _, e := range st.files {
		if e.err != nil || e == first {
			continue
		}
		s, err := env.Resolver.Resolve(ctx, e.ids...)
		if err != nil {
			return fmt.Errorf("resolving the patient of %s: %w", e.in.Name, err)
		}
		if s != subject {
			e.err = &TagError{Tag: TagPatientID, Offset: -1, Err: fmt.Errorf("%w: names another patient than the study's other instances", ErrMalformed)}
			sink.File(e.in).Done(ParseErrorOf(e.in.Name, e.err))
			a.uncount(st, e)
		}
	}
	for _, e := range st.files {
		if e.err == nil {
			e.sink = sink.File(e.in)
		}
	}

	when, _ := time0(st)
	bb := env.NewBatchBuilder()
	defer bb.Release()
	studyKey := timeline.NewKey("dicom", "study", st.uid)
	ev := timeline.Event{SubjectID: subject, Time: when, Code: timeline.Code(timeline.VocabImaging, st.studyModality(), "study"),
		Kind: timeline.KindImagingStudy, Key: studyKey, Source: first.in.Name + "#study=" + st.uid}
	if d := studyDescription(st); d != "" {
		ev.Text = d
	}
	if err := bb.Append(&ev); err != nil {
		first.sink.Reject(&ingest.ParseError{Source: first.in.Name, Record: "study", Field: fieldOf(err), Err: err})
	} else {
		for _, su := range st.order {
			sr := st.series[su]
			if sr.instances == 0 {
				continue
			}
			row := seriesRow(subject, studyKey, st.uid, sr)
			if err := bb.Detail(timeline.Imaging).AppendImaging(&row); err != nil {
				return err
			}
		}
		if b := bb.Flush(); b != nil {
			if err := first.sink.Write(ctx, b); err != nil {
				return err
			}
		}
	}

	for _, e := range st.files {
		if e.err != nil {
			continue
		}
		switch e.kind {
		case kindReport:
			if err := a.writeReport(ctx, env, e, subject, st); err != nil {
				return err
			}
		case kindSegmentation:
			a.checkReferences(e, sops)
		}
	}
	if features {
		if err := a.writeFeatures(ctx, env, st, subject, when); err != nil {
			return err
		}
	}
	for _, e := range st.files {
		if e.err == nil {
			e.sink.Done(nil)
		}
	}
	return nil
}

func (a *Adapter) uncount(st *studyAgg, e *entry) {
	for _, sr := range st.series {
		for i, f := range sr.files {
			if f == e {
				sr.instances--
				sr.files = append(sr.files[:i], sr.files[i+1:]...)
				return
			}
		}
	}
}

func fieldOf(err error) string {
	s := err.Error()
	if i := strings.Index(s, ":"); i > 0 {
		return s[:i]
	}
	return ""
}

func time0(st *studyAgg) (t0 time.Time, ok bool) {
	for _, e := range st.files {
		if e.err != nil {
			continue
		}
		if e.inst != nil {
			if t, ok := e.inst.StudyTime(); ok {
				return t, true
			}
		}
	}
	for _, su := range st.order {
		if t, ok := st.series[su].first.StudyTime(); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func studyDescription(st *studyAgg) string {
	for _, su := range st.order {
		if d := st.series[su].first.StudyDescription; d != "" {
			return d
		}
	}
	return ""
}

func formatFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strings.Join(parts, "\\")
}

// contrastOf says what the detail row's contrast column can: "" when the
// series does not say, the phase when its description names one, else
// "unknown" (contrast given, phase not stated).
func contrastOf(in *Instance) string {
	if strings.TrimSpace(in.ContrastAgent) == "" {
		return ""
	}
	d := strings.ToLower(in.SeriesDescription)
	switch {
	case strings.Contains(d, "arter"):
		return "arterial"
	case strings.Contains(d, "portal") || strings.Contains(d, "venous"):
		return "portal_venous"
	case strings.Contains(d, "delay"):
		return "delayed"
	}
	return "unknown"
}

// acquisitionSettings records where and on what a series was acquired
// (institution, station, scanner model, software), which the evaluation of
// imaging AI tools groups agreement by: a JSON object of the non-empty
// values, "" when the series names none.
func acquisitionSettings(in *Instance) string {
	m := map[string]string{}
	for k, v := range map[string]string{"institution": in.InstitutionName, "station": in.StationName,
		"model": in.ManufacturerModel, "software": in.SoftwareVersions} {
		if v = strings.TrimSpace(v); v != "" {
			m[k] = v
		}
	}
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func seriesRow(subject int64, key timeline.Key, study string, sr *seriesAgg) timeline.ImagingDetail {
	in := sr.first
	row := timeline.ImagingDetail{SubjectID: subject, Key: key, StudyUID: study, SeriesUID: sr.uid, Modality: in.Modality,
		BodyPart: in.BodyPartExamined, SeriesDescription: in.SeriesDescription, Manufacturer: in.Manufacturer,
		Instances: sr.instances, Rows: -1, Columns: -1, PixelSpacingRow: math.NaN(), PixelSpacingCol: math.NaN(),
		SliceThickness: math.NaN(), SliceSpacing: math.NaN(), RescaleSlope: math.NaN(), RescaleIntercept: math.NaN(),
		Contrast: contrastOf(in), Settings: acquisitionSettings(in)}
	if in.Rows > 0 {
		row.Rows, row.Columns = int32(in.Rows), int32(in.Columns)
	}
	if len(in.Frames) > 0 {
		g := in.Frames[0]
		if g.PixelSpacing[0] > 0 {
			row.PixelSpacingRow, row.PixelSpacingCol = g.PixelSpacing[0], g.PixelSpacing[1]
		}
		row.SliceThickness = g.SliceThickness
		if g.HasOrientation {
			row.Orientation = formatFloats(g.Orientation[:])
		}
		if in.IsImage() {
			row.RescaleSlope, row.RescaleIntercept = g.RescaleSlope, g.RescaleIntercept
		}
	}
	if len(sr.distances) > 1 {
		d := append([]float64(nil), sr.distances...)
		sort.Float64s(d)
		steps := make([]float64, 0, len(d)-1)
		for i := 1; i < len(d); i++ {
			steps = append(steps, d[i]-d[i-1])
		}
		sort.Float64s(steps)
		row.SliceSpacing = steps[len(steps)/2]
	} else if !math.IsNaN(in.SpacingBetweenSlices) {
		row.SliceSpacing = in.SpacingBetweenSlices
	}
	return row
}

func readReport(in *Instance) (*Report, error) {
	rep, err := ReadReport(in.Path)
	if err != nil {
		return nil, err
	}
	rep.Instance = in
	return rep, nil
}

func readSegmentation(in *Instance) (*Segmentation, error) {
	seg, err := ReadSegmentation(in.Path)
	if err != nil {
		return nil, err
	}
	return seg, nil
}

func (a *Adapter) writeReport(ctx context.Context, env *ingest.Env, e *entry, subject int64, st *studyAgg) error {
	rep, in := e.rep, e.inst
	for _, p := range rep.Problems {
		e.sink.Reject(ParseErrorOf(e.in.Name, p))
	}
	when, _ := in.StudyTime()
	avail, ok := in.ContentTime()
	if !ok || !avail.After(when) {
		avail = time.Time{}
	}
	modality := reportModality(rep, st)
	bb := env.NewBatchBuilder()
	defer bb.Release()
	n := 0
	for i := range rep.Measurements {
		m := &rep.Measurements[i]
		code := m.TimelineCode()
		unit := m.Unit.Value
		v, u, err := env.Codes.Normalize(code, m.Value, unit)
		if err != nil {
			e.sink.Reject(&ingest.ParseError{Source: e.in.Name, Record: "content item " + m.Path, Field: "MeasurementUnitsCodeSequence", Err: err})
			continue
		}
		key := timeline.NewKey("dicom-sr", in.SOPInstanceUID, m.Path, code)
		ev := timeline.Event{SubjectID: subject, Time: when, Code: code, Value: v, HasValue: true, Unit: u,
			Kind: timeline.KindImagingFeature, Key: key, AvailableAt: avail,
			Source: e.in.Name + "#" + in.SOPInstanceUID + "/" + m.Path}
		if err := bb.Append(&ev); err != nil {
			e.sink.Reject(&ingest.ParseError{Source: e.in.Name, Record: "content item " + m.Path, Field: fieldOf(err), Err: err})
			continue
		}
		series := m.SourceSeriesUID
		if series == "" && len(rep.Evidence) == 1 {
			series = rep.Evidence[0][1]
		}
		row := timeline.ImagingDetail{SubjectID: subject, Key: key, StudyUID: in.StudyInstanceUID, SeriesUID: series,
			InstanceUID: in.SOPInstanceUID, Modality: modality, Instances: -1, Rows: -1, Columns: -1,
			PixelSpacingRow: math.NaN(), PixelSpacingCol: math.NaN(), SliceThickness: math.NaN(), SliceSpacing: math.NaN(),
			RescaleSlope: math.NaN(), RescaleIntercept: math.NaN(), Algorithm: m.Algorithm, AlgorithmVersion: m.AlgorithmVersion,
			ROI: m.TrackingID, TrackingUID: m.TrackingUID, Settings: measurementSettings(m)}
		if !m.FindingSite.IsZero() {
			row.FindingSite = m.FindingSite.Timeline()
		}
		if err := bb.Detail(timeline.Imaging).AppendImaging(&row); err != nil {
			return err
		}
		n++
	}
	for _, l := range rep.Lesions() {
		key := timeline.NewKey("dicom-sr-lesion", in.SOPInstanceUID, l.GroupPath, l.ID())
		ev := timeline.Event{SubjectID: subject, Time: when, Code: timeline.Code(timeline.VocabImaging, "lesion"),
			Kind: timeline.KindLesion, Key: key, AvailableAt: avail, Source: e.in.Name + "#" + in.SOPInstanceUID + "/" + l.GroupPath}
		if !math.IsNaN(l.LongAxisMM) {
			ev.Value, ev.HasValue, ev.Unit = l.LongAxisMM, true, "mm"
		} else if !math.IsNaN(l.ShortAxisMM) {
			ev.Value, ev.HasValue, ev.Unit = l.ShortAxisMM, true, "mm"
		}
		if !l.Finding.IsZero() {
			ev.Text = l.Finding.Meaning
		}
		if err := bb.Append(&ev); err != nil {
			e.sink.Reject(&ingest.ParseError{Source: e.in.Name, Record: "measurement group " + l.GroupPath, Field: fieldOf(err), Err: err})
			continue
		}
		row := timeline.LesionDetail{SubjectID: subject, Key: key, LesionID: l.ID(), StudyUID: in.StudyInstanceUID,
			Site: l.FindingSite.Meaning, LongAxisMM: l.LongAxisMM, ShortAxisMM: l.ShortAxisMM, IsNode: l.IsNode,
			X: math.NaN(), Y: math.NaN(), Z: math.NaN(), Observer: l.Observer, Algorithm: l.Algorithm, AlgorithmVersion: l.Version}
		if len(rep.Evidence) > 0 && rep.Evidence[0][0] != "" {
			row.StudyUID = rep.Evidence[0][0]
		}
		if !l.FindingSite.IsZero() {
			row.SiteCode = l.FindingSite.Timeline()
		}
		if err := bb.Detail(timeline.Lesions).AppendLesion(&row); err != nil {
			return err
		}
	}
	if len(rep.Measurements) == 0 {
		e.sink.Skip("sr_without_measurements", 1)
	}
	if b := bb.Flush(); b != nil {
		return e.sink.Write(ctx, b)
	}
	return nil
}

// reportModality is the modality of the images a report measured: its
// Image Library's Modality, else that of an evidence series ingested in
// the same study, else "SR".
func reportModality(rep *Report, st *studyAgg) string {
	if rep.Modality != "" {
		return rep.Modality
	}
	for _, ev := range rep.Evidence {
		if sr := st.series[ev[1]]; sr != nil && sr.first.Modality != "" && !nonImageModalities[sr.first.Modality] {
			return sr.first.Modality
		}
	}
	return "SR"
}

func measurementSettings(m *Measurement) string {
	s := map[string]string{"concept": m.Concept.Meaning}
	add := func(k string, c Code) {
		if !c.IsZero() {
			s[k] = c.Timeline()
			if c.Meaning != "" {
				s[k+"_meaning"] = c.Meaning
			}
		}
	}
	add("derivation", m.Derivation)
	add("method", m.Method)
	add("finding", m.Finding)
	add("laterality", m.Laterality)
	if m.ReferencedSegment > 0 {
		s["segment"] = strconv.Itoa(m.ReferencedSegment)
		s["segmentation_uid"] = m.ReferencedSegmentationUID
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// checkReferences reports a segmentation whose referenced instances are not
// among this run's files: its masks cannot be aligned with a series here.
func (a *Adapter) checkReferences(e *entry, sops map[string]bool) {
	missing, first := 0, ""
	total := 0
	for i, r := range e.seg.References() {
		total++
		if !sops[r.SOPInstanceUID] {
			if missing == 0 {
				first = r.Locator
				if first == "" {
					first = "reference " + strconv.Itoa(i+1)
				}
			}
			missing++
		}
	}
	if missing > 0 {
		e.sink.Reject(&ingest.ParseError{Source: e.in.Name, Record: first + ", tag " + TagReferencedSOPInst.String(),
			Field: TagReferencedSOPInst.Keyword(),
			Err:   fmt.Errorf("%w: %d of %d referenced instances are not among the files of this run; the segmentation's metadata is stored, its masks cannot be aligned", ErrMissingReference, missing, total)})
	}
}

func (a *Adapter) writeFeatures(ctx context.Context, env *ingest.Env, st *studyAgg, subject int64, when time.Time) error {
	var segs []*Segmentation
	for _, e := range st.files {
		if e.err == nil && e.seg != nil {
			segs = append(segs, e.seg)
		}
	}
	for _, su := range st.order {
		sr := st.series[su]
		if len(sr.all) == 0 || len(sr.files) == 0 {
			continue
		}
		series, err := NewSeries(sr.all)
		if err != nil {
			continue
		}
		in := &FeatureInput{Series: series}
		for _, s := range segs {
			if s.ReferencesSeries(series) {
				in.Segmentations = append(in.Segmentations, s)
			}
		}
		owner := sr.files[0]
		feats, err := a.Features(ctx, in)
		if err != nil {
			owner.sink.Reject(&ingest.ParseError{Source: owner.in.Name, Record: "series " + su, Field: "features", Err: err})
			continue
		}
		bb := env.NewBatchBuilder()
		for _, f := range feats {
			key := timeline.NewKey("dicom-feature", su, f.Code, f.ROI, f.Algorithm, f.AlgorithmVersion)
			v, u, err := env.Codes.Normalize(f.Code, f.Value, f.Unit)
			if err != nil {
				owner.sink.Reject(&ingest.ParseError{Source: owner.in.Name, Record: "series " + su, Field: f.Code, Err: err})
				continue
			}
			ev := timeline.Event{SubjectID: subject, Time: when, Code: f.Code, Value: v, HasValue: true, Unit: u,
				Kind: timeline.KindImagingFeature, Key: key, Source: owner.in.Name + "#series=" + su}
			if err := bb.Append(&ev); err != nil {
				owner.sink.Reject(&ingest.ParseError{Source: owner.in.Name, Record: "series " + su, Field: f.Code, Err: err})
				continue
			}
			row := timeline.ImagingDetail{SubjectID: subject, Key: key, StudyUID: st.uid, SeriesUID: su, Modality: sr.first.Modality,
				BodyPart: sr.first.BodyPartExamined, Instances: sr.instances, Rows: -1, Columns: -1,
				PixelSpacingRow: math.NaN(), PixelSpacingCol: math.NaN(), SliceThickness: math.NaN(), SliceSpacing: math.NaN(),
				RescaleSlope: math.NaN(), RescaleIntercept: math.NaN(), Algorithm: f.Algorithm, AlgorithmVersion: f.AlgorithmVersion,
				ROI: f.ROI, FindingSite: f.FindingSite, TrackingUID: f.TrackingUID, Settings: f.Settings}
			if err := bb.Detail(timeline.Imaging).AppendImaging(&row); err != nil {
				bb.Release()
				return err
			}
		}
		b := bb.Flush()
		bb.Release()
		if b != nil {
			if err := owner.sink.Write(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}
