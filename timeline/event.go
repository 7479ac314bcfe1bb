package timeline

import (
	"time"
)

// Well-known codes for demographic events. Birth and death follow MEDS; sex
// is a static event (null time).
const (
	CodeBirth = "MEDS_BIRTH"
	CodeDeath = "MEDS_DEATH"
	// Sex codes: GENDER//F, GENDER//M, GENDER//O (other), GENDER//UNK.
	CodeSexFemale  = "GENDER//F"
	CodeSexMale    = "GENDER//M"
	CodeSexOther   = "GENDER//O"
	CodeSexUnknown = "GENDER//UNK"
)

// Event is one timeline row in Go form. Zero times mean null; an empty Text,
// Unit or Source means null; HasValue says whether Value is set; a zero
// SourceVersion means unknown.
type Event struct {
	SubjectID     int64
	Time          time.Time
	Code          string
	Value         float64
	HasValue      bool
	Text          string
	Unit          string
	Kind          Kind
	EndTime       time.Time
	Source        string
	Key           Key
	SupersededAt  time.Time
	AvailableAt   time.Time
	RecordedAt    time.Time
	SourceVersion int64
}

// Static reports whether the event has no time (a fact that holds for the
// whole record, such as a germline genotype or sex).
func (e *Event) Static() bool { return e.Time.IsZero() }

// Available returns when the event's value became known: AvailableAt when
// set, else Time. It is zero for static events.
func (e *Event) Available() time.Time {
	if !e.AvailableAt.IsZero() {
		return e.AvailableAt
	}
	return e.Time
}

// VisibleAsOf reports whether the event could have been known at t
// (DESIGN.md §2): static events always, others when Available() <= t. A zero
// t means "now": everything is visible.
func (e *Event) VisibleAsOf(t time.Time) bool {
	if t.IsZero() || e.Static() {
		return true
	}
	return !e.Available().After(t)
}

// KnownBy reports whether the platform held this version of the event at k:
// recorded at or before k and not yet superseded at k. A zero k means "now":
// only current (not superseded) rows.
func (e *Event) KnownBy(k time.Time) bool {
	if k.IsZero() {
		return e.SupersededAt.IsZero()
	}
	if e.RecordedAt.After(k) {
		return false
	}
	return e.SupersededAt.IsZero() || e.SupersededAt.After(k)
}

// Micros converts t to microseconds since the Unix epoch; ok is false for a
// zero time.
func Micros(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, false
	}
	return t.UnixMicro(), true
}

// FromMicros converts microseconds since the Unix epoch to a UTC time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
