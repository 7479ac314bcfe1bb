package pneumonia_test

import (
	"errors"
	"testing"
	"time"

	"github.com/medtwin/medtwin/twin"
	"github.com/medtwin/medtwin/twin/pneumonia"
)

func TestCategoryBoundaries(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want string
	}{
		{"CURB-65 0", pneumonia.CURB65Category(0), "low"},
		{"CURB-65 1", pneumonia.CURB65Category(1), "low"},
		{"CURB-65 2", pneumonia.CURB65Category(2), "intermediate"},
		{"CURB-65 3", pneumonia.CURB65Category(3), "high"},
		{"CURB-65 5", pneumonia.CURB65Category(5), "high"},
		{"PSI step 1", pneumonia.PSIClass(40, true), "I"},
		{"PSI 70", pneumonia.PSIClass(70, false), "II"},
		{"PSI 71", pneumonia.PSIClass(71, false), "III"},
		{"PSI 90", pneumonia.PSIClass(90, false), "III"},
		{"PSI 91", pneumonia.PSIClass(91, false), "IV"},
		{"PSI 130", pneumonia.PSIClass(130, false), "IV"},
		{"PSI 131", pneumonia.PSIClass(131, false), "V"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	// Pan 2020 bands: 0 none, 1 < 5 %, 2 5-25 %, 3 26-49 %, 4 50-75 %, 5 > 75 %.
	for _, c := range []struct {
		pct  float64
		want int
	}{{0, 0}, {4.99, 1}, {5, 2}, {25, 2}, {25.5, 3}, {49.9, 3}, {50, 4}, {75, 4}, {75.1, 5}, {100, 5}} {
		if got := pneumonia.SeverityGrade(c.pct); got != c.want {
			t.Errorf("SeverityGrade(%v) = %d, want %d", c.pct, got, c.want)
		}
	}
}

func TestConfig(t *testing.T) {
	v := twin.NewView(1, nil, twin.Details{}, time.Time{}, nil)
	if _, err := pneumonia.Compute(v, pneumonia.Config{ImagingThreshold: 120}); !errors.Is(err, pneumonia.ErrConfig) {
		t.Errorf("threshold 120 %%: %v", err)
	}
	if _, err := pneumonia.Compute(v, pneumonia.Config{MergeGap: -time.Hour}); !errors.Is(err, pneumonia.ErrConfig) {
		t.Errorf("negative gap: %v", err)
	}
	r, err := pneumonia.Compute(v, pneumonia.Config{})
	if err != nil || len(r.Episodes) != 0 {
		t.Errorf("empty view: %+v %v", r, err)
	}
}
