// Package sqlq builds the WHERE clauses that both SQL backends share from
// store filters and cohorts, with bind parameters only: no value is ever
// spliced into SQL text.
package sqlq

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Dialect adapts the clauses to a backend.
type Dialect interface {
	// Placeholder returns the n-th (1-based) bind placeholder.
	Placeholder(n int) string
	// Time converts a time to the bind value of a time column.
	Time(t time.Time) any
	// Prefix returns an expression true when col starts with the bound
	// parameter p (a string) — byte-wise, whatever the collation.
	Prefix(col, p string) string
	// IDList returns an expression "col IN <ids>" for a bound id list and
	// the value to bind.
	IDList(col, p string, ids []int64) (string, any)
}

// Query accumulates conditions and their arguments.
type Query struct {
	D     Dialect
	Args  []any
	Conds []string
}

// Bind adds an argument and returns its placeholder.
func (q *Query) Bind(v any) string {
	q.Args = append(q.Args, v)
	return q.D.Placeholder(len(q.Args))
}

// Add appends a condition.
func (q *Query) Add(cond string) { q.Conds = append(q.Conds, cond) }

// Where returns " WHERE c1 AND c2 …" or "".
func (q *Query) Where() string {
	if len(q.Conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.Conds, " AND ")
}

// And returns the conditions joined by AND ("TRUE"-like 1=1 when none).
func (q *Query) And() string {
	if len(q.Conds) == 0 {
		return "1=1"
	}
	return strings.Join(q.Conds, " AND ")
}

// Filter adds the conditions of f on the events table aliased a ("" for
// no alias).
func (q *Query) Filter(a string, f store.Filter) {
	c := func(col string) string {
		if a == "" {
			return col
		}
		return a + "." + col
	}
	if !f.KnownBy.IsZero() {
		k := q.Bind(q.D.Time(f.KnownBy))
		k2 := q.Bind(q.D.Time(f.KnownBy))
		q.Add(fmt.Sprintf("%s <= %s AND (%s IS NULL OR %s > %s)", c("recorded_at"), k, c("superseded_at"), c("superseded_at"), k2))
	} else {
		q.Add(c("superseded_at") + " IS NULL")
	}
	if !f.AsOf.IsZero() {
		q.Add(fmt.Sprintf("(%s IS NULL OR COALESCE(%s, %s) <= %s)", c("time"), c("available_at"), c("time"), q.Bind(q.D.Time(f.AsOf))))
	}
	if f.ExcludeStatic {
		q.Add(c("time") + " IS NOT NULL")
	}
	if !f.From.IsZero() {
		q.Add(fmt.Sprintf("(%s IS NULL OR %s >= %s)", c("time"), c("time"), q.Bind(q.D.Time(f.From))))
	}
	if !f.To.IsZero() {
		q.Add(fmt.Sprintf("(%s IS NULL OR %s < %s)", c("time"), c("time"), q.Bind(q.D.Time(f.To))))
	}
	if len(f.Kinds) > 0 {
		ps := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ps[i] = q.Bind(int(k))
		}
		q.Add(fmt.Sprintf("%s IN (%s)", c("kind"), strings.Join(ps, ",")))
	}
	if len(f.Codes) > 0 {
		q.Add(q.Codes(c("code"), f.Codes))
	}
}

// Codes returns a condition matching col against codes (exact, or by
// prefix for a trailing "*").
func (q *Query) Codes(col string, codes []string) string {
	var parts, exact []string
	for _, code := range codes {
		if p, ok := strings.CutSuffix(code, "*"); ok {
			parts = append(parts, q.D.Prefix(col, q.Bind(p)))
		} else {
			exact = append(exact, q.Bind(code))
		}
	}
	if len(exact) > 0 {
		parts = append(parts, fmt.Sprintf("%s IN (%s)", col, strings.Join(exact, ",")))
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// Cohort adds the conditions of c on a table aliased a that has
// subject_id. events names the events table and codes the
// (code, subject_id) table used to find subjects that have a code.
func (q *Query) Cohort(a string, c store.Cohort, events, codes string) {
	col := "subject_id"
	if a != "" {
		col = a + ".subject_id"
	}
	if c.SubjectIDs != nil {
		p := q.D.Placeholder(len(q.Args) + 1)
		expr, v := q.D.IDList(col, p, c.SubjectIDs)
		q.Args = append(q.Args, v)
		q.Add(expr)
	}
	if c.MinSubject > 0 {
		q.Add(fmt.Sprintf("%s >= %s", col, q.Bind(c.MinSubject)))
	}
	if c.MaxSubject > 0 {
		q.Add(fmt.Sprintf("%s <= %s", col, q.Bind(c.MaxSubject)))
	}
	if len(c.HasCodes) > 0 {
		q.Add(fmt.Sprintf("%s IN (SELECT sc.subject_id FROM %s sc WHERE %s AND EXISTS (SELECT 1 FROM %s he WHERE he.subject_id = sc.subject_id AND he.code = sc.code AND he.superseded_at IS NULL))",
			col, codes, q.Codes("sc.code", c.HasCodes), events))
	}
}

// Subjects adds the conditions of a subject query on the subjects table
// aliased s.
func (q *Query) Subjects(sq store.SubjectQuery, events, codes string) {
	exists := func(cond string) {
		q.Add(fmt.Sprintf("EXISTS (SELECT 1 FROM %s e WHERE e.subject_id = s.subject_id AND e.superseded_at IS NULL AND %s)", events, cond))
	}
	if sq.After > 0 {
		q.Add("s.subject_id > " + q.Bind(sq.After))
	}
	if len(sq.HasCodes) > 0 {
		q.Add(fmt.Sprintf("EXISTS (SELECT 1 FROM %s sc WHERE sc.subject_id = s.subject_id AND %s AND EXISTS (SELECT 1 FROM %s he WHERE he.subject_id = sc.subject_id AND he.code = sc.code AND he.superseded_at IS NULL))",
			codes, q.Codes("sc.code", sq.HasCodes), events))
	}
	if len(sq.HasKinds) > 0 {
		ps := make([]string, len(sq.HasKinds))
		for i, k := range sq.HasKinds {
			ps[i] = q.Bind(int(k))
		}
		exists(fmt.Sprintf("e.kind IN (%s)", strings.Join(ps, ",")))
	}
	if sq.Sex != "" {
		exists("e.code = " + q.Bind("GENDER//"+sq.Sex))
	}
	if !sq.BornFrom.IsZero() || !sq.BornTo.IsZero() {
		cond := "e.code = " + q.Bind(timeline.CodeBirth)
		if !sq.BornFrom.IsZero() {
			cond += " AND e.time >= " + q.Bind(q.D.Time(sq.BornFrom))
		}
		if !sq.BornTo.IsZero() {
			cond += " AND e.time < " + q.Bind(q.D.Time(sq.BornTo))
		}
		exists(cond)
	}
	if sq.SourcePrefix != "" {
		exists(q.D.Prefix("e.source", q.Bind(sq.SourcePrefix)))
	}
}

// Audit adds the conditions of an audit-log query on the audit table.
func (q *Query) Audit(aq store.AuditQuery) {
	if aq.SubjectID != 0 {
		q.Add("subject_id = " + q.Bind(aq.SubjectID))
	}
	if aq.Actor != "" {
		q.Add("actor = " + q.Bind(aq.Actor))
	}
	if !aq.Since.IsZero() {
		q.Add("time >= " + q.Bind(q.D.Time(aq.Since)))
	}
	if !aq.Until.IsZero() {
		q.Add("time < " + q.Bind(q.D.Time(aq.Until)))
	}
}

// CheckIdentifiers rejects an empty identifier list or an identifier with
// an empty system or value.
func CheckIdentifiers(ids []timeline.Identifier) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: no identifier", store.ErrInvalid)
	}
	for _, id := range ids {
		if id.System == "" || id.Value == "" {
			return fmt.Errorf("%w: identifier with an empty system or value", store.ErrInvalid)
		}
	}
	return nil
}

// Details returns the query of the rows of detail table t (columns in its
// Arrow schema's order) whose events pass c and f, ordered by subject,
// event time (static first) and record key; ok is false for an unknown
// table.
func (q *Query) Details(t timeline.DetailTable, c store.Cohort, f store.Filter) (query string, ok bool) {
	schema := t.Schema()
	if schema == nil {
		return "", false
	}
	cols := make([]string, schema.NumFields())
	order := ""
	for i, fl := range schema.Fields() {
		cols[i] = `d."` + fl.Name + `"`
		if t == timeline.Imaging && fl.Name == "series_uid" {
			// Part of the imaging key, stored '' when absent (migration 0002).
			cols[i] = `NULLIF(d."series_uid", '')`
			order = `, d."series_uid"`
		}
	}
	q.Cohort("d", c, "events", "subject_codes")
	q.Filter("e", f)
	return `SELECT ` + strings.Join(cols, ", ") + ` FROM "` + string(t) + `" d JOIN events e ON e.subject_id = d.subject_id AND e.record_key = d.record_key` +
		q.Where() + ` ORDER BY d.subject_id, e.time NULLS FIRST, d.record_key` + order, true
}

// cohortJSON is the stored form of a saved cohort's definition.
type cohortJSON struct {
	SubjectIDs []int64  `json:"subject_ids,omitempty"`
	HasCodes   []string `json:"has_codes,omitempty"`
	MinSubject int64    `json:"min_subject,omitempty"`
	MaxSubject int64    `json:"max_subject,omitempty"`
	// Frozen distinguishes an empty frozen list from no list.
	Frozen bool `json:"frozen,omitempty"`
}

// EncodeCohort returns the JSON definition of a cohort.
func EncodeCohort(c store.Cohort) ([]byte, error) {
	return json.Marshal(cohortJSON{SubjectIDs: c.SubjectIDs, HasCodes: c.HasCodes, MinSubject: c.MinSubject,
		MaxSubject: c.MaxSubject, Frozen: c.SubjectIDs != nil})
}

// DecodeCohort reads a cohort's JSON definition.
func DecodeCohort(b []byte) (store.Cohort, error) {
	var j cohortJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return store.Cohort{}, fmt.Errorf("cohort definition: %w", err)
	}
	c := store.Cohort{SubjectIDs: j.SubjectIDs, HasCodes: j.HasCodes, MinSubject: j.MinSubject, MaxSubject: j.MaxSubject}
	if j.Frozen && c.SubjectIDs == nil {
		c.SubjectIDs = []int64{}
	}
	return c, nil
}

// SelectList returns the select list of cols of the table aliased a, each
// column f's projection leaves out (store.Filter.Wants) replaced by
// null(col), so that the result keeps its layout.
func SelectList(a string, cols []string, f store.Filter, null func(col string) string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if f.Wants(c) {
			b.WriteString(a + "." + c)
		} else {
			b.WriteString(null(c) + " AS " + c)
		}
	}
	return b.String()
}
