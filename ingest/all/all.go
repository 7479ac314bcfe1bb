// Package all assembles the registry of every ingest adapter medtwin ships,
// in priority order: clinical records first (their identifiers are what
// genomic and imaging files link to), then datasets, variants and imaging.
package all

import (
	"github.com/medtwin/medtwin/features"
	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/ingest/imagingcsv"
	"github.com/medtwin/medtwin/ingest/maf"
	"github.com/medtwin/medtwin/ingest/meds"
	"github.com/medtwin/medtwin/ingest/vcf"
)

// Registry returns a new registry holding every adapter. The DICOM adapter
// computes pixel-data features with the features package's defaults when
// a run asks for them (ingest.Options.Features, `medtwin ingest
// --features`).
func Registry() (*ingest.Registry, error) {
	dcm := dicom.New()
	dcm.Features = features.New(features.DefaultConfig()).Series
	return ingest.NewRegistry(
		fhir.New(),
		meds.New(),
		vcf.New(),
		maf.New(),
		dcm,
		imagingcsv.New(),
	)
}
