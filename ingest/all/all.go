// Package all assembles the registry of every ingest adapter medtwin ships,
// in priority order: clinical records first (their identifiers are what
// genomic and imaging files link to), then datasets, variants and imaging.
package all

import (
	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/meds"
)

// Registry returns a new registry holding every adapter.
func Registry() (*ingest.Registry, error) {
	return ingest.NewRegistry(
		meds.New(),
	)
}
