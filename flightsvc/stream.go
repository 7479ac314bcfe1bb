package flightsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/store"
)

// Audit actions: the service that read a patient's data.
const (
	ActionFlight    = "flight"
	ActionHTTPArrow = "http-arrow"
)

// Stream is one read of a dataset for one caller: its schema is known
// before the first row, so that the edges can answer errors with a status
// before streaming.
type Stream struct {
	s      *Service
	r      *request
	ds     *dataset
	lens   *lens
	p      auth.Principal
	action string
	id     string
	fields []string
}

// Open checks a ticket (see Plan) for a principal and returns its stream.
func (s *Service) Open(ctx context.Context, p auth.Principal, ticket []byte, action string) (*Stream, error) {
	r, ds, err := s.open(ctx, p, ticket)
	if err != nil {
		return nil, err
	}
	return s.newStream(p, r, ds, action), nil
}

// OpenDescriptor resolves a descriptor for a principal, enforces the
// role's subject limit, and returns the stream of the whole cohort.
func (s *Service) OpenDescriptor(ctx context.Context, p auth.Principal, d Descriptor, action string) (*Stream, error) {
	r, ds, err := s.resolve(ctx, p, d)
	if err != nil {
		return nil, err
	}
	if err := s.checkRequestLimit(ctx, p, r, ds); err != nil {
		return nil, err
	}
	return s.newStream(p, r, ds, action), nil
}

// checkRequestLimit enforces the role's subject limit on a request.
func (s *Service) checkRequestLimit(ctx context.Context, p auth.Principal, r *request, ds *dataset) error {
	if ds.eval != "" {
		return s.evalLimit(ctx, p, r, ds)
	}
	return s.checkLimit(ctx, p, r.Cohort)
}

func (s *Service) checkLimit(ctx context.Context, p auth.Principal, c store.Cohort) error {
	limit := s.maxSubjects(p.Role)
	if limit <= 0 {
		return nil
	}
	n := 0
	if err := s.eachSubject(ctx, c, false, func(int64) bool { n++; return n <= limit }); err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("%w: the cohort has more than %d subjects, the %s role's limit per request: narrow it (has_codes, subjects, a saved cohort)", ErrCohortTooLarge, limit, p.Role)
	}
	return nil
}

func (s *Service) newStream(p auth.Principal, r *request, ds *dataset, action string) *Stream {
	l := s.lensFor(ds, r)
	var b [8]byte
	rand.Read(b[:])
	st := &Stream{s: s, r: r, ds: ds, lens: l, p: p, action: action, id: hex.EncodeToString(b[:])}
	for _, f := range l.schema.Fields() {
		st.fields = append(st.fields, ds.name+"."+f.Name)
	}
	return st
}

// Schema is the schema of the records the caller receives.
func (st *Stream) Schema() *arrow.Schema { return st.lens.schema }

// ID identifies the stream in logs and the audit log.
func (st *Stream) ID() string { return st.id }

// sources returns the store reads of the stream, in order.
func (st *Stream) sources(ctx context.Context) ([]source, error) {
	s, r, ds := st.s, st.r, st.ds
	if ds.eval != "" {
		return []source{st.evalSource()}, nil
	}
	if ds.isMatrix && (r.Role.Identified() || r.KnownBy.IsZero()) {
		// Index times and as_of move per subject inside the matrix.
		return []source{s.matrixSource(r, r.Cohort, r.KnownBy)}, nil
	}
	if !ds.isMatrix && (r.Role.Identified() || !r.timeBound()) {
		src, err := ds.open(ctx, s, r.Cohort, r.filter(0, s.batchRows(), ds.kinds))
		if err != nil {
			return nil, err
		}
		return []source{src}, nil
	}
	groups, shifts, err := s.shiftGroups(ctx, r.Cohort)
	if err != nil {
		return nil, err
	}
	out := make([]source, 0, len(groups))
	for i, g := range groups {
		c := store.Cohort{SubjectIDs: g, HasCodes: r.Cohort.HasCodes}
		f := r.filter(shifts[i], s.batchRows(), ds.kinds)
		if ds.isMatrix {
			out = append(out, s.matrixSource(r, c, f.KnownBy))
			continue
		}
		src, err := ds.open(ctx, s, c, f)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

// Run streams the records: the store read runs in a goroutine of its own
// (so reading and sending overlap), at most two records ahead. Before any
// row is read, every subject of the stream's cohort is written to the
// audit log (a subject whose rows the filters exclude is recorded too: the
// log errs on the side of recording), so that no write competes with the
// open scans for the store's connections; a failed audit write ends the
// stream before any data. When out fails or ctx ends, the read is
// cancelled and every record released before Run returns.
func (st *Stream) Run(ctx context.Context, out func(arrow.Record) error) error {
	s := st.s
	s.active.Add(1)
	defer s.active.Add(-1)
	if err := st.audit(ctx); err != nil {
		return err
	}
	srcs, err := st.sources(ctx)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan arrow.Record, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		var err error
		for _, src := range srcs {
			err = src(pctx, func(rec arrow.Record) error {
				rec.Retain()
				select {
				case ch <- rec:
					return nil
				case <-pctx.Done():
					rec.Release()
					return pctx.Err()
				}
			})
			if err != nil {
				break
			}
		}
		errc <- err
	}()
	for rec := range ch {
		err := st.emit(rec, out)
		rec.Release()
		if err != nil {
			cancel()
			for r := range ch {
				r.Release()
			}
			<-errc
			return err
		}
	}
	return <-errc
}

// auditChunk bounds the entries of one audit write.
const auditChunk = 5000

// audit writes one entry per subject of the stream's cohort.
func (st *Stream) audit(ctx context.Context) error {
	if st.ds.eval != "" {
		return nil // the evaluation audits each patient before reading it
	}
	now := st.s.now()
	var entries []store.AuditEntry
	var werr error
	flush := func() bool {
		if len(entries) == 0 {
			return true
		}
		if werr = st.s.store.WriteAudit(ctx, entries...); werr != nil {
			werr = fmt.Errorf("flightsvc: audit log (data withheld): %w", werr)
			return false
		}
		entries = entries[:0]
		return true
	}
	err := st.s.eachSubject(ctx, st.r.Cohort, true, func(sid int64) bool {
		entries = append(entries, store.AuditEntry{Time: now, Actor: st.p.Name, Role: string(st.p.Role), SubjectID: sid,
			Action: st.action, Fields: st.fields, Detail: "request=" + st.id})
		return len(entries) < auditChunk || flush()
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	flush()
	return werr
}

func (st *Stream) emit(rec arrow.Record, out func(arrow.Record) error) error {
	if rec.NumRows() == 0 {
		return nil
	}
	view, err := st.lens.apply(rec)
	if err != nil {
		return err
	}
	defer view.Release()
	return out(view)
}
