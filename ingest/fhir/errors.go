package fhir

import "errors"

// Sentinel errors. They name the rule a record broke; callers wrap them
// with locators (file, line or entry, field), never with values.
var (
	// ErrInvalidJSON: a record that is not well-formed JSON.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrNotResource: a JSON value without a resourceType.
	ErrNotResource = errors.New("not a FHIR resource (no resourceType)")
	// ErrNoSubject: a resource with no subject (or patient) reference, or one
	// that names something other than a Patient.
	ErrNoSubject = errors.New("no patient subject")
	// ErrNoPatientIdentity: a Patient with neither an id nor an identifier.
	ErrNoPatientIdentity = errors.New("patient has no id and no identifier")
	// ErrBadDate: a date, dateTime or instant that does not parse.
	ErrBadDate = errors.New("unparseable date")
	// ErrNoTime: a resource with no clinical time to place it on the timeline.
	ErrNoTime = errors.New("no clinical time")
	// ErrNoCode: a concept with no coding (text only).
	ErrNoCode = errors.New("no coding")
	// ErrBadValue: a value that is not what its element requires (a
	// quantity whose value is not a number, …).
	ErrBadValue = errors.New("malformed value")
	// ErrUnresolved: a reference that names a resource the run does not have.
	ErrUnresolved = errors.New("unresolved reference")
	// ErrTooLarge: a record or document larger than the adapter accepts.
	ErrTooLarge = errors.New("record too large")
	// ErrMalformedBundle: a Bundle document whose structure is broken (the
	// rest of the file cannot be read).
	ErrMalformedBundle = errors.New("malformed Bundle document")
)
