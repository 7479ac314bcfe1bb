package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"sync"
	"time"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/store"
)

// request is the state of one GraphQL request: who asks, how each patient
// looks to them, and which patients' data the response holds (for the
// audit log).
type request struct {
	id        string
	principal auth.Principal
	res       *Resolver

	mu      sync.Mutex
	touched map[int64]map[string]struct{}
	lenses  map[int64]*model.Lens
	spliced []byte // rendered data the response writer splices in (splice.go)
}

func (q *request) keepSpliced(data []byte) {
	q.mu.Lock()
	q.spliced = data
	q.mu.Unlock()
}

func (q *request) takeSpliced() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	d := q.spliced
	q.spliced = nil
	return d
}

type requestKey struct{}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func withRequest(ctx context.Context, q *request) context.Context {
	return context.WithValue(ctx, requestKey{}, q)
}

func reqFrom(ctx context.Context) *request {
	q, _ := ctx.Value(requestKey{}).(*request)
	return q
}

// requestID returns the id of the request ctx belongs to ("-" outside one).
func requestID(ctx context.Context) string {
	if q := reqFrom(ctx); q != nil {
		return q.id
	}
	return "-"
}

// touch records that the response holds field of subject.
func (q *request) touch(subject int64, field string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f, ok := q.touched[subject]
	if !ok {
		f = map[string]struct{}{}
		q.touched[subject] = f
	}
	f[field] = struct{}{}
}

// auditEntries returns one entry per touched patient, fields sorted.
func (q *request) auditEntries(now time.Time, operation string) []store.AuditEntry {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]store.AuditEntry, 0, len(q.touched))
	detail := "request=" + q.id
	if operation != "" {
		if len(operation) > 64 {
			operation = operation[:64]
		}
		detail += " operation=" + operation
	}
	for s, fs := range q.touched {
		fields := make([]string, 0, len(fs))
		for f := range fs {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		out = append(out, store.AuditEntry{
			Time: now, Actor: q.principal.Name, Role: string(q.principal.Role), SubjectID: s,
			Action: "graphql", Fields: fields, Detail: detail,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SubjectID < out[j].SubjectID })
	return out
}

// lens returns how the caller sees subject.
func (q *request) lens(subject int64) *model.Lens {
	q.mu.Lock()
	defer q.mu.Unlock()
	if l, ok := q.lenses[subject]; ok {
		return l
	}
	l := &model.Lens{Identified: q.principal.Role.Identified(), Codes: q.res.cfg.Codes}
	if !l.Identified {
		l.Shift = q.res.cfg.Pseudo.Shift(subject)
		l.Token = q.res.cfg.Pseudo.Token
	}
	q.lenses[subject] = l
	return l
}

// unshift turns a time argument the caller gave for subject into a real
// time (researchers work in the subject's shifted calendar).
func (q *request) unshift(subject int64, t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	if q.principal.Role.Identified() {
		return t.UTC()
	}
	return q.res.cfg.Pseudo.UnshiftTime(subject, t.UTC())
}
