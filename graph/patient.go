package graph

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph/model"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

func roleOf(r auth.Role) model.Role {
	switch r {
	case auth.Clinician:
		return model.RoleClinician
	case auth.Researcher:
		return model.RoleResearcher
	}
	return model.RoleAdmin
}

// listSubjects feeds the pseudonym index.
func (r *Resolver) listSubjects(ctx context.Context, after int64) ([]int64, error) {
	return r.cfg.Store.Subjects(ctx, store.SubjectQuery{After: after})
}

// newPatient returns subject as q's caller sees it, in group g.
func (r *Resolver) newPatient(q *request, subject int64, g *group) *model.Patient {
	p := &model.Patient{SubjectID: subject, Group: g}
	if q.principal.Role.Identified() {
		p.ID = strconv.FormatInt(subject, 10)
	} else {
		p.ID = r.cfg.Pseudo.Subject(subject)
		p.Pseudonymised = true
	}
	q.touch(subject, "id")
	return p
}

func groupOf(p *model.Patient) *group {
	if g, ok := p.Group.(*group); ok {
		return g
	}
	return newGroup(p.SubjectID)
}

const keyIdentifiers = "identifiers"

func (r *Resolver) patientByID(ctx context.Context, id string) (*model.Patient, error) {
	q := reqFrom(ctx)
	id = strings.TrimSpace(id)
	var subject int64
	if q.principal.Role.Pseudonymised() {
		if !pseudo.IsPseudonym(id) {
			return nil, forbidden("researchers address patients by pseudonym (ps_…), not by subject id")
		}
		s, ok, err := r.index.Resolve(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, notFound("no patient with this id")
		}
		subject = s
	} else {
		if pseudo.IsPseudonym(id) {
			return nil, forbidden("pseudonyms cannot be resolved to identified patients")
		}
		s, err := strconv.ParseInt(id, 10, 64)
		if err != nil || s <= 0 {
			return nil, badInput("id must be a subject id (a positive integer)")
		}
		subject = s
	}
	ids, err := r.cfg.Store.Identifiers(ctx, subject)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no patient with this id")
	}
	if err != nil {
		return nil, err
	}
	g := newGroup(subject)
	g.prime(keyIdentifiers, map[int64]any{subject: ids})
	return r.newPatient(q, subject, g), nil
}

func (r *Resolver) patientByIdentifier(ctx context.Context, system, value string) (*model.Patient, error) {
	q := reqFrom(ctx)
	if !q.principal.Role.Identified() {
		return nil, forbidden("researchers may not look patients up by identifier")
	}
	if strings.TrimSpace(system) == "" || strings.TrimSpace(value) == "" {
		return nil, badInput("system and value must not be empty")
	}
	s, err := r.cfg.Store.Lookup(ctx, timeline.Identifier{System: system, Value: value})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no patient with this identifier")
	}
	if err != nil {
		return nil, err
	}
	return r.newPatient(q, s, newGroup(s)), nil
}

// subjectQuery converts a patient filter.
func (r *Resolver) subjectQuery(f *model.PatientFilter) (store.SubjectQuery, error) {
	var sq store.SubjectQuery
	if f == nil {
		return sq, nil
	}
	for _, c := range f.HasCodes {
		if strings.TrimSpace(c) == "" || c == "*" {
			return sq, badInput("hasCodes: empty code")
		}
	}
	sq.HasCodes = f.HasCodes
	for _, k := range f.HasKinds {
		tk, err := k.Kind()
		if err != nil {
			return sq, badInput("hasKinds: %v", err)
		}
		sq.HasKinds = append(sq.HasKinds, tk)
	}
	if f.Sex != nil {
		sq.Sex = f.Sex.Code()
	}
	at := r.cfg.Now().UTC()
	if f.AgeAt != nil {
		at = f.AgeAt.UTC()
	}
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	if f.MinAge != nil {
		if *f.MinAge < 0 || *f.MinAge > 200 {
			return sq, badInput("minAge must be between 0 and 200")
		}
		// age >= n  ⇔  born on or before the day n years ago
		sq.BornTo = day.AddDate(-*f.MinAge, 0, 1)
	}
	if f.MaxAge != nil {
		if *f.MaxAge < 0 || *f.MaxAge > 200 {
			return sq, badInput("maxAge must be between 0 and 200")
		}
		// age <= n  ⇔  born after the day n+1 years ago
		sq.BornFrom = day.AddDate(-(*f.MaxAge + 1), 0, 1)
	}
	if f.MinAge != nil && f.MaxAge != nil && *f.MinAge > *f.MaxAge {
		return sq, badInput("minAge is greater than maxAge")
	}
	if f.Source != nil {
		if *f.Source == "" {
			return sq, badInput("source must not be empty")
		}
		sq.SourcePrefix = *f.Source
	}
	return sq, nil
}

func (r *Resolver) patients(ctx context.Context, filter *model.PatientFilter, first *int, after *string) (*model.PatientConnection, error) {
	q := reqFrom(ctx)
	w, err := r.parsePage(pageArgs{first: first, after: after}, scopePatients, 0)
	if err != nil {
		return nil, err
	}
	sq, err := r.subjectQuery(filter)
	if err != nil {
		return nil, err
	}
	count := sq
	if w.after != nil {
		sq.After = int64(binary.BigEndian.Uint64(w.after))
	}
	sq.Limit = w.first + 1
	ids, err := r.cfg.Store.Subjects(ctx, sq)
	if err != nil {
		return nil, err
	}
	hasNext := len(ids) > w.first
	if hasNext {
		ids = ids[:w.first]
	}
	g := newGroup(ids...)
	c := &model.PatientConnection{PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: w.after != nil}}
	c.Total = func(ctx context.Context) (int, error) {
		all, err := r.cfg.Store.Subjects(ctx, count)
		return len(all), err
	}
	for _, id := range ids {
		id := id
		c.Edges = append(c.Edges, model.NewEdge(r.newPatient(q, id, g), func() string {
			return r.cursors.seal(scopePatients, 0, binary.BigEndian.AppendUint64(nil, uint64(id)))
		}))
	}
	setCursors(c)
	return c, nil
}

// setCursors fills a page's start and end cursors.
func setCursors[T any](c *model.Conn[T]) {
	if c.PageInfo == nil {
		c.PageInfo = &model.PageInfo{}
	}
	if n := len(c.Edges); n > 0 {
		s, e := c.Edges[0].Cursor(), c.Edges[n-1].Cursor()
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &s, &e
	}
}

func (r *Resolver) identifiers(ctx context.Context, p *model.Patient, a pageArgs) (*model.IdentifierConnection, error) {
	q := reqFrom(ctx)
	if !q.principal.Role.Identified() {
		return nil, forbidden("researchers may not see identifiers")
	}
	w, err := r.parsePage(a, scopeIdentifiers, p.SubjectID)
	if err != nil {
		return nil, err
	}
	v, err := groupOf(p).load(ctx, keyIdentifiers, p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			l, err := r.cfg.Store.Identifiers(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			out[id] = l
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	q.touch(p.SubjectID, "identifiers")
	all, _ := v.([]timeline.Identifier)
	pos := func(id timeline.Identifier) []byte { return []byte(id.System + "\x00" + id.Value) }
	sortIdentifiers(all)
	page, hasPrev, hasNext := paginate(all, w, pos)
	c := &model.IdentifierConnection{Count: len(all), PageInfo: &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}}
	for _, id := range page {
		id := id
		c.Edges = append(c.Edges, model.NewEdge(&model.Identifier{System: id.System, Value: id.Value}, func() string {
			return r.cursors.seal(scopeIdentifiers, p.SubjectID, pos(id))
		}))
	}
	setCursors(c)
	return c, nil
}

func sortIdentifiers(ids []timeline.Identifier) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && (ids[j].System < ids[j-1].System || ids[j].System == ids[j-1].System && ids[j].Value < ids[j-1].Value); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// demographics are a patient's birth, death and sex.
type demographics struct {
	birth, death time.Time
	dead         bool
	sex          string
}

func (d *demographics) add(c *timeline.Columns, i int) error {
	code := timeline.StringAt(c.Code, i)
	var t time.Time
	if !c.Time.IsNull(i) {
		t = timeline.FromMicros(int64(c.Time.Value(i)))
	}
	switch {
	case code == timeline.CodeBirth:
		if !t.IsZero() && (d.birth.IsZero() || t.Before(d.birth)) {
			d.birth = t
		}
	case strings.HasPrefix(code, timeline.CodeDeath):
		d.dead = true
		if !t.IsZero() && (d.death.IsZero() || t.Before(d.death)) {
			d.death = t
		}
	case strings.HasPrefix(code, "GENDER//"):
		d.sex = strings.TrimPrefix(code, "GENDER//")
	}
	return nil
}

func (r *Resolver) demographics(ctx context.Context, p *model.Patient, field string) (*demographics, error) {
	f := store.Filter{Codes: []string{timeline.CodeBirth, timeline.CodeDeath + "*", "GENDER//*"}}
	v, err := groupOf(p).load(ctx, "demographics", p.SubjectID, func(ctx context.Context, ids []int64) (map[int64]any, error) {
		return r.scanEvents(ctx, ids, f, func(int64) rowSink { return &demographics{} })
	})
	if err != nil {
		return nil, err
	}
	reqFrom(ctx).touch(p.SubjectID, field)
	d, _ := v.(*demographics)
	if d == nil {
		d = &demographics{}
	}
	return d, nil
}

func (r *Resolver) birthDate(ctx context.Context, p *model.Patient) (*model.Date, error) {
	d, err := r.demographics(ctx, p, "birthDate")
	if err != nil || d.birth.IsZero() {
		return nil, err
	}
	t := reqFrom(ctx).lens(p.SubjectID).Time(d.birth)
	return &model.Date{Time: *t}, nil
}

func (r *Resolver) sex(ctx context.Context, p *model.Patient) (*model.Sex, error) {
	d, err := r.demographics(ctx, p, "sex")
	if err != nil || d.sex == "" {
		return nil, err
	}
	s, ok := model.SexOfCode(d.sex)
	if !ok {
		return nil, fmt.Errorf("graph: unknown sex code %q", d.sex)
	}
	return &s, nil
}

func (r *Resolver) deceased(ctx context.Context, p *model.Patient) (bool, error) {
	d, err := r.demographics(ctx, p, "deceased")
	if err != nil {
		return false, err
	}
	return d.dead, nil
}

func (r *Resolver) deceasedAt(ctx context.Context, p *model.Patient) (*time.Time, error) {
	d, err := r.demographics(ctx, p, "deceasedAt")
	if err != nil {
		return nil, err
	}
	return reqFrom(ctx).lens(p.SubjectID).Time(d.death), nil
}
