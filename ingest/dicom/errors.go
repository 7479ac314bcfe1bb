package dicom

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them and,
// where it concerns an attribute, a *TagError that names the tag.
var (
	// ErrNotDICOM: the bytes are not a DICOM file (no DICM magic and no
	// recognisable data set element at the start).
	ErrNotDICOM = errors.New("not a DICOM file")
	// ErrTruncated: an element claims more bytes than the file holds.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: the data set breaks the encoding rules (bad VR, bad
	// item structure, nesting too deep, a parser panic).
	ErrMalformed = errors.New("malformed data set")
	// ErrMissingAttribute: a required attribute is absent or empty.
	ErrMissingAttribute = errors.New("required attribute missing or empty")
	// ErrUnsupportedTransferSyntax: pixel data in a transfer syntax this
	// package does not decode (metadata is still read).
	ErrUnsupportedTransferSyntax = errors.New("unsupported transfer syntax for pixel data")
	// ErrMissingReference: a segmentation or report references an instance
	// that is not among the files given.
	ErrMissingReference = errors.New("referenced instance not found")
	// ErrGeometry: slices or masks whose geometry does not fit together.
	ErrGeometry = errors.New("inconsistent geometry")
	// ErrPixelData: pixel data that cannot be decoded as described by its
	// attributes.
	ErrPixelData = errors.New("invalid pixel data")
)

// TagError locates an error at one attribute of a file. It carries no
// attribute values (they may be patient data): only the tag, its byte
// offset and a locator such as "frame 3".
type TagError struct {
	Tag     Tag
	Offset  int64  // byte offset of the element in the (inflated) stream; -1 when unknown
	Context string // e.g. "item 2 of (5200,9230)", "frame 3"
	Err     error
}

func (e *TagError) Error() string {
	s := e.Tag.Locator()
	if e.Context != "" {
		s = e.Context + ": " + s
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at byte %d", e.Offset)
	}
	return s + ": " + e.Err.Error()
}

func (e *TagError) Unwrap() error { return e.Err }

func tagErr(t Tag, off int64, err error, format string, args ...any) *TagError {
	if format != "" {
		err = fmt.Errorf("%w: "+format, append([]any{err}, args...)...)
	}
	return &TagError{Tag: t, Offset: off, Err: err}
}

// FileError is an error of one file: it names the file (a path or
// provenance name, never patient data) and wraps the cause.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// guard runs fn and turns a panic into an ErrMalformed error, so that a
// hostile or broken file fails alone instead of taking the run down.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: parser panic: %v", ErrMalformed, r)
		}
	}()
	return fn()
}
