package vcf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/medtwin/medtwin/ingest/bgzf"
)

// MaxLineSize bounds one line (a record with thousands of samples can take
// megabytes; beyond this the line is rejected and skipped).
const MaxLineSize = 256 << 20

// lineReader splits a stream into lines without copying them (a line is
// valid until the next call) and turns damage in compressed input into a
// rejected line instead of the end of the file.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	scan       int // buf[start:scan] holds no newline
	eof        bool
	fatal      error
	line       int64 // lines returned so far
	skipToNL   bool  // after lost data: the next partial line is a fragment
	tooLong    bool
	max        int // MaxLineSize; tests lower it
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 64<<10), max: MaxLineSize}
}

// damageError reports input lost to damaged compression; the reader goes on
// after it when the compression allows (BGZF).
type damageError struct{ err error }

func (e *damageError) Error() string { return e.err.Error() }
func (e *damageError) Unwrap() error { return e.err }

// next returns the next line without its end of line. At the end it
// returns io.EOF; a *damageError for a line lost to damaged compressed data
// (the reader may go on); errLineTooLong for an oversized line (skipped);
// any other error is fatal.
func (l *lineReader) next() ([]byte, error) {
	for {
		if l.scan < l.start {
			l.scan = l.start
		}
		if i := bytes.IndexByte(l.buf[l.scan:l.end], '\n'); i >= 0 {
			i += l.scan - l.start
			line := l.buf[l.start : l.start+i]
			l.start += i + 1
			l.scan = l.start
			if l.skipToNL {
				l.skipToNL = false
				continue
			}
			if l.tooLong {
				l.tooLong = false
				l.line++
				return nil, errLineTooLong
			}
			l.line++
			return trimCR(line), nil
		}
		if l.eof {
			if l.start < l.end && !l.skipToNL {
				line := l.buf[l.start:l.end]
				l.start = l.end
				l.line++
				if l.tooLong {
					l.tooLong = false
					return nil, errLineTooLong
				}
				return trimCR(line), nil
			}
			l.start = l.end
			if l.fatal != nil {
				return nil, l.fatal
			}
			return nil, io.EOF
		}
		// Everything up to end has no newline. Make room: move the partial
		// line to the front, grow if full.
		l.scan = l.end
		if l.start > 0 {
			copy(l.buf, l.buf[l.start:l.end])
			l.end -= l.start
			l.scan -= l.start
			l.start = 0
		}
		if l.end == len(l.buf) {
			if len(l.buf) >= l.max {
				// Drop what we have of the line and remember to report it.
				l.tooLong = true
				l.end, l.scan = 0, 0
			} else {
				nb := make([]byte, min(2*len(l.buf), l.max))
				copy(nb, l.buf[:l.end])
				l.buf = nb
			}
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err == nil {
			continue
		}
		if err == io.EOF {
			l.eof = true
			continue
		}
		var be *bgzf.BlockError
		damaged := errors.As(err, &be)
		if !damaged && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)) {
			// A plain gzip stream cut or corrupted: nothing more can be read.
			damaged = true
			l.eof = true
		}
		if !damaged {
			l.eof = true
			l.fatal = err
			continue
		}
		// The partial line before the damage is lost, and so is the start
		// of the line after it (when reading goes on): one rejected line
		// stands for what was lost.
		l.start, l.end, l.scan = 0, 0, 0
		l.skipToNL = !l.eof
		l.tooLong = false
		l.line++
		return nil, &damageError{err: err}
	}
}

var errLineTooLong = fmt.Errorf("line longer than %d MiB", MaxLineSize>>20)

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
