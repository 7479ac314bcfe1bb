package flightsvc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Descriptor is what a client asks for: the JSON of a Flight command
// descriptor, a raw DoGet ticket, or the query parameters of
// GET /arrow/{dataset}. Unknown JSON fields are refused, so that a typo
// never silently widens a request.
//
//	{"dataset": "timeline",
//	 "cohort": {"subjects": [12, 13], "has_codes": ["ICD10CM//K76*"], "name": "nafld-2024"},
//	 "columns": ["subject_id", "time", "code", "numeric_value"],
//	 "codes": ["LOINC//1742-6"], "kinds": ["lab"],
//	 "from": "2020-01-01", "to": "2024-01-01", "as_of": "2023-06-30T00:00:00Z"}
//
// Times are RFC 3339 or dates (UTC midnight). Researchers give subject
// pseudonyms ("ps_…") and times in each subject's shifted calendar.
type Descriptor struct {
	// Dataset is timeline, variants, imaging_features, lesions, features
	// (with Features), or the name of a built-in feature matrix.
	Dataset string     `json:"dataset"`
	Cohort  CohortSpec `json:"cohort"`
	// Columns projects the output (all of the dataset's columns when empty).
	Columns []string `json:"columns,omitempty"`
	// Codes and Kinds filter rows (row datasets only); a code ending in
	// "*" matches by prefix.
	Codes []string `json:"codes,omitempty"`
	Kinds []string `json:"kinds,omitempty"`
	// From (inclusive) and To (exclusive) bound event time; static rows
	// pass unless ExcludeStatic.
	From          string `json:"from,omitempty"`
	To            string `json:"to,omitempty"`
	ExcludeStatic bool   `json:"exclude_static,omitempty"`
	// AsOf keeps what was available at that time; KnownBy what the
	// platform held then (DESIGN.md §2).
	AsOf    string `json:"as_of,omitempty"`
	KnownBy string `json:"known_by,omitempty"`
	// Features specifies a feature matrix (dataset "features").
	Features *FeatureSpec `json:"features,omitempty"`
	// Algorithm and Version name the imaging AI tool an AI-evaluation
	// dataset (ai_evaluation_*) evaluates.
	Algorithm string `json:"algorithm,omitempty"`
	Version   string `json:"version,omitempty"`
}

// CohortSpec selects subjects: every condition given must hold. The empty
// spec selects every subject (subject to the caller's role limit).
type CohortSpec struct {
	// Subjects are subject ids (identified roles) or pseudonyms
	// (researchers), as JSON numbers or strings.
	Subjects []SubjectRef `json:"subjects,omitempty"`
	// HasCodes keeps subjects with a current event of any of these codes.
	HasCodes []string `json:"has_codes,omitempty"`
	// Name is a saved cohort (see the save_cohort action).
	Name string `json:"name,omitempty"`
}

// IsZero reports whether the spec selects every subject.
func (c CohortSpec) IsZero() bool {
	return len(c.Subjects) == 0 && len(c.HasCodes) == 0 && c.Name == ""
}

// SubjectRef is a subject id or a pseudonym, from a JSON number or string.
type SubjectRef string

// UnmarshalJSON accepts a number or a string.
func (r *SubjectRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = SubjectRef(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a subject is a number or a string")
	}
	*r = SubjectRef(n.String())
	return nil
}

// MarshalJSON writes an id as a number and a pseudonym as a string.
func (r SubjectRef) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseInt(string(r), 10, 64); err == nil {
		return []byte(r), nil
	}
	return json.Marshal(string(r))
}

// maxDescriptorBytes bounds a descriptor's JSON.
const maxDescriptorBytes = 4 << 20

// ParseDescriptor reads a descriptor's JSON strictly: unknown fields,
// trailing data and oversized input are errors wrapping ErrBadRequest.
func ParseDescriptor(b []byte) (Descriptor, error) {
	var d Descriptor
	if len(b) > maxDescriptorBytes {
		return d, fmt.Errorf("%w: descriptor of %d bytes exceeds %d", ErrBadRequest, len(b), maxDescriptorBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%w: descriptor JSON: %s", ErrBadRequest, jsonError(err))
	}
	if dec.More() {
		return d, fmt.Errorf("%w: descriptor JSON: data after the object", ErrBadRequest)
	}
	if d.Dataset == "" {
		return d, fmt.Errorf("%w: descriptor names no dataset (want one of %s)", ErrBadRequest, strings.Join(DatasetNames(), ", "))
	}
	return d, nil
}

func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asErr(err, &se):
		return fmt.Sprintf("syntax error at byte %d: %v", se.Offset, se)
	case asErr(err, &te):
		return fmt.Sprintf("field %q: want %s", te.Field, te.Type)
	}
	return err.Error()
}

// ParseQuery reads the query parameters of GET /arrow/{dataset}: subjects,
// has_codes, cohort (a saved cohort's name), columns, codes and kinds
// (comma-separated or repeated), from, to, as_of, known_by,
// exclude_static, features (a feature spec's JSON), and algorithm and
// version (AI-evaluation datasets). Unknown
// parameters are refused.
func ParseQuery(dataset string, q url.Values) (Descriptor, error) {
	d := Descriptor{Dataset: dataset}
	list := func(k string) []string {
		var out []string
		for _, v := range q[k] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	for k, vs := range q {
		switch k {
		case "subjects":
			for _, s := range list(k) {
				d.Cohort.Subjects = append(d.Cohort.Subjects, SubjectRef(s))
			}
		case "has_codes", "has_code":
			d.Cohort.HasCodes = append(d.Cohort.HasCodes, list(k)...)
		case "cohort":
			d.Cohort.Name = vs[len(vs)-1]
		case "columns":
			d.Columns = list(k)
		case "codes":
			d.Codes = list(k)
		case "kinds":
			d.Kinds = list(k)
		case "from":
			d.From = vs[len(vs)-1]
		case "to":
			d.To = vs[len(vs)-1]
		case "as_of":
			d.AsOf = vs[len(vs)-1]
		case "known_by":
			d.KnownBy = vs[len(vs)-1]
		case "exclude_static":
			b, err := strconv.ParseBool(vs[len(vs)-1])
			if err != nil {
				return d, fmt.Errorf("%w: exclude_static: want true or false", ErrBadRequest)
			}
			d.ExcludeStatic = b
		case "algorithm":
			d.Algorithm = strings.TrimSpace(vs[len(vs)-1])
		case "version":
			d.Version = strings.TrimSpace(vs[len(vs)-1])
		case "features":
			var fs FeatureSpec
			dec := json.NewDecoder(strings.NewReader(vs[len(vs)-1]))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&fs); err != nil {
				return d, fmt.Errorf("%w: features JSON: %s", ErrBadRequest, jsonError(err))
			}
			d.Features = &fs
		default:
			return d, fmt.Errorf("%w: unknown parameter %q (want subjects, has_codes, cohort, columns, codes, kinds, from, to, as_of, known_by, exclude_static, features, algorithm, version)", ErrBadRequest, k)
		}
	}
	return d, nil
}

// parseTime reads a time parameter: RFC 3339 or a date (UTC midnight).
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: want RFC 3339 (2024-03-01T00:00:00Z) or a date (2024-03-01)", ErrBadRequest, field, s)
}
