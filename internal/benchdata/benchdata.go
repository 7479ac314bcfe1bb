// Package benchdata generates the deterministic synthetic timelines the
// store benchmarks load: patients with lab events arriving in time order,
// round robin over the patients, as a hospital's feeds deliver them. That
// arrival order scatters each patient's rows, the case a store's layout
// must handle.
package benchdata

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/timeline"
)

// Codes are the lab codes the rows cycle through (LOINC, DESIGN.md §2).
var Codes = []string{
	"LOINC//1742-6", "LOINC//1920-8", "LOINC//777-3", "LOINC//1975-2", "LOINC//1751-7",
	"LOINC//6301-6", "LOINC//2160-0", "LOINC//2951-2", "LOINC//3094-0", "LOINC//2345-7",
	"LOINC//4548-4", "LOINC//1988-5", "LOINC//6690-2", "LOINC//8480-6", "LOINC//8462-4",
	"LOINC//8867-4", "LOINC//9279-1", "LOINC//8310-5", "LOINC//29463-7", "LOINC//39156-5",
}

var units = []string{"U/L", "U/L", "10*3/uL", "mg/dL", "g/dL", "{INR}", "mg/dL", "mmol/L", "mg/dL", "mg/dL",
	"%", "mg/L", "10*3/uL", "mm[Hg]", "mm[Hg]", "/min", "/min", "Cel", "kg", "kg/m2"}

// Start is the time of the first event.
var Start = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// Spec sizes a data set: Patients × Events rows.
type Spec struct {
	Patients  int
	Events    int // per patient
	BatchRows int // rows per batch (timeline.DefaultBatchRows when 0)
}

// Rows returns the number of rows.
func (s Spec) Rows() int { return s.Patients * s.Events }

// Identifier names patient p (0-based) for Resolve.
func Identifier(p int) timeline.Identifier {
	return timeline.Identifier{System: "urn:bench:mrn", Value: strconv.Itoa(p)}
}

// Event returns row r of the data set: patient r mod Patients, that
// patient's event r / Patients, one row every 30 seconds.
func (s Spec) Event(r int, subjects []int64) timeline.Event {
	p, j := r%s.Patients, r/s.Patients
	c := j % len(Codes)
	at := Start.Add(time.Duration(r) * 30 * time.Second)
	v := 10 + 90*math.Abs(math.Sin(float64(r)*0.618))
	return timeline.Event{
		SubjectID: subjects[p], Time: at, Code: Codes[c], Value: math.Round(v*10) / 10, HasValue: true,
		Unit: units[c], Kind: timeline.KindLab, AvailableAt: at.Add(2 * time.Hour),
		Source: "bench/labs.ndjson#" + strconv.Itoa(r+1),
		Key:    timeline.NewKey("bench", strconv.Itoa(p), strconv.Itoa(j)),
	}
}

// Batches calls fn with the rows in arrival order, in batches; subjects[p]
// is patient p's subject id. fn owns (and releases) each batch.
func (s Spec) Batches(subjects []int64, fn func(*timeline.Batch) error) error {
	if len(subjects) != s.Patients {
		return fmt.Errorf("benchdata: %d subject ids for %d patients", len(subjects), s.Patients)
	}
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, s.BatchRows, timeline.WithFutureTolerance(time.Duration(math.MaxInt64)))
	defer bb.Release()
	for r := 0; r < s.Rows(); r++ {
		e := s.Event(r, subjects)
		if err := bb.Append(&e); err != nil {
			return fmt.Errorf("benchdata: row %d: %w", r, err)
		}
		if bb.Full() {
			if err := fn(bb.Flush()); err != nil {
				return err
			}
		}
	}
	if b := bb.Flush(); b != nil {
		return fn(b)
	}
	return nil
}
