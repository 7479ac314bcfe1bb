package pneumonia_test

import (
	"testing"

	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/pneumonia"
	"github.com/medtwin/medtwin/twin/twintest"
)

// TestScenarios runs every testdata/*.scen file as written, with SI units
// and as of every time a value arrived (twintest.RunDir).
func TestScenarios(t *testing.T) {
	twintest.RunDir(t, "testdata/*.scen", nil, func(s *twintest.Scenario, v *twin.View) (any, error) {
		if len(s.Config) > 0 {
			t.Fatalf("pneumonia scenarios take no config: %v", s.Config)
		}
		return pneumonia.Compute(v, pneumonia.DefaultConfig())
	})
}
