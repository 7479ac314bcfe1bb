package twin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Twin is one digital twin: a pure, deterministic function of a View. Name
// is the key its result takes in `medtwin twin --json` (and the field the
// GraphQL API exposes it as). The list of twins the CLI and servers compute
// is assembled in one place, package twin/all.
type Twin struct {
	Name    string
	Compute func(v *View) (any, error)
}

// Result is one twin's output for one patient.
type Result struct {
	Name  string
	Value any
	Err   error
}

// Report is every twin of one patient as of a time.
type Report struct {
	Subject int64
	// AsOf is the view's as-of time (zero: everything known).
	AsOf time.Time
	// Reference is the time the twins stood at (View.Reference).
	Reference time.Time
	Results   []Result
}

// Compute runs every twin on the view. A twin that fails gives its error in
// its Result; the others still run.
func Compute(v *View, twins []Twin) Report {
	r := Report{Subject: v.Subject, AsOf: v.AsOf, Reference: v.Reference()}
	for _, t := range twins {
		val, err := t.Compute(v)
		if err != nil {
			err = fmt.Errorf("twin %s: %w", t.Name, err)
		}
		r.Results = append(r.Results, Result{Name: t.Name, Value: val, Err: err})
	}
	return r
}

// Err returns the first twin error, if any.
func (r Report) Err() error {
	for _, res := range r.Results {
		if res.Err != nil {
			return res.Err
		}
	}
	return nil
}

// MarshalJSON writes {"subject":…, "asOf":…, "reference":…, "<twin>":…, …}
// with the twins in registry order; a failed twin is {"error": "…"}.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"subject":`)
	fmt.Fprintf(&b, "%d", r.Subject)
	for _, kv := range []struct {
		k string
		t time.Time
	}{{"asOf", r.AsOf}, {"reference", r.Reference}} {
		b.WriteString(`,"` + kv.k + `":`)
		if kv.t.IsZero() {
			b.WriteString("null")
		} else {
			j, _ := json.Marshal(kv.t)
			b.Write(j)
		}
	}
	for _, res := range r.Results {
		k, _ := json.Marshal(res.Name)
		b.WriteByte(',')
		b.Write(k)
		b.WriteByte(':')
		var v any = res.Value
		if res.Err != nil {
			v = map[string]string{"error": res.Err.Error()}
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("twin %s: %w", res.Name, err)
		}
		b.Write(j)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
