// Package model holds the Go types the GraphQL schema (../../schema.graphqls)
// binds to. They are written by hand rather than generated so that values
// stream straight from timeline rows to JSON (methods, not copies) and
// pseudonymisation is applied as they are read.
package model

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/medtwin/medtwin/timeline"
)

// PageInfo is Relay page information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Viewer is the authenticated caller.
type Viewer struct {
	Name string
	Role Role
}

// Identifier is a patient identifier in one source's namespace.
type Identifier struct {
	System string
	Value  string
}

// Date is a calendar date (the Date scalar: YYYY-MM-DD).
type Date struct{ time.Time }

// MarshalGQL implements graphql.Marshaler.
func (d Date) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(d.UTC().Format(time.DateOnly)))
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("Date must be a string YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("Date must be YYYY-MM-DD")
	}
	d.Time = t
	return nil
}

// Role is the GraphQL Role enum.
type Role string

// Roles.
const (
	RoleClinician  Role = "CLINICIAN"
	RoleResearcher Role = "RESEARCHER"
	RoleAdmin      Role = "ADMIN"
)

// MarshalGQL implements graphql.Marshaler.
func (r Role) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *Role) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Role(s) {
	case RoleClinician, RoleResearcher, RoleAdmin:
		*r = Role(s)
		return nil
	}
	return fmt.Errorf("%q is not a valid Role", s)
}

// Sex is the GraphQL Sex enum.
type Sex string

// Sexes, and the GENDER// code suffix each stands for.
const (
	SexFemale  Sex = "FEMALE"
	SexMale    Sex = "MALE"
	SexOther   Sex = "OTHER"
	SexUnknown Sex = "UNKNOWN"
)

var sexCodes = map[Sex]string{SexFemale: "F", SexMale: "M", SexOther: "O", SexUnknown: "UNK"}

// Code returns the GENDER// suffix (F, M, O, UNK).
func (s Sex) Code() string { return sexCodes[s] }

// SexOfCode returns the Sex of a GENDER// suffix.
func SexOfCode(c string) (Sex, bool) {
	for s, code := range sexCodes {
		if code == c {
			return s, true
		}
	}
	return "", false
}

// MarshalGQL implements graphql.Marshaler.
func (s Sex) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *Sex) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	if _, ok := sexCodes[Sex(str)]; !ok {
		return fmt.Errorf("%q is not a valid Sex", str)
	}
	*s = Sex(str)
	return nil
}

// EventKind is the GraphQL EventKind enum: timeline kinds in upper case.
type EventKind string

// KindOf returns the enum value of a timeline kind.
func KindOf(k timeline.Kind) EventKind { return kindNames[k] }

var kindNames = func() map[timeline.Kind]EventKind {
	m := map[timeline.Kind]EventKind{}
	for _, k := range timeline.Kinds() {
		m[k] = EventKind(strings.ToUpper(k.String()))
	}
	return m
}()

// Kind returns the timeline kind.
func (k EventKind) Kind() (timeline.Kind, error) {
	return timeline.ParseKind(strings.ToLower(string(k)))
}

// MarshalGQL implements graphql.Marshaler.
func (k EventKind) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *EventKind) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if _, err := EventKind(s).Kind(); err != nil || strings.ToUpper(s) != s {
		return fmt.Errorf("%q is not a valid EventKind", s)
	}
	*k = EventKind(s)
	return nil
}

// PatientFilter is the PatientFilter input.
type PatientFilter struct {
	HasCodes []string
	HasKinds []EventKind
	Sex      *Sex
	MinAge   *int
	MaxAge   *int
	AgeAt    *time.Time
	Source   *string
}

// Patient is one patient as one caller sees it. Its fields other than ID
// and Pseudonymised are resolved (and audited) on demand. Group is the page
// the patient was listed in: loaders fetch for the whole group at once.
type Patient struct {
	SubjectID     int64
	ID            string
	Pseudonymised bool
	Group         any
}

// Marshal helpers shared by the views.

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Ensure the graphql package is linked for the Marshaler interfaces.
var _ graphql.Marshaler = Role("")
