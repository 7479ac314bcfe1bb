package graph

import (
	"context"
	"errors"
	"time"

	"github.com/medtwin/medtwin/evaluation"
	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
)

// auditFieldAIEvaluation is the audit log's field for every patient an
// AI evaluation reads.
const auditFieldAIEvaluation = "aiEvaluation"

type aiEvaluationArgs struct {
	algorithm               string
	version                 *string
	from, to, asOf, knownBy *time.Time
	alpha                   *float64
	minPairs                *int
}

// aiEvaluation evaluates a tool on the store (package evaluation). Every
// role may ask: clinicians and admins see it identified, researchers
// through the AI lens (aggregate dates to the month, pairs pseudonymised)
// and with month-aligned windows only, so that narrowing a window cannot
// reveal a patient's real study date. Every patient read is recorded for
// the request's audit entries before its data is used.
func (r *Resolver) aiEvaluation(ctx context.Context, a aiEvaluationArgs) (*model.AIEvaluation, error) {
	q := reqFrom(ctx)
	identified := q.principal.Role.Identified()
	opt := evaluation.DefaultOptions(a.algorithm)
	if a.version != nil {
		opt.Version = *a.version
	}
	for _, t := range []struct {
		name string
		in   *time.Time
		out  *time.Time
	}{{"from", a.from, &opt.From}, {"to", a.to, &opt.To}, {"asOf", a.asOf, &opt.AsOf}, {"knownBy", a.knownBy, &opt.KnownBy}} {
		if t.in == nil || t.in.IsZero() {
			continue
		}
		v := t.in.UTC()
		if !identified && !v.Equal(time.Date(v.Year(), v.Month(), 1, 0, 0, 0, 0, time.UTC)) {
			return nil, badInput("%s: researchers bound an AI evaluation by whole months (the 1st of a month at 00:00 UTC)", t.name)
		}
		*t.out = v
	}
	if a.alpha != nil {
		if !(*a.alpha > 0 && *a.alpha < 1) {
			return nil, badInput("alpha must lie within (0, 1)")
		}
		opt.Alpha = *a.alpha
	}
	if a.minPairs != nil {
		if *a.minPairs < 2 {
			return nil, badInput("minPairs must be at least 2")
		}
		opt.MinPairs = *a.minPairs
	}
	opt.Codes = r.cfg.Codes
	opt.OnRead = func(subjects []int64) error {
		for _, s := range subjects {
			q.touch(s, auditFieldAIEvaluation)
		}
		return nil
	}
	rep, err := evaluation.Evaluate(ctx, r.cfg.Store, opt)
	switch {
	case errors.Is(err, evaluation.ErrOptions):
		return nil, badInput("%s", err.Error())
	case errors.Is(err, evaluation.ErrNoOutputs):
		return nil, notFound("no output of algorithm %q in the store (aiAlgorithms lists them)", opt.Algorithm)
	case err != nil:
		return nil, err
	}
	return &model.AIEvaluation{R: rep, L: &model.AILens{Identified: identified, Pseudo: r.cfg.Pseudo}}, nil
}

// aiAlgorithms lists the tools whose outputs the store holds: counts only,
// no patient data, so nothing to audit.
func (r *Resolver) aiAlgorithms(ctx context.Context) ([]*model.AIAlgorithm, error) {
	algs, err := evaluation.Algorithms(ctx, r.cfg.Store, store.Filter{})
	if err != nil {
		return nil, err
	}
	out := make([]*model.AIAlgorithm, len(algs))
	for i, a := range algs {
		out[i] = &model.AIAlgorithm{A: a}
	}
	return out, nil
}

// aiPairs pages the rows behind an evaluation's figures.
func (r *Resolver) aiPairs(e *model.AIEvaluation, quantity, status *string, a pageArgs) (*model.AIPairConnection, error) {
	if status != nil {
		switch *status {
		case evaluation.StatusPaired, evaluation.StatusAIOnly, evaluation.StatusReferenceOnly:
		default:
			return nil, badInput("status: want %s, %s or %s", evaluation.StatusPaired, evaluation.StatusAIOnly, evaluation.StatusReferenceOnly)
		}
	}
	keep := func(p evaluation.Pair) bool {
		return (quantity == nil || p.Quantity == *quantity) && (status == nil || p.Status == *status)
	}
	return indexPage(r, e.R.Pairs, scopeAIPairs, 0, a, keep, func(p *evaluation.Pair) *model.AIPair { return &model.AIPair{P: p, L: e.L} })
}
