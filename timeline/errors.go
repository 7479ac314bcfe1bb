package timeline

import "errors"

// Sentinel errors returned (wrapped) by validation and conversion. Messages
// never include patient data: callers add locators, not values.
var (
	// ErrNoSubject: a row without a subject id.
	ErrNoSubject = errors.New("missing subject")
	// ErrNoCode: a row without a code.
	ErrNoCode = errors.New("missing code")
	// ErrNonFinite: a numeric value that is NaN or infinite.
	ErrNonFinite = errors.New("non-finite numeric value")
	// ErrFutureTime: a time further in the future than the builder's tolerance.
	ErrFutureTime = errors.New("time in the future beyond tolerance")
	// ErrUnknownKind: a kind outside the closed set.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrBadInterval: an end time before the start time.
	ErrBadInterval = errors.New("end time before start time")
	// ErrBadText: a string that is not valid UTF-8 or holds a NUL byte
	// (Arrow utf8 must be UTF-8; PostgreSQL text cannot hold NUL).
	ErrBadText = errors.New("text not valid UTF-8 or with a NUL byte")
	// ErrUnknownUnit: a unit that cannot be converted to the code's canonical unit.
	ErrUnknownUnit = errors.New("unknown or inconvertible unit")
	// ErrSchema: a record whose schema is not the expected one.
	ErrSchema = errors.New("schema mismatch")
)
