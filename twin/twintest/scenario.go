// Package twintest runs twin scenario files: plain-text cases a clinician
// can review, each listing a patient's events and the scores expected from
// them, with the source of the expected values in comments.
//
// # Format
//
// One statement per line; "#" starts a comment (cite the source there).
//
//	patient birth=1960-03-15 sex=F     MEDS_BIRTH and GENDER events
//	asof 2024-05-01                     compute as of this time (default: everything)
//	config key=value ...                twin settings (the twin's test interprets them)
//	si off                              skip the SI-unit re-run (see RunDir)
//	death 2024-06-01                    MEDS_DEATH
//
//	TIME[~AVAILABLE][..END] CODE [VALUE [UNIT]] [kind=K] [text="..."]
//	                        [contrast=none] [study=UID] [series=UID] [settings='{...}']
//
// is one event: TIME is a date (2024-03-01, midnight UTC), a UTC
// date-time (2024-03-01T08:00) or RFC 3339; ~AVAILABLE is when the result
// became known (FHIR issued); ..END ends an interval (encounter, condition
// abatement). The kind defaults to the code table's kind for the code, or
// diagnosis / procedure / encounter / medication for codes of the table's
// code sets, imaging_feature for IMAGING// codes. contrast, study, series
// and settings add an imaging detail row.
//
//	variant ASSEMBLY CHROM POS REF ALT GENOTYPE [zygosity=Z] [origin=germline]
//
// is a germline variant detail row (with its static variant event).
//
//	expect score NAME at TIME|current = VALUE [category C] [notComputable "TEXT"] [range MIN MAX]
//	                                         [component NAME STATUS [POINTS]]
//	expect path PATH = VALUE | count N | contains "TEXT"
//
// check the twin's JSON output. NAME may be quoted ("MELD 3.0"). A score
// expectation matches every score object of that name and time anywhere in
// the output ("current" matches the current score of the series NAME). A
// PATH is dotted keys with [N] indexes or [key=value] selectors, e.g.
// scores[name=FIB-4].points[0].value. Numbers compare after rounding the
// actual value to the expected value's decimals.
package twintest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Subject is the subject id scenario events carry.
const Subject = 1

// Scenario is one parsed scenario file.
type Scenario struct {
	Name    string
	Events  []timeline.Event
	Details twin.Details
	AsOf    time.Time
	Config  map[string]string
	NoSI    bool
	Expects []Expect
}

// Expect is one expectation line.
type Expect struct {
	Line int
	Kind string // "score" or "path"
	Args []string
}

// ParseFile parses a scenario file.
func ParseFile(path string, codes *timeline.CodeTable) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(filepath.Base(path), f, codes)
}

// Parse parses a scenario; name is used in event sources and errors.
func Parse(name string, r io.Reader, codes *timeline.CodeTable) (*Scenario, error) {
	if codes == nil {
		codes = timeline.DefaultCodes()
	}
	s := &Scenario{Name: name, Config: map[string]string{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := commentAt(line); i >= 0 {
			line = line[:i]
		}
		toks, err := split(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if len(toks) == 0 {
			continue
		}
		if err := s.statement(n, toks, codes); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	return s, sc.Err()
}

// commentAt finds a "#" outside quotes.
func commentAt(line string) int {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#':
			return i
		}
	}
	return -1
}

// split tokenises a line: whitespace-separated, "double" or 'single'
// quotes group (also inside key=value).
func split(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

// ParseTime accepts a date, a UTC date-time without zone, or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

func options(toks []string) (pos []string, opts map[string]string) {
	opts = map[string]string{}
	for _, t := range toks {
		if k, v, ok := strings.Cut(t, "="); ok && k != "" && !strings.Contains(k, "/") {
			opts[k] = v
			continue
		}
		pos = append(pos, t)
	}
	return pos, opts
}

func (s *Scenario) source(line int) string { return fmt.Sprintf("scenario:%s:%d", s.Name, line) }

func (s *Scenario) key(line int) timeline.Key { return timeline.NewKey(s.Name, strconv.Itoa(line)) }

func (s *Scenario) statement(line int, toks []string, codes *timeline.CodeTable) error {
	switch toks[0] {
	case "patient":
		_, opts := options(toks[1:])
		if b, ok := opts["birth"]; ok {
			t, err := ParseTime(b)
			if err != nil {
				return err
			}
			s.Events = append(s.Events, timeline.Event{SubjectID: Subject, Time: t, Code: timeline.CodeBirth,
				Kind: timeline.KindDemographic, Source: s.source(line), Key: s.key(line)})
		}
		if sex, ok := opts["sex"]; ok {
			s.Events = append(s.Events, timeline.Event{SubjectID: Subject, Code: "GENDER//" + sex,
				Kind: timeline.KindDemographic, Source: s.source(line), Key: timeline.NewKey(s.Name, strconv.Itoa(line), "sex")})
		}
		return nil
	case "asof":
		if len(toks) != 2 {
			return fmt.Errorf("asof TIME")
		}
		t, err := ParseTime(toks[1])
		s.AsOf = t
		return err
	case "config":
		_, opts := options(toks[1:])
		for k, v := range opts {
			s.Config[k] = v
		}
		return nil
	case "si":
		s.NoSI = len(toks) == 2 && toks[1] == "off"
		return nil
	case "death":
		if len(toks) != 2 {
			return fmt.Errorf("death TIME")
		}
		t, err := ParseTime(toks[1])
		if err != nil {
			return err
		}
		s.Events = append(s.Events, timeline.Event{SubjectID: Subject, Time: t, Code: timeline.CodeDeath,
			Kind: timeline.KindDemographic, Source: s.source(line), Key: s.key(line)})
		return nil
	case "variant":
		return s.variant(line, toks[1:])
	case "expect":
		if len(toks) < 3 || (toks[1] != "score" && toks[1] != "path") {
			return fmt.Errorf("expect score|path ...")
		}
		s.Expects = append(s.Expects, Expect{Line: line, Kind: toks[1], Args: toks[2:]})
		return nil
	}
	return s.event(line, toks, codes)
}

func (s *Scenario) variant(line int, toks []string) error {
	pos, opts := options(toks)
	if len(pos) != 6 {
		return fmt.Errorf("variant ASSEMBLY CHROM POS REF ALT GENOTYPE")
	}
	p, err := strconv.ParseInt(pos[2], 10, 64)
	if err != nil {
		return fmt.Errorf("variant position: %w", err)
	}
	k := s.key(line)
	s.Events = append(s.Events, timeline.Event{SubjectID: Subject, Kind: timeline.KindVariant,
		Code: fmt.Sprintf("VARIANT//%s:%s:%s:%s", pos[1], pos[2], pos[3], pos[4]), Source: s.source(line), Key: k})
	origin := opts["origin"]
	if origin == "" {
		origin = "germline"
	}
	s.Details.Variants = append(s.Details.Variants, timeline.Variant{
		SubjectID: Subject, Key: k, Assembly: pos[0], Chrom: pos[1], Pos: p, Ref: pos[3], Alt: pos[4],
		Genotype: pos[5], Zygosity: opts["zygosity"], Origin: origin, Qual: math.NaN(), AlleleFraction: math.NaN(),
		Depth: -1, AltDepth: -1,
	})
	return nil
}

func (s *Scenario) event(line int, toks []string, codes *timeline.CodeTable) error {
	pos, opts := options(toks)
	if len(pos) < 2 {
		return fmt.Errorf("event: TIME CODE [VALUE [UNIT]]")
	}
	e := timeline.Event{SubjectID: Subject, Source: s.source(line), Key: s.key(line)}
	ts := pos[0]
	if a, b, ok := strings.Cut(ts, ".."); ok {
		end, err := ParseTime(b)
		if err != nil {
			return err
		}
		e.EndTime, ts = end, a
	}
	if a, b, ok := strings.Cut(ts, "~"); ok {
		av, err := ParseTime(b)
		if err != nil {
			return err
		}
		e.AvailableAt, ts = av, a
	}
	t, err := ParseTime(ts)
	if err != nil {
		return err
	}
	e.Time = t
	e.Code = pos[1]
	if len(pos) >= 3 {
		v, err := strconv.ParseFloat(pos[2], 64)
		if err != nil {
			return fmt.Errorf("value %q: %w", pos[2], err)
		}
		e.Value, e.HasValue = v, true
	}
	if len(pos) >= 4 {
		e.Unit = pos[3]
	}
	if len(pos) > 4 {
		return fmt.Errorf("unexpected %q", pos[4])
	}
	e.Text = opts["text"]
	if k, ok := opts["kind"]; ok {
		if e.Kind, err = timeline.ParseKind(k); err != nil {
			return err
		}
	} else {
		e.Kind = kindOf(e.Code, codes)
	}
	if e.HasValue {
		if _, _, err := codes.Normalize(e.Code, e.Value, e.Unit); err != nil {
			return err
		}
	}
	s.Events = append(s.Events, e)
	if opts["contrast"] != "" || opts["study"] != "" || opts["series"] != "" || opts["settings"] != "" {
		s.Details.Imaging = append(s.Details.Imaging, timeline.ImagingDetail{
			SubjectID: Subject, Key: e.Key, Modality: "CT", StudyUID: opts["study"], SeriesUID: opts["series"],
			Contrast: opts["contrast"], Settings: opts["settings"], Instances: -1, Rows: -1, Columns: -1,
			PixelSpacingRow: math.NaN(), PixelSpacingCol: math.NaN(), SliceThickness: math.NaN(), SliceSpacing: math.NaN(),
			RescaleSlope: math.NaN(), RescaleIntercept: math.NaN(),
		})
	}
	return nil
}

func kindOf(code string, codes *timeline.CodeTable) timeline.Kind {
	if c, ok := codes.ConceptOf(code); ok {
		return c.Kind
	}
	switch {
	case strings.HasPrefix(code, "IMAGING//"):
		return timeline.KindImagingFeature
	case codes.InSet(timeline.SetDialysis, code) || codes.InSet(timeline.SetCRRT, code):
		return timeline.KindProcedure
	case codes.InSet(timeline.SetInpatient, code) || codes.InSet(timeline.SetICU, code):
		return timeline.KindEncounter
	case codes.InSet(timeline.SetAntidiabetic, code):
		return timeline.KindMedication
	}
	for _, set := range codes.Sets() {
		if codes.InSet(set, code) {
			return timeline.KindDiagnosis
		}
	}
	return timeline.KindObservation
}

// View builds the scenario's view as of its as-of time.
func (s *Scenario) View(codes *timeline.CodeTable) *twin.View {
	return twin.NewView(Subject, s.Events, s.Details, s.AsOf, codes)
}

// Check evaluates the expectations against a twin's output and returns one
// message per failed expectation.
func (s *Scenario) Check(out any) ([]string, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var fails []string
	for _, e := range s.Expects {
		var err error
		switch e.Kind {
		case "score":
			err = checkScore(doc, e.Args)
		case "path":
			err = checkPath(doc, e.Args)
		}
		if err != nil {
			fails = append(fails, fmt.Sprintf("%s:%d: %v", s.Name, e.Line, err))
		}
	}
	return fails, nil
}
