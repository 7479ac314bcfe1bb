// Package obsgen writes deterministic synthetic FHIR R4 Bulk Data NDJSON of
// Observations shaped like Synthea's (US Core profiles, vital signs with a
// blood-pressure panel of two components, laboratory results with UCUM
// units, coded survey answers): the load of the FHIR ingest benchmarks.
// Nothing in it is patient data.
package obsgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Options say how much to write.
type Options struct {
	Bytes    int64 // stop after at least this many bytes (0: use Lines)
	Lines    int64 // stop after this many lines
	Patients int   // distinct subjects (default 10,000)
	Seed     uint64
}

type kind struct {
	code, display, unit, category string
	lo, hi                        float64
	coded                         bool
	panel                         bool
}

var kinds = []kind{
	{code: "8302-2", display: "Body Height", unit: "cm", category: "vital-signs", lo: 150, hi: 195},
	{code: "29463-7", display: "Body Weight", unit: "kg", category: "vital-signs", lo: 50, hi: 120},
	{code: "39156-5", display: "Body mass index (BMI) [Ratio]", unit: "kg/m2", category: "vital-signs", lo: 18, hi: 40},
	{code: "8867-4", display: "Heart rate", unit: "/min", category: "vital-signs", lo: 50, hi: 120},
	{code: "9279-1", display: "Respiratory rate", unit: "/min", category: "vital-signs", lo: 10, hi: 30},
	{code: "8310-5", display: "Body temperature", unit: "Cel", category: "vital-signs", lo: 36, hi: 39.5},
	{code: "59408-5", display: "Oxygen saturation in Arterial blood by Pulse oximetry", unit: "%", category: "vital-signs", lo: 88, hi: 100},
	{code: "85354-9", display: "Blood pressure panel with all children optional", category: "vital-signs", panel: true},
	{code: "2160-0", display: "Creatinine [Mass/volume] in Serum or Plasma", unit: "mg/dL", category: "laboratory", lo: 0.5, hi: 3},
	{code: "2345-7", display: "Glucose [Mass/volume] in Serum or Plasma", unit: "mg/dL", category: "laboratory", lo: 60, hi: 250},
	{code: "2951-2", display: "Sodium [Moles/volume] in Serum or Plasma", unit: "mmol/L", category: "laboratory", lo: 128, hi: 148},
	{code: "6298-4", display: "Potassium [Moles/volume] in Blood", unit: "mmol/L", category: "laboratory", lo: 3, hi: 5.5},
	{code: "1742-6", display: "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", unit: "U/L", category: "laboratory", lo: 5, hi: 200},
	{code: "1920-8", display: "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", unit: "U/L", category: "laboratory", lo: 5, hi: 200},
	{code: "1975-2", display: "Bilirubin.total [Mass/volume] in Serum or Plasma", unit: "mg/dL", category: "laboratory", lo: 0.2, hi: 6},
	{code: "777-3", display: "Platelets [#/volume] in Blood by Automated count", unit: "10*3/uL", category: "laboratory", lo: 50, hi: 450},
	{code: "6690-2", display: "Leukocytes [#/volume] in Blood by Automated count", unit: "10*3/uL", category: "laboratory", lo: 2, hi: 20},
	{code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood", unit: "%", category: "laboratory", lo: 4.5, hi: 11},
	{code: "1988-5", display: "C reactive protein [Mass/volume] in Serum or Plasma", unit: "mg/L", category: "laboratory", lo: 0.1, hi: 200},
	{code: "72514-3", display: "Pain severity - 0-10 verbal numeric rating [Score] - Reported", unit: "{score}", category: "vital-signs", lo: 0, hi: 10},
	{code: "72166-2", display: "Tobacco smoking status", category: "social-history", coded: true},
}

var smoking = [][2]string{{"266919005", "Never smoker"}, {"8517006", "Ex-smoker"}, {"449868002", "Smokes tobacco daily"}}

// uuid writes a deterministic UUID-shaped id.
func uuid(b []byte, hi, lo uint64) []byte {
	const hex = "0123456789abcdef"
	var x [32]byte
	for i := 0; i < 16; i++ {
		x[i] = hex[(hi>>(60-4*i))&15]
		x[16+i] = hex[(lo>>(60-4*i))&15]
	}
	b = append(b, x[0:8]...)
	b = append(b, '-')
	b = append(b, x[8:12]...)
	b = append(b, '-')
	b = append(b, x[12:16]...)
	b = append(b, '-')
	b = append(b, x[16:20]...)
	b = append(b, '-')
	return append(b, x[20:32]...)
}

func quantity(b []byte, v float64, unit string) []byte {
	b = append(b, `{"value":`...)
	b = strconv.AppendFloat(b, v, 'f', 2, 64)
	b = append(b, `,"unit":"`...)
	b = append(b, unit...)
	b = append(b, `","system":"http://unitsofmeasure.org","code":"`...)
	b = append(b, unit...)
	return append(b, `"}`...)
}

func coding(b []byte, code, display string) []byte {
	b = append(b, `{"coding":[{"system":"http://loinc.org","code":"`...)
	b = append(b, code...)
	b = append(b, `","display":"`...)
	b = append(b, display...)
	b = append(b, `"}],"text":"`...)
	b = append(b, display...)
	return append(b, `"}`...)
}

// Write writes Observations to w until opts is satisfied and returns the
// lines and bytes written.
func Write(w io.Writer, opts Options) (lines, n int64, err error) {
	if opts.Patients <= 0 {
		opts.Patients = 10000
	}
	if opts.Bytes <= 0 && opts.Lines <= 0 {
		return 0, 0, fmt.Errorf("obsgen: give Bytes or Lines")
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	bw := bufio.NewWriterSize(w, 1<<20)
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	var b []byte
	for (opts.Bytes > 0 && n < opts.Bytes) || (opts.Bytes <= 0 && lines < opts.Lines) {
		k := kinds[rng.IntN(len(kinds))]
		pat := uint64(rng.IntN(opts.Patients))
		t := base.Add(time.Duration(rng.Int64N(int64(12 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		b = append(b[:0], `{"resourceType":"Observation","id":"`...)
		b = uuid(b, opts.Seed^0x0b5, uint64(lines))
		b = append(b, `","meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-`...)
		if k.category == "laboratory" {
			b = append(b, `observation-lab`...)
		} else {
			b = append(b, `vital-signs`...)
		}
		b = append(b, `"],"lastUpdated":"`...)
		b = t.Add(time.Hour).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, `"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"`...)
		b = append(b, k.category...)
		b = append(b, `","display":"`...)
		b = append(b, k.category...)
		b = append(b, `"}]}],"code":`...)
		b = coding(b, k.code, k.display)
		b = append(b, `,"subject":{"reference":"Patient/`...)
		b = uuid(b, 0x9a7, pat)
		b = append(b, `"},"encounter":{"reference":"Encounter/`...)
		b = uuid(b, 0xe7c, pat<<20|uint64(t.Unix()/86400)&0xfffff)
		b = append(b, `"},"effectiveDateTime":"`...)
		b = t.AppendFormat(b, "2006-01-02T15:04:05-07:00")
		b = append(b, `","issued":"`...)
		b = t.Add(time.Duration(rng.IntN(7200))*time.Second).AppendFormat(b, "2006-01-02T15:04:05.000-07:00")
		b = append(b, '"')
		switch {
		case k.panel:
			b = append(b, `,"component":[{"code":`...)
			b = coding(b, "8480-6", "Systolic Blood Pressure")
			b = append(b, `,"valueQuantity":`...)
			b = quantity(b, 100+rng.Float64()*60, "mm[Hg]")
			b = append(b, `},{"code":`...)
			b = coding(b, "8462-4", "Diastolic Blood Pressure")
			b = append(b, `,"valueQuantity":`...)
			b = quantity(b, 60+rng.Float64()*40, "mm[Hg]")
			b = append(b, `}]`...)
		case k.coded:
			s := smoking[rng.IntN(len(smoking))]
			b = append(b, `,"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"`...)
			b = append(b, s[0]...)
			b = append(b, `","display":"`...)
			b = append(b, s[1]...)
			b = append(b, `"}],"text":"`...)
			b = append(b, s[1]...)
			b = append(b, `"}`...)
		default:
			b = append(b, `,"valueQuantity":`...)
			b = quantity(b, k.lo+rng.Float64()*(k.hi-k.lo), k.unit)
		}
		b = append(b, "}\n"...)
		if _, err := bw.Write(b); err != nil {
			return lines, n, err
		}
		lines++
		n += int64(len(b))
	}
	return lines, n, bw.Flush()
}
