package flightsvc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// Config configures a Service.
type Config struct {
	Store store.Store
	// Auth verifies bearer tokens (the tokens file and JWT verifiers the
	// GraphQL endpoint uses).
	Auth auth.Authenticator
	// Pseudo pseudonymises researchers' data (required; share the GraphQL
	// server's, so that pseudonyms and date shifts agree).
	Pseudo *pseudo.Pseudonymizer
	Codes  *timeline.CodeTable
	Limits Limits
	// TicketKey seals tickets (32 bytes or more; a random key when nil, so
	// tickets die with the process).
	TicketKey []byte
	// TicketTTL bounds a ticket's life (default 1 hour).
	TicketTTL time.Duration
	Logger    *slog.Logger
	Mem       memory.Allocator
	Now       func() time.Time
}

// Limits bound what one request may read.
type Limits struct {
	// MaxSubjects bounds the subjects of one request by role; 0 (or a
	// role absent from the map) means no limit.
	MaxSubjects map[auth.Role]int
	// Endpoints is how many subject ranges GetFlightInfo cuts a cohort
	// into (default 4).
	Endpoints int
	// BatchRows bounds the rows of a record batch the store reads (default
	// 8,192: about 1.2 MB of timeline; a stream holds four of them at a
	// time, so that four parallel streams stay well under 256 MiB).
	BatchRows int
	// MessageBytes bounds the Arrow bytes of one Flight message: wider
	// batches are sent in slices (default 3 MiB, under the 4 MiB that gRPC
	// clients, the Go Flight client among them, accept by default).
	MessageBytes int64
}

// DefaultLimits returns the documented defaults: a clinician reads up to
// 1,000 patients per request, a researcher up to 1,000,000, an admin any
// number; 4 endpoints; batches of 8,192 rows; Flight messages of 3 MiB.
func DefaultLimits() Limits {
	return Limits{
		MaxSubjects:  map[auth.Role]int{auth.Clinician: 1000, auth.Researcher: 1_000_000, auth.Admin: 0},
		Endpoints:    4,
		BatchRows:    8 * 1024,
		MessageBytes: 3 << 20,
	}
}

// ParseMaxSubjects reads "role=N,role=N" into a limits map.
func ParseMaxSubjects(s string) (map[auth.Role]int, error) {
	m := map[auth.Role]int{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want role=N", part)
		}
		r, err := auth.ParseRole(k)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want a count of subjects (0: no limit)", part)
		}
		m[r] = n
	}
	return m, nil
}

// Service answers Arrow requests for datasets of a store, for Flight and
// HTTP alike. Safe for concurrent use.
type Service struct {
	store  store.Store
	auth   auth.Authenticator
	pseudo *pseudo.Pseudonymizer
	index  *pseudo.Index
	codes  *timeline.CodeTable
	limits Limits
	sealer *sealer
	ttl    time.Duration
	log    *slog.Logger
	mem    memory.Allocator
	now    func() time.Time
	sets   map[string]*dataset

	active atomic.Int64 // streams in progress
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Auth == nil || cfg.Pseudo == nil {
		return nil, errors.New("flightsvc: a store, an authenticator and a pseudonymizer are required")
	}
	d := DefaultLimits()
	if cfg.Limits.MaxSubjects == nil {
		cfg.Limits.MaxSubjects = d.MaxSubjects
	}
	if cfg.Limits.Endpoints <= 0 {
		cfg.Limits.Endpoints = d.Endpoints
	}
	if cfg.Limits.BatchRows <= 0 {
		cfg.Limits.BatchRows = d.BatchRows
	}
	if cfg.Limits.MessageBytes <= 0 {
		cfg.Limits.MessageBytes = d.MessageBytes
	}
	if cfg.TicketTTL <= 0 {
		cfg.TicketTTL = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mem == nil {
		cfg.Mem = memory.DefaultAllocator
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Codes == nil {
		cfg.Codes = timeline.DefaultCodes()
	}
	key := cfg.TicketKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("flightsvc: ticket key: %w", err)
		}
	}
	sl, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	s := &Service{store: cfg.Store, auth: cfg.Auth, pseudo: cfg.Pseudo, codes: cfg.Codes, limits: cfg.Limits,
		sealer: sl, ttl: cfg.TicketTTL, log: cfg.Logger, mem: cfg.Mem, now: cfg.Now, sets: datasets()}
	s.index = pseudo.NewIndex(cfg.Pseudo, func(ctx context.Context, after int64) ([]int64, error) {
		return s.store.Subjects(ctx, store.SubjectQuery{After: after})
	}, time.Second)
	return s, nil
}

// Active returns the number of streams in progress.
func (s *Service) Active() int64 { return s.active.Load() }

func (s *Service) batchRows() int { return s.limits.BatchRows }

// request is a resolved descriptor: what to read and for whom. Times are
// in the caller's calendar (shifted per subject for researchers). Sealed
// into tickets, so it never reaches a client in the clear.
type request struct {
	Dataset       string          `json:"d"`
	Cohort        store.Cohort    `json:"c"`
	From          time.Time       `json:"f,omitzero"`
	To            time.Time       `json:"t,omitzero"`
	AsOf          time.Time       `json:"a,omitzero"`
	KnownBy       time.Time       `json:"k,omitzero"`
	ExcludeStatic bool            `json:"x,omitempty"`
	Codes         []string        `json:"cd,omitempty"`
	Kinds         []timeline.Kind `json:"kd,omitempty"`
	Columns       []string        `json:"cl,omitempty"`
	Features      *FeatureSpec    `json:"fs,omitempty"`
	Algorithm     string          `json:"al,omitempty"`
	Version       string          `json:"v,omitempty"`
	Actor         string          `json:"ac"`
	Role          auth.Role       `json:"ro"`
	Expires       time.Time       `json:"ex"`
}

// timeBound reports whether the request has a time bound of the
// subject's calendar.
func (r *request) timeBound() bool {
	return !r.From.IsZero() || !r.To.IsZero() || !r.AsOf.IsZero() || !r.KnownBy.IsZero()
}

// filter returns the store filter of the request for a subject whose
// dates are shifted by shift (0 for identified callers).
func (r *request) filter(shift time.Duration, batch int, kinds []timeline.Kind) store.Filter {
	un := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Add(-shift)
	}
	k := r.Kinds
	if len(kinds) > 0 {
		k = kinds
	}
	return store.Filter{From: un(r.From), To: un(r.To), AsOf: un(r.AsOf), KnownBy: un(r.KnownBy),
		ExcludeStatic: r.ExcludeStatic, Kinds: k, Codes: r.Codes, BatchRows: batch}
}

// Plan is what GetFlightInfo answers: the schema the caller will see, a
// row estimate and the endpoints' sealed tickets.
type Plan struct {
	Schema *arrow.Schema
	// Rows estimates the rows (-1 when unknown).
	Rows int64
	// Subjects counts the cohort's subjects (-1 when not counted).
	Subjects int64
	Tickets  [][]byte
	// Ranges are the endpoints' subject ranges (real ids: never sent to a
	// researcher).
	Ranges [][2]int64
}

// resolve turns a descriptor into a request for a principal.
func (s *Service) resolve(ctx context.Context, p auth.Principal, d Descriptor) (*request, *dataset, error) {
	ds, ok := s.sets[d.Dataset]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q (want one of %s)", ErrUnknownDataset, d.Dataset, strings.Join(DatasetNames(), ", "))
	}
	r := &request{Dataset: ds.name, Actor: p.Name, Role: p.Role, Columns: d.Columns, ExcludeStatic: d.ExcludeStatic}
	var err error
	for _, t := range []struct {
		name string
		s    string
		dst  *time.Time
	}{{"from", d.From, &r.From}, {"to", d.To, &r.To}, {"as_of", d.AsOf, &r.AsOf}, {"known_by", d.KnownBy, &r.KnownBy}} {
		if *t.dst, err = parseTime(t.name, t.s); err != nil {
			return nil, nil, err
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return nil, nil, fmt.Errorf("%w: from must be before to", ErrBadRequest)
	}
	if ds.eval != "" {
		if err := resolveEval(p, d, r); err != nil {
			return nil, nil, err
		}
		if _, err := ds.cols.project(ds.name, r.Columns); err != nil {
			return nil, nil, err
		}
		return r, ds, nil
	}
	if d.Algorithm != "" || d.Version != "" {
		return nil, nil, fmt.Errorf("%w: algorithm and version name the tool of an AI-evaluation dataset (ai_evaluation_*)", ErrBadRequest)
	}
	if ds.isMatrix {
		if len(d.Codes) > 0 || len(d.Kinds) > 0 || d.From != "" || d.To != "" || d.ExcludeStatic {
			return nil, nil, fmt.Errorf("%w: a feature matrix takes its codes and windows from its feature spec (no codes, kinds, from, to)", ErrBadRequest)
		}
		spec := ds.matrix
		if spec == nil {
			if d.Features == nil {
				return nil, nil, fmt.Errorf("%w: dataset features needs a feature spec (\"features\": {\"index\": …, \"columns\": […]})", ErrBadRequest)
			}
			spec = d.Features
		} else if d.Features != nil {
			return nil, nil, fmt.Errorf("%w: %s is a built-in feature matrix; use dataset features for a spec of your own", ErrBadRequest, ds.name)
		}
		fs := *spec
		fs.Columns = slices.Clone(fs.Columns)
		fs.Index.Times = slices.Clone(fs.Index.Times)
		if err := fs.validate(s.codes); err != nil {
			return nil, nil, err
		}
		r.Features = &fs
	} else {
		if d.Features != nil {
			return nil, nil, fmt.Errorf("%w: a feature spec needs dataset features", ErrBadRequest)
		}
		if len(d.Kinds) > 0 && ds.kinds != nil {
			return nil, nil, fmt.Errorf("%w: dataset %s has its own kinds; kinds filter the timeline only", ErrBadRequest, ds.name)
		}
		if r.Kinds, err = parseKinds(d.Kinds); err != nil {
			return nil, nil, err
		}
		r.Codes = slices.Clone(d.Codes)
		for _, c := range r.Codes {
			if c == "" || c == "*" {
				return nil, nil, fmt.Errorf("%w: empty code filter", ErrBadRequest)
			}
		}
	}
	if _, err := s.columnsOf(ds, r).project(ds.name, r.Columns); err != nil {
		return nil, nil, err
	}
	if r.Cohort, err = s.cohort(ctx, p, d.Cohort); err != nil {
		return nil, nil, err
	}
	return r, ds, nil
}

// columnsOf returns a dataset's columns for a request (a matrix's come
// from its spec).
func (s *Service) columnsOf(ds *dataset, r *request) columns {
	if ds.isMatrix {
		return r.Features.columns()
	}
	return ds.cols
}

// cohort resolves a cohort spec to store terms (real subject ids).
func (s *Service) cohort(ctx context.Context, p auth.Principal, cs CohortSpec) (store.Cohort, error) {
	var c store.Cohort
	if cs.Name != "" {
		sc, err := s.store.LoadCohort(ctx, cs.Name)
		if errors.Is(err, store.ErrNotFound) {
			return c, fmt.Errorf("%w: no saved cohort named %q", ErrUnknownCohort, cs.Name)
		}
		if err != nil {
			return c, fmt.Errorf("flightsvc: loading cohort: %w", err)
		}
		c = sc.Cohort
	}
	for _, code := range cs.HasCodes {
		if code == "" || code == "*" {
			return c, fmt.Errorf("%w: empty has_codes entry", ErrBadRequest)
		}
	}
	if len(cs.HasCodes) > 0 {
		if len(c.HasCodes) > 0 {
			return c, fmt.Errorf("%w: saved cohort %q is defined by codes; narrow it by subjects, not by more codes", ErrBadRequest, cs.Name)
		}
		c.HasCodes = slices.Clone(cs.HasCodes)
	}
	if cs.Subjects != nil {
		ids := make([]int64, 0, len(cs.Subjects))
		for i, ref := range cs.Subjects {
			id, err := s.subjectRef(ctx, p, string(ref), i)
			if err != nil {
				return c, err
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if c.SubjectIDs != nil {
			var both []int64
			for _, id := range ids {
				if _, ok := slices.BinarySearch(c.SubjectIDs, id); ok {
					both = append(both, id)
				}
			}
			ids = both
			if ids == nil {
				ids = []int64{}
			}
		}
		c.SubjectIDs = ids
	} else if c.SubjectIDs != nil {
		c.SubjectIDs = slices.Clone(c.SubjectIDs)
		slices.Sort(c.SubjectIDs)
	}
	return c, nil
}

// subjectRef reads the i-th subject of a list: a pseudonym (any role) or
// a subject id (identified roles only). Errors name the position, never
// the value.
func (s *Service) subjectRef(ctx context.Context, p auth.Principal, ref string, i int) (int64, error) {
	if pseudo.IsPseudonym(ref) {
		id, ok, err := s.index.Resolve(ctx, ref)
		if err != nil {
			return 0, fmt.Errorf("flightsvc: resolving a pseudonym: %w", err)
		}
		if !ok {
			return 0, fmt.Errorf("%w: subject %d of the list is no known pseudonym", ErrUnknownCohort, i+1)
		}
		return id, nil
	}
	if !p.Role.Identified() {
		return 0, fmt.Errorf("%w: subject %d of the list is not a pseudonym (%s…): researchers name subjects by pseudonym", ErrBadRequest, i+1, pseudo.Prefix)
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: subject %d of the list is neither a subject id nor a pseudonym", ErrBadRequest, i+1)
	}
	return id, nil
}

// maxSubjects is the caller's limit (0: none).
func (s *Service) maxSubjects(r auth.Role) int { return s.limits.MaxSubjects[r] }

// eachSubject calls fn with each subject of c, ascending, until fn returns
// false. Explicit ids are taken as given (a missing subject simply has no
// rows) unless exact, which checks that they exist.
func (s *Service) eachSubject(ctx context.Context, c store.Cohort, exact bool, fn func(int64) bool) error {
	inRange := func(id int64) bool {
		return (c.MinSubject <= 0 || id >= c.MinSubject) && (c.MaxSubject <= 0 || id <= c.MaxSubject)
	}
	if c.SubjectIDs != nil && len(c.HasCodes) == 0 && !exact {
		for _, id := range c.SubjectIDs {
			if inRange(id) && !fn(id) {
				return nil
			}
		}
		return nil
	}
	after := int64(0)
	if c.MinSubject > 0 {
		after = c.MinSubject - 1
	}
	if c.SubjectIDs != nil {
		if len(c.SubjectIDs) == 0 {
			return nil
		}
		after = max(after, c.SubjectIDs[0]-1)
	}
	const page = 10000
	for {
		ids, err := s.store.Subjects(ctx, store.SubjectQuery{HasCodes: c.HasCodes, After: after, Limit: page})
		if err != nil {
			return fmt.Errorf("flightsvc: listing subjects: %w", err)
		}
		for _, id := range ids {
			if c.MaxSubject > 0 && id > c.MaxSubject {
				return nil
			}
			if c.SubjectIDs != nil {
				if id > c.SubjectIDs[len(c.SubjectIDs)-1] {
					return nil
				}
				if _, ok := slices.BinarySearch(c.SubjectIDs, id); !ok {
					continue
				}
			}
			if !fn(id) {
				return nil
			}
		}
		if len(ids) < page {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// enumerateCap bounds the subjects a plan lists to balance endpoints;
// beyond it, endpoints are equal ranges of ids.
const enumerateCap = 200_000

// Plan answers GetFlightInfo: it resolves the descriptor, enforces the
// role's subject limit, estimates the rows and cuts the cohort into
// endpoints of subject ranges, each with a sealed ticket.
func (s *Service) Plan(ctx context.Context, p auth.Principal, d Descriptor) (*Plan, error) {
	r, ds, err := s.resolve(ctx, p, d)
	if err != nil {
		return nil, err
	}
	if ds.eval != "" {
		return s.planEval(ctx, p, r, ds)
	}
	limit := s.maxSubjects(p.Role)
	stop := enumerateCap
	if limit > 0 {
		stop = min(stop, limit+1)
	}
	var ids []int64
	if err := s.eachSubject(ctx, r.Cohort, false, func(id int64) bool {
		ids = append(ids, id)
		return len(ids) < stop
	}); err != nil {
		return nil, err
	}
	if limit > 0 && len(ids) > limit {
		return nil, fmt.Errorf("%w: the cohort has more than %d subjects, the %s role's limit per request: narrow it (has_codes, subjects, a saved cohort)", ErrCohortTooLarge, limit, p.Role)
	}
	complete := len(ids) < stop || (limit > 0 && len(ids) <= limit && len(ids) < enumerateCap)
	plan := &Plan{Schema: s.lensFor(ds, r).schema, Rows: -1, Subjects: -1}
	if complete {
		plan.Subjects = int64(len(ids))
	}
	if len(ids) == 0 {
		plan.Rows = 0
		return plan, nil
	}
	plan.Ranges, err = s.ranges(ctx, ids, complete)
	if err != nil {
		return nil, err
	}
	if plan.Rows, err = s.estimate(ctx, ds, r, plan.Subjects); err != nil {
		return nil, err
	}
	r.Expires = s.now().Add(s.ttl)
	for _, rg := range plan.Ranges {
		t := *r
		t.Cohort.MinSubject, t.Cohort.MaxSubject = rg[0], rg[1]
		if r.Cohort.SubjectIDs != nil {
			// Each ticket carries only its range's ids.
			a, _ := slices.BinarySearch(r.Cohort.SubjectIDs, rg[0])
			b, _ := slices.BinarySearch(r.Cohort.SubjectIDs, rg[1]+1)
			t.Cohort.SubjectIDs = r.Cohort.SubjectIDs[a:b:b]
		}
		tk, err := s.sealer.seal(&t)
		if err != nil {
			return nil, err
		}
		plan.Tickets = append(plan.Tickets, tk)
	}
	return plan, nil
}

// ranges cuts the cohort's subjects into endpoint ranges: equal counts of
// subjects when the list is complete, else equal widths of ids up to the
// store's highest.
func (s *Service) ranges(ctx context.Context, ids []int64, complete bool) ([][2]int64, error) {
	n := s.limits.Endpoints
	if complete {
		n = min(n, len(ids))
		out := make([][2]int64, 0, n)
		for i := 0; i < n; i++ {
			a, b := i*len(ids)/n, (i+1)*len(ids)/n-1
			out = append(out, [2]int64{ids[a], ids[b]})
		}
		return out, nil
	}
	_, hi, err := s.store.SubjectRange(ctx)
	if err != nil {
		return nil, fmt.Errorf("flightsvc: subject range: %w", err)
	}
	lo := ids[0]
	width := (hi - lo + 1 + int64(n) - 1) / int64(n)
	var out [][2]int64
	for a := lo; a <= hi; a += width {
		out = append(out, [2]int64{a, min(a+width-1, hi)})
	}
	return out, nil
}

// estimate returns the rows a request will yield (-1 when unknown).
func (s *Service) estimate(ctx context.Context, ds *dataset, r *request, subjects int64) (int64, error) {
	if ds.isMatrix {
		if r.Features.Index.Code == "" && subjects >= 0 {
			return subjects * int64(max(1, len(r.Features.Index.Times))), nil
		}
		return -1, nil
	}
	f := r.filter(0, 0, ds.kinds)
	if !r.Role.Identified() && r.timeBound() {
		// An estimate: bounds widened by the largest shift admit every row
		// any subject's own shift could.
		w := time.Duration(pseudo.DefaultMaxShiftDays) * 24 * time.Hour
		move := func(t time.Time, d time.Duration) time.Time {
			if t.IsZero() {
				return t
			}
			return t.Add(d)
		}
		f.From, f.To, f.AsOf, f.KnownBy = move(f.From, -w), move(f.To, w), move(f.AsOf, w), move(f.KnownBy, w)
	}
	n, err := s.store.Count(ctx, r.Cohort, f)
	if err != nil {
		return 0, fmt.Errorf("flightsvc: counting rows: %w", err)
	}
	return n, nil
}

// lensFor returns the lens of a request's dataset for its caller.
func (s *Service) lensFor(ds *dataset, r *request) *lens {
	cols := s.columnsOf(ds, r)
	idx, _ := cols.project(ds.name, r.Columns) // validated by resolve
	var ps *pseudo.Pseudonymizer
	if !r.Role.Identified() && !ds.aggregate() {
		ps = s.pseudo
	}
	return newLens(cols, idx, ps, s.mem)
}

// Schema returns the schema a descriptor's stream has for a caller.
func (s *Service) Schema(ctx context.Context, p auth.Principal, d Descriptor) (*arrow.Schema, error) {
	r, ds, err := s.resolve(ctx, p, d)
	if err != nil {
		return nil, err
	}
	return s.lensFor(ds, r).schema, nil
}

// open checks a ticket for a principal: a sealed ticket from Plan (issued
// to the same caller and role, not expired), or a descriptor's JSON, which
// is resolved and limit-checked as a whole cohort.
func (s *Service) open(ctx context.Context, p auth.Principal, ticket []byte) (*request, *dataset, error) {
	if t := strings.TrimSpace(string(ticket)); strings.HasPrefix(t, "{") {
		d, err := ParseDescriptor([]byte(t))
		if err != nil {
			return nil, nil, err
		}
		r, ds, err := s.resolve(ctx, p, d)
		if err != nil {
			return nil, nil, err
		}
		if err := s.checkRequestLimit(ctx, p, r, ds); err != nil {
			return nil, nil, err
		}
		return r, ds, nil
	}
	r, err := s.sealer.open(ticket)
	if err != nil {
		return nil, nil, err
	}
	if r.Actor != p.Name || r.Role != p.Role {
		return nil, nil, fmt.Errorf("%w: the ticket was issued to another caller", ErrBadTicket)
	}
	if s.now().After(r.Expires) {
		return nil, nil, fmt.Errorf("%w: the ticket expired at %s; call GetFlightInfo again", ErrBadTicket, r.Expires.Format(time.RFC3339))
	}
	ds, ok := s.sets[r.Dataset]
	if !ok {
		return nil, nil, fmt.Errorf("%w: dataset %q", ErrBadTicket, r.Dataset)
	}
	return r, ds, nil
}

// shiftGroups groups a cohort's subjects by date shift, for researchers'
// time-bounded reads: each group is read with the bounds moved by its own
// shift, so that every subject is filtered exactly in its own calendar.
func (s *Service) shiftGroups(ctx context.Context, c store.Cohort) ([][]int64, []time.Duration, error) {
	byShift := map[int][]int64{}
	if err := s.eachSubject(ctx, c, false, func(id int64) bool {
		d := s.pseudo.ShiftDays(id)
		byShift[d] = append(byShift[d], id)
		return true
	}); err != nil {
		return nil, nil, err
	}
	groups := make([][]int64, 0, len(byShift))
	for _, ids := range byShift {
		groups = append(groups, ids)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i][0] < groups[j][0] })
	shifts := make([]time.Duration, len(groups))
	for i, g := range groups {
		shifts[i] = s.pseudo.Shift(g[0])
	}
	return groups, shifts, nil
}
