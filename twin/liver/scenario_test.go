package liver_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/liver"
	"github.com/medtwin/medtwin/twin/twintest"
)

// configOf applies a scenario's config lines: ast_uln (U/L), trend_window
// and lab_window (days).
func configOf(t *testing.T, s *twintest.Scenario) liver.Config {
	c := liver.DefaultConfig()
	for k, v := range s.Config {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("config %s: %v", k, err)
		}
		switch k {
		case "ast_uln":
			c.ASTULN = f
		case "trend_window":
			c.TrendWindow = time.Duration(f * float64(twin.Day))
		case "lab_window":
			c.LabWindow = time.Duration(f * float64(twin.Day))
		default:
			t.Fatalf("unknown config %s", k)
		}
	}
	return c
}

// TestScenarios runs every testdata/*.scen file as written, with SI units
// and as of every time a value arrived (twintest.RunDir).
func TestScenarios(t *testing.T) {
	twintest.RunDir(t, "testdata/*.scen", nil, func(s *twintest.Scenario, v *twin.View) (any, error) {
		return liver.Compute(v, configOf(t, s))
	})
}
