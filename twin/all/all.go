// Package all assembles the digital twins medtwin computes for a patient:
// the one list `medtwin twin`, the GraphQL API and the exports run, in the
// order their results appear. To add a twin, add its settings to Options
// and its constructor to Twins; nothing else needs to change.
package all

import (
	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

// Options holds every twin's settings.
type Options struct {
	Liver     liver.Config
	Pneumonia pneumonia.Config
	Oncology  oncology.Options
}

// DefaultOptions returns every twin's documented defaults.
func DefaultOptions() Options {
	return Options{Liver: liver.DefaultConfig(), Pneumonia: pneumonia.DefaultConfig(), Oncology: oncology.DefaultOptions()}
}

// Twins returns the twins in output order. Each result appears under the
// twin's name: {"subject":…, "asOf":…, "liver":…, "pneumonia":…, "oncology":…}.
func Twins(o Options) []twin.Twin {
	return []twin.Twin{
		liver.Twin(o.Liver),
		pneumonia.Twin(o.Pneumonia),
		oncology.Twin(o.Oncology),
	}
}
