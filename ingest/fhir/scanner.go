package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// docScanner walks a JSON document (a Bundle) token by token with a fixed
// buffer, handing out one value at a time (a Bundle entry) so that a
// document of any size is read in memory bounded by its largest entry. It
// checks the structure (nesting, strings, separators), not the grammar of
// scalars: fastjson validates each value handed out.
type docScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	err      error // sticky read error (io.EOF at the end)
	line     int64 // newlines consumed so far (0-based line of pos)
}

const scanBuf = 256 << 10

func newDocScanner(r io.Reader) *docScanner {
	return &docScanner{r: r, buf: make([]byte, scanBuf)}
}

// fill reads more input; it returns false at the end or on an error.
func (s *docScanner) fill() bool {
	if s.err != nil {
		return false
	}
	if s.pos == s.end {
		s.pos, s.end = 0, 0
	}
	if s.end == len(s.buf) {
		if s.pos > 0 {
			copy(s.buf, s.buf[s.pos:s.end])
			s.end -= s.pos
			s.pos = 0
		} else {
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.err = err
	}
	return n > 0 || err == nil
}

// readErr is the error to report when input ended where a token was due.
func (s *docScanner) readErr() error {
	if s.err == nil || s.err == io.EOF {
		return fmt.Errorf("%w: unexpected end of input", ErrMalformedBundle)
	}
	return s.err
}

// peek returns the next non-whitespace byte without consuming it.
func (s *docScanner) peek() (byte, error) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			switch c {
			case ' ', '\t', '\r':
				s.pos++
			case '\n':
				s.pos++
				s.line++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			if s.pos < s.end {
				continue
			}
			if s.err == io.EOF {
				return 0, io.EOF
			}
			return 0, s.readErr()
		}
	}
}

// next consumes and returns the next non-whitespace byte.
func (s *docScanner) next() (byte, error) {
	c, err := s.peek()
	if err == io.EOF {
		return 0, s.readErr()
	}
	if err == nil {
		s.pos++
	}
	return c, err
}

func (s *docScanner) expect(want byte) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("%w: line %d: expected %q", ErrMalformedBundle, s.line+1, want)
	}
	return nil
}

// key reads an object key (the opening quote already consumed) and the
// colon after it; the key's raw bytes are returned (keys we look for have
// no escapes).
func (s *docScanner) key(dst []byte) ([]byte, error) {
	dst, err := s.stringBody(dst, true, -1)
	if err != nil {
		return dst, err
	}
	return dst, s.expect(':')
}

// stringBody scans a string after its opening quote up to and including the
// closing quote, appending the raw bytes (without the quotes) to dst when
// capture.
func (s *docScanner) stringBody(dst []byte, capture bool, limit int) ([]byte, error) {
	for {
		if s.pos == s.end && !s.fill() && s.pos == s.end {
			return dst, s.readErr()
		}
		chunk := s.buf[s.pos:s.end]
		i := bytes.IndexAny(chunk, "\"\\\n")
		if i < 0 {
			dst = s.keep(dst, chunk, capture, limit)
			s.pos = s.end
			continue
		}
		switch chunk[i] {
		case '"':
			dst = s.keep(dst, chunk[:i], capture, limit)
			s.pos += i + 1
			return dst, nil
		case '\n': // not allowed in a JSON string; keep counting lines
			dst = s.keep(dst, chunk[:i+1], capture, limit)
			s.pos += i + 1
			s.line++
		case '\\':
			// The escape and the byte it escapes, which may be in the next read.
			dst = s.keep(dst, chunk[:i+1], capture, limit)
			s.pos += i + 1
			if s.pos == s.end && !s.fill() && s.pos == s.end {
				return dst, s.readErr()
			}
			dst = s.keep(dst, s.buf[s.pos:s.pos+1], capture, limit)
			s.pos++
		}
	}
}

func (s *docScanner) keep(dst, b []byte, capture bool, limit int) []byte {
	if !capture || (limit >= 0 && len(dst)+len(b) > limit) {
		return dst
	}
	return append(dst, b...)
}

var errValueTooLarge = errors.New("value too large")

// value scans one JSON value, appending its raw bytes to dst when capture.
// A value longer than limit (when limit >= 0) is scanned to its end but not
// kept; the error is then ErrTooLarge and the scanner stays in step.
func (s *docScanner) value(dst []byte, capture bool, limit int) ([]byte, error) {
	start := len(dst)
	c, err := s.peek()
	if err != nil {
		if err == io.EOF {
			err = s.readErr()
		}
		return dst, err
	}
	over := false
	put := func(b []byte) {
		if !capture || over {
			return
		}
		if limit >= 0 && len(dst)-start+len(b) > limit {
			over = true
			return
		}
		dst = append(dst, b...)
	}
	if c != '{' && c != '[' {
		if c == '"' {
			s.pos++
			put([]byte{'"'})
			body, err := s.stringBody(nil, capture, limit)
			if err != nil {
				return dst, err
			}
			put(body)
			put([]byte{'"'})
		} else {
			// A literal or number: up to the next delimiter.
			for {
				if s.pos == s.end && !s.fill() && s.pos == s.end {
					break // a scalar may end the input
				}
				j := s.pos
				for j < s.end && !isDelim(s.buf[j]) {
					j++
				}
				put(s.buf[s.pos:j])
				done := j < s.end
				s.pos = j
				if done {
					break
				}
			}
			if len(dst) == start && capture {
				return dst, fmt.Errorf("%w: line %d: unexpected %q", ErrMalformedBundle, s.line+1, c)
			}
		}
		if over {
			return dst[:start], ErrTooLarge
		}
		return dst, nil
	}
	depth := 0
	for {
		if s.pos == s.end && !s.fill() && s.pos == s.end {
			return dst, s.readErr()
		}
		chunk := s.buf[s.pos:s.end]
		i := bytes.IndexAny(chunk, "\"{}[]\n")
		if i < 0 {
			put(chunk)
			s.pos = s.end
			continue
		}
		put(chunk[:i+1])
		s.pos += i + 1
		switch chunk[i] {
		case '\n':
			s.line++
		case '"':
			body, err := s.stringBody(nil, capture && !over, limit)
			if err != nil {
				return dst, err
			}
			put(body)
			put([]byte{'"'})
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return dst, fmt.Errorf("%w: line %d: unbalanced %q", ErrMalformedBundle, s.line+1, chunk[i])
			}
			if depth == 0 {
				if over {
					return dst[:start], ErrTooLarge
				}
				return dst, nil
			}
		}
	}
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// topLevelType returns the resourceType member of the top-level object in
// head (a document's first bytes), if head holds it.
func topLevelType(head []byte) (string, bool) {
	s := newDocScanner(bytes.NewReader(head))
	if c, err := s.next(); err != nil || c != '{' {
		return "", false
	}
	var k []byte
	for {
		c, err := s.next()
		if err != nil || c != '"' {
			return "", false
		}
		if k, err = s.key(k[:0]); err != nil {
			return "", false
		}
		if string(k) == "resourceType" {
			if c, err := s.next(); err != nil || c != '"' {
				return "", false
			}
			v, err := s.stringBody(nil, true, 256)
			return string(v), err == nil
		}
		if _, err := s.value(nil, false, -1); err != nil {
			return "", false
		}
		if c, err := s.next(); err != nil || c != ',' {
			return "", false
		}
	}
}
