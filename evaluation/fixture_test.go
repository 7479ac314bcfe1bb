package evaluation

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// patient builds one patient's events and detail rows the way the ingest
// adapters write them: the tool's outputs as imaging_feature events of the
// imaging CSV, the radiologist's as DICOM SR imaging features and lesion
// rows, studies as imaging_study series rows.
type patient struct {
	subject int64
	events  []timeline.Event
	det     twin.Details
	n       int
}

func (p *patient) key() timeline.Key {
	p.n++
	return timeline.NewKey("fixture", fmt.Sprint(p.subject), fmt.Sprint(p.n))
}

func (p *patient) event(e timeline.Event) timeline.Key {
	e.SubjectID = p.subject
	e.Key = p.key()
	e.Source = fmt.Sprintf("fixture#%d", p.n)
	p.events = append(p.events, e)
	return e.Key
}

func nanDetail(d timeline.ImagingDetail) timeline.ImagingDetail {
	d.Instances, d.Rows, d.Columns = -1, -1, -1
	nan := math.NaN()
	d.PixelSpacingRow, d.PixelSpacingCol, d.SliceThickness, d.SliceSpacing, d.RescaleSlope, d.RescaleIntercept = nan, nan, nan, nan, nan, nan
	return d
}

// study records an imaging_study series with its site and scanner.
func (p *patient) study(uid string, t time.Time, site, scanner, contrast string) {
	k := p.event(timeline.Event{Time: t, Code: "IMAGING//CT", Kind: timeline.KindImagingStudy})
	set := ""
	if site != "" {
		set = fmt.Sprintf(`{"institution":%q}`, site)
	}
	p.det.Imaging = append(p.det.Imaging, nanDetail(timeline.ImagingDetail{SubjectID: p.subject, Key: k, StudyUID: uid,
		SeriesUID: uid + ".1", Modality: "CT", Manufacturer: scanner, Contrast: contrast, Settings: set}))
}

// ai records an output of the tool (imaging CSV long format).
func (p *patient) ai(uid string, t time.Time, feature, unit string, v float64, alg, ver, roi, tracking, site string) timeline.Key {
	code := timeline.Code(timeline.VocabImaging, "CT", feature)
	k := p.event(timeline.Event{Time: t, Code: code, Value: v, HasValue: true, Unit: unit, Kind: timeline.KindImagingFeature})
	p.det.Imaging = append(p.det.Imaging, nanDetail(timeline.ImagingDetail{SubjectID: p.subject, Key: k, StudyUID: uid,
		Modality: "CT", Algorithm: alg, AlgorithmVersion: ver, ROI: roi, TrackingUID: tracking, FindingSite: site}))
	return k
}

// sr records a radiologist's SR measurement (an imaging feature).
func (p *patient) sr(uid string, t time.Time, code, unit string, v float64, roi, tracking, site string) timeline.Key {
	k := p.event(timeline.Event{Time: t, Code: code, Value: v, HasValue: true, Unit: unit, Kind: timeline.KindImagingFeature})
	p.det.Imaging = append(p.det.Imaging, nanDetail(timeline.ImagingDetail{SubjectID: p.subject, Key: k, StudyUID: uid,
		Modality: "CT", ROI: roi, TrackingUID: tracking, FindingSite: site}))
	return k
}

// lesion records a lesion row (radiologist when alg is "").
func (p *patient) lesion(uid string, t time.Time, id, site, siteCode string, long, short float64, pos []float64, alg, ver string) timeline.Key {
	k := p.event(timeline.Event{Time: t, Code: "IMAGING//lesion", Value: long, HasValue: true, Unit: "mm", Kind: timeline.KindLesion})
	row := timeline.LesionDetail{SubjectID: p.subject, Key: k, LesionID: id, StudyUID: uid, Site: site, SiteCode: siteCode,
		LongAxisMM: long, ShortAxisMM: short, X: math.NaN(), Y: math.NaN(), Z: math.NaN(), Algorithm: alg, AlgorithmVersion: ver}
	if pos != nil {
		row.X, row.Y, row.Z = pos[0], pos[1], pos[2]
	}
	p.det.Lesions = append(p.det.Lesions, row)
	return k
}

func (p *patient) diagnosis(code string, t time.Time) {
	p.event(timeline.Event{Time: t, Code: code, Kind: timeline.KindDiagnosis})
}

func (p *patient) view() *twin.View {
	return twin.NewView(p.subject, p.events, p.det, time.Time{}, timeline.DefaultCodes())
}

// batch writes the patient into a store batch.
func (p *patient) batch(t *testing.T) *timeline.Batch {
	t.Helper()
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 1<<20)
	defer bb.Release()
	for i := range p.events {
		if err := bb.Append(&p.events[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range p.det.Imaging {
		if err := bb.Detail(timeline.Imaging).AppendImaging(&p.det.Imaging[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range p.det.Lesions {
		if err := bb.Detail(timeline.Lesions).AppendLesion(&p.det.Lesions[i]); err != nil {
			t.Fatal(err)
		}
	}
	return bb.Flush()
}

func store1(t *testing.T, s store.Store, ps ...*patient) {
	t.Helper()
	ctx := context.Background()
	for _, p := range ps {
		id, err := s.Resolve(ctx, timeline.Identifier{System: "urn:test", Value: fmt.Sprint(p.subject)})
		if err != nil {
			t.Fatal(err)
		}
		if id != p.subject {
			t.Fatalf("subject %d resolved as %d: build patients in order from 1", p.subject, id)
		}
		b := p.batch(t)
		if _, err := s.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
}

func day0(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %g", name, got, want, tol)
	}
}

func evaluate(t *testing.T, opt Options, ps ...*patient) *Report {
	t.Helper()
	agg, err := NewAggregator(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		agg.Add(EvaluateSubject(p.view(), agg.Options()))
	}
	return agg.Report()
}
