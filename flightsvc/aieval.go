package flightsvc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/store"
)

// The AI-evaluation datasets are the Arrow tables of package evaluation
// (evaluation.Tables: ai_evaluation_pairs, _agreement, _change_points,
// _categories, _labels), computed for the descriptor's algorithm (and
// version) over every patient with the tool's outputs. They take no
// cohort, codes or kinds; from/to bound the studies evaluated and
// as_of/known_by are the two clocks. The evaluation writes one audit entry
// per patient before it reads the patient's data (the stream's own
// cohort-wide audit does not apply). ai_evaluation_pairs holds one row per
// patient value: researchers see it pseudonymised (subject pseudonyms,
// shifted times, study UIDs and findings as keyed tokens) and it counts
// against the role's subject limit; the other tables are aggregates, whose
// dates researchers see at the start of their calendar month. Researchers
// bound an evaluation by whole months only, so that narrowing a window
// cannot reveal a patient's real study date. One endpoint: the figures
// need every patient at once.

// evalDatasets returns the evaluation tables as datasets.
func evalDatasets() []*dataset {
	var out []*dataset
	for _, t := range evaluation.Tables() {
		sc, _ := evaluation.Schema(t)
		cs := make(columns, 0, sc.NumFields())
		for _, f := range sc.Fields() {
			c := column{field: f}
			if t == evaluation.TablePairs {
				switch f.Name {
				case "subject_id":
					c.policy = subject
				case "time":
					c.policy = shifted
				case "study_uid":
					c.policy, c.ns = token, "study"
				case "finding":
					c.policy, c.ns = token, "lesion"
				}
			}
			cs = append(cs, c)
		}
		out = append(out, &dataset{name: t, cols: cs, eval: t,
			doc: "AI-tool evaluation (package evaluation): " + t + " of the descriptor's algorithm (and version)"})
	}
	return out
}

// aggregate reports whether a dataset holds no row of a patient.
func (ds *dataset) aggregate() bool { return ds.eval != "" && ds.eval != evaluation.TablePairs }

// resolveEval checks the terms of an AI-evaluation descriptor.
func resolveEval(p auth.Principal, d Descriptor, r *request) error {
	if d.Algorithm == "" {
		return fmt.Errorf("%w: dataset %s needs an algorithm (algorithm=NAME)", ErrBadRequest, d.Dataset)
	}
	if !d.Cohort.IsZero() || len(d.Codes) > 0 || len(d.Kinds) > 0 || d.ExcludeStatic || d.Features != nil {
		return fmt.Errorf("%w: dataset %s evaluates every patient with the tool's outputs: no cohort, codes, kinds, exclude_static or features", ErrBadRequest, d.Dataset)
	}
	if !p.Role.Identified() {
		for _, t := range []struct {
			name string
			v    time.Time
		}{{"from", r.From}, {"to", r.To}, {"as_of", r.AsOf}, {"known_by", r.KnownBy}} {
			if !t.v.IsZero() && !t.v.Equal(monthOf(t.v)) {
				return fmt.Errorf("%w: %s: researchers bound an AI evaluation by whole months (the 1st of a month at 00:00 UTC)", ErrBadRequest, t.name)
			}
		}
	}
	r.Algorithm, r.Version = d.Algorithm, d.Version
	return nil
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// evalSubjects lists the patients an evaluation reads.
func (s *Service) evalSubjects(ctx context.Context, r *request) ([]int64, error) {
	ids, err := evaluation.Subjects(ctx, s.store, r.Algorithm, r.Version, store.Filter{AsOf: r.AsOf, KnownBy: r.KnownBy})
	if err != nil {
		return nil, fmt.Errorf("flightsvc: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no patient has an output of algorithm %q", ErrUnknownCohort, r.Algorithm)
	}
	return ids, nil
}

// evalLimit enforces the role's subject limit on the pairs table (the
// aggregates hold no patient's row).
func (s *Service) evalLimit(ctx context.Context, p auth.Principal, r *request, ds *dataset) error {
	ids, err := s.evalSubjects(ctx, r)
	if err != nil {
		return err
	}
	if limit := s.maxSubjects(p.Role); limit > 0 && !ds.aggregate() && len(ids) > limit {
		return fmt.Errorf("%w: the evaluation reads %d patients' pairs, more than %d, the %s role's limit per request: use a version or a window (from, to), or the aggregate tables", ErrCohortTooLarge, len(ids), limit, p.Role)
	}
	return nil
}

// planEval answers GetFlightInfo for an evaluation table: one endpoint.
func (s *Service) planEval(ctx context.Context, p auth.Principal, r *request, ds *dataset) (*Plan, error) {
	if err := s.evalLimit(ctx, p, r, ds); err != nil {
		return nil, err
	}
	r.Expires = s.now().Add(s.ttl)
	tk, err := s.sealer.seal(r)
	if err != nil {
		return nil, err
	}
	return &Plan{Schema: s.lensFor(ds, r).schema, Rows: -1, Subjects: -1, Tickets: [][]byte{tk}}, nil
}

// evalSource evaluates the tool and yields the dataset's table. Each chunk
// of patients is audited (the stream's action, the table's columns) before
// it is read.
func (st *Stream) evalSource() source {
	s, r, ds := st.s, st.r, st.ds
	return func(ctx context.Context, fn func(arrow.Record) error) error {
		opt := evaluation.DefaultOptions(r.Algorithm)
		opt.Version, opt.From, opt.To, opt.AsOf, opt.KnownBy = r.Version, r.From, r.To, r.AsOf, r.KnownBy
		opt.Codes = s.codes
		opt.Audit = &store.AuditEntry{Actor: st.p.Name, Role: string(st.p.Role), Action: st.action, Fields: st.fields, Detail: "request=" + st.id}
		rep, err := evaluation.Evaluate(ctx, s.store, opt)
		if errors.Is(err, evaluation.ErrNoOutputs) {
			return fmt.Errorf("%w: %v", ErrUnknownCohort, err)
		}
		if err != nil {
			return fmt.Errorf("flightsvc: evaluation: %w", err)
		}
		if !r.Role.Identified() {
			monthDates(rep)
		}
		rec, err := rep.Record(s.mem, ds.eval)
		if err != nil {
			return err
		}
		defer rec.Release()
		return fn(rec)
	}
}

// monthDates moves every date of a report's aggregates to the start of its
// month (pairs keep theirs: the lens shifts them per patient).
func monthDates(rep *evaluation.Report) {
	m := func(t *time.Time) {
		if !t.IsZero() {
			*t = monthOf(*t)
		}
	}
	for i := range rep.Versions {
		m(&rep.Versions[i].First)
		m(&rep.Versions[i].Last)
	}
	for i := range rep.Quantities {
		q := &rep.Quantities[i]
		for _, ss := range [][]evaluation.Stratum{q.ByVersion, q.BySite, q.ByScanner, q.ByMonth} {
			for j := range ss {
				m(&ss[j].First)
				m(&ss[j].Last)
			}
		}
		for j := range q.ChangePoints {
			m(&q.ChangePoints[j].At)
		}
		if q.Drift != nil && q.Drift.ShiftAt != nil {
			m(q.Drift.ShiftAt)
		}
	}
}
