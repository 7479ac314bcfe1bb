package evaluation

import (
	"fmt"
	"strings"
	"time"

	"github.com/medtwin/medtwin/oncology"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Options say what to evaluate. Use DefaultOptions and set Algorithm.
type Options struct {
	// Algorithm is the tool's name as its outputs record it (imaging
	// detail or lesion detail algorithm; compared without case).
	Algorithm string
	// Version restricts the evaluation to one version ("" for all).
	Version string
	// AsOf and KnownBy are the two clocks of every read (DESIGN.md §2):
	// what a clinician could have known at AsOf, what the platform held at
	// KnownBy. Zero: everything current.
	AsOf, KnownBy time.Time
	// From (inclusive) and To (exclusive) bound the studies evaluated by
	// study time (zero: unbounded).
	From, To time.Time
	// MatchMaxDistanceMM bounds the distance at which a tool's lesion is
	// paired with the radiologist's by position (oncology's matching
	// rule); 20.
	MatchMaxDistanceMM float64
	// Alpha is the significance level of the change-point flags; 0.01.
	Alpha float64
	// MinPairs is the fewest pairs a stratum needs for its statistics (and
	// each side of a change point); 5.
	MinPairs int
	// Outcomes are the later diagnoses the tool's labels are checked
	// against (DefaultOutcomes when nil).
	Outcomes []Outcome
	// Oncology configures the RECIST courses whose categories are compared.
	Oncology oncology.Options
	// Codes is the concept table (timeline.DefaultCodes when nil).
	Codes *timeline.CodeTable
	// ChunkSubjects bounds how many patients are held in memory at once
	// while reading the store; 256.
	ChunkSubjects int
	// Audit, when set, is the template of the audit entry written for every
	// patient whose data the evaluation reads (SubjectID, Time and Fields
	// filled in), before the data is used.
	Audit *store.AuditEntry
	// OnRead, when set, is called with every chunk of patients before
	// their data is read (a server records them for its own audit log);
	// an error stops the evaluation.
	OnRead func(subjects []int64) error
}

// DefaultOptions returns the documented defaults for a tool.
func DefaultOptions(algorithm string) Options {
	return Options{Algorithm: algorithm, MatchMaxDistanceMM: 20, Alpha: 0.01, MinPairs: 5,
		Oncology: oncology.DefaultOptions(), ChunkSubjects: 256}
}

func (o Options) fill() (Options, error) {
	o.Algorithm = strings.TrimSpace(o.Algorithm)
	if o.Algorithm == "" {
		return o, fmt.Errorf("%w: no algorithm named", ErrOptions)
	}
	d := DefaultOptions(o.Algorithm)
	if o.MatchMaxDistanceMM <= 0 {
		o.MatchMaxDistanceMM = d.MatchMaxDistanceMM
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = d.Alpha
	}
	if o.MinPairs < 2 {
		o.MinPairs = d.MinPairs
	}
	if o.ChunkSubjects <= 0 {
		o.ChunkSubjects = d.ChunkSubjects
	}
	if o.Outcomes == nil {
		o.Outcomes = DefaultOutcomes()
	}
	if o.Codes == nil {
		o.Codes = timeline.DefaultCodes()
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return o, fmt.Errorf("%w: from must be before to", ErrOptions)
	}
	return o, nil
}

// Outcome is a reference standard made of later (or earlier) diagnoses: a
// study is reference-positive when the patient has a diagnosis matching
// Codes whose time lies within [study − Before, study + After]. Before < 0
// means any time before the study.
type Outcome struct {
	// Name identifies the label, e.g. "hepatic steatosis".
	Name string `json:"name"`
	// Quantity is the tool's output the label is read from, Positive the
	// rule that makes a study test-positive, Rule its description.
	Quantity string                                   `json:"quantity"`
	Positive func(s *StudyValues) (positive, ok bool) `json:"-"`
	Rule     string                                   `json:"rule"`
	Codes    []string                                 `json:"codes"` // patterns: a trailing * matches by prefix
	Before   time.Duration                            `json:"-"`
	After    time.Duration                            `json:"-"`
	// CodeSource says where the code list comes from.
	CodeSource string `json:"codeSource"`
}

// Standard names the reference standard in words.
func (o *Outcome) Standard() string {
	before := "any time before the study"
	if o.Before >= 0 {
		before = fmt.Sprintf("%s before the study", days(o.Before))
	}
	return fmt.Sprintf("diagnosis of %s (%s) coded from %s to %s after it", o.Name, strings.Join(o.Codes, ", "), before, days(o.After))
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// StudyValues are the tool's and the radiologist's values of one study, by
// quantity (a quantity's first value when the study has several).
type StudyValues struct {
	AI        map[string]float64
	Reference map[string]float64
	Contrast  string
}

const day = 24 * time.Hour

// DefaultOutcomes are the built-in outcome references: hepatic steatosis
// (from a liver-attenuation tool) and pneumonia (from a lung-involvement
// tool).
func DefaultOutcomes() []Outcome {
	return []Outcome{
		{
			Name: "hepatic steatosis", Quantity: "liver_hu",
			Rule:     "tool's liver (and spleen) attenuation in the moderate–severe steatosis category of twin/liver (liver ≤ 40 HU or < 48 HU, or liver − spleen < −10 HU; unenhanced CT)",
			Positive: steatosisPositive(true),
			Codes: []string{"ICD10CM//K76.0", "ICD10CM//K75.81", "ICD10CM//K70.0", "ICD10//K76.0", "ICD10//K70.0",
				"SNOMED//197321007", "SNOMED//442685003", "SNOMED//197315008"},
			CodeSource: "ICD-10-CM K76.0 fatty (change of) liver NEC, K75.81 NASH, K70.0 alcoholic fatty liver; SNOMED CT 197321007 steatosis of liver, 442685003 NASH, 197315008 non-alcoholic fatty liver",
			Before:     -1, After: 365 * day,
		},
		{
			Name: "pneumonia", Quantity: "lung_involvement_pct",
			Rule: "tool's lung involvement (ground-glass + consolidation) ≥ 5 % of lung volume",
			Positive: func(s *StudyValues) (bool, bool) {
				v, ok := s.AI["lung_involvement_pct"]
				return v >= 5, ok
			},
			Codes:      []string{"set:" + timeline.SetPneumonia},
			CodeSource: "timeline code set " + timeline.SetPneumonia + " (ICD-10-CM J12–J18, SNOMED CT pneumonia concepts)",
			Before:     7 * day, After: 14 * day,
		},
	}
}
