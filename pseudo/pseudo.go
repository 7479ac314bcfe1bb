// Package pseudo pseudonymises patients for researchers: a subject id
// becomes a stable keyed hash (HMAC-SHA-256 under a site secret), and every
// date of a subject moves by a stable per-subject offset of whole days, so
// intervals within one patient stay exact while calendar dates no longer
// identify anyone. GraphQL and the Arrow services share it, so a researcher
// sees the same pseudonym and the same shifted dates through either.
//
// A Pseudonymizer is immutable and safe for concurrent use. Without the
// key, pseudonyms cannot be reversed or recomputed; with it, Index maps
// them back to subjects for the server.
package pseudo

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors.
var (
	// ErrKey: the key is missing, too short or unreadable.
	ErrKey = errors.New("pseudo: bad key")
	// ErrNotPseudonym: the string does not have the form of a pseudonym.
	ErrNotPseudonym = errors.New("pseudo: not a pseudonym")
)

const (
	// Prefix starts every subject pseudonym, so that a pseudonym can never
	// be mistaken for a subject id.
	Prefix = "ps_"
	// MinKeySize is the shortest key accepted (bytes).
	MinKeySize = 32
	// DefaultMaxShiftDays bounds the date shift: offsets are in
	// [-DefaultMaxShiftDays, +DefaultMaxShiftDays] days, never 0.
	DefaultMaxShiftDays = 182
	pseudonymBytes      = 15 // 120 bits: 24 base32 characters
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Pseudonymizer derives pseudonyms and date shifts from a secret key.
type Pseudonymizer struct {
	key      []byte
	maxShift int64
}

// Option configures a Pseudonymizer.
type Option func(*Pseudonymizer)

// WithMaxShiftDays sets the largest date shift in days (at least 1).
func WithMaxShiftDays(n int) Option {
	return func(p *Pseudonymizer) {
		if n >= 1 {
			p.maxShift = int64(n)
		}
	}
}

// New returns a Pseudonymizer for a key of at least MinKeySize bytes.
func New(key []byte, opts ...Option) (*Pseudonymizer, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(key), MinKeySize)
	}
	p := &Pseudonymizer{key: bytes.Clone(key), maxShift: DefaultMaxShiftDays}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// NewRandom returns a Pseudonymizer under a fresh random key: pseudonyms are
// stable only for its lifetime (tests, or a server started without a key).
func NewRandom(opts ...Option) *Pseudonymizer {
	k := make([]byte, MinKeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	p, _ := New(k, opts...)
	return p
}

// ParseKey decodes a key written as hex or base64 (standard or URL,
// padded or not); surrounding whitespace is ignored.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrKey)
	}
	if b, err := hex.DecodeString(s); err == nil {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: neither hex nor base64", ErrKey)
}

// LoadKeyFile reads a key file (hex or base64 text, see ParseKey).
func LoadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func (p *Pseudonymizer) mac(domain string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(domain))
	for _, b := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	return m.Sum(nil)
}

func idBytes(subject int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(subject))
	return b[:]
}

// Subject returns the pseudonym of a subject id: "ps_" and 24 base32
// characters (120 bits of HMAC-SHA-256).
func (p *Pseudonymizer) Subject(subject int64) string {
	return Prefix + b32.EncodeToString(p.mac("medtwin/subject/v1", idBytes(subject))[:pseudonymBytes])
}

// IsPseudonym reports whether s has the form of a subject pseudonym.
func IsPseudonym(s string) bool {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(rest) != b32.EncodedLen(pseudonymBytes) {
		return false
	}
	_, err := b32.DecodeString(rest)
	return err == nil
}

// Token returns a stable keyed hash of any other identifying string within
// a namespace (a DICOM Study Instance UID, a sample name), for joins inside
// pseudonymised output without revealing the value. Empty stays empty.
func (p *Pseudonymizer) Token(namespace, value string) string {
	if value == "" {
		return ""
	}
	return b32.EncodeToString(p.mac("medtwin/token/v1", []byte(namespace), []byte(value))[:pseudonymBytes])
}

// ShiftDays returns the subject's date offset in whole days: stable, within
// ±max, never 0.
func (p *Pseudonymizer) ShiftDays(subject int64) int {
	h := binary.BigEndian.Uint64(p.mac("medtwin/shift/v1", idBytes(subject))[:8])
	n := int64(h % uint64(2*p.maxShift)) // 0 … 2max-1
	d := n - p.maxShift                  // -max … max-1
	if d >= 0 {
		d++ // skip 0: -max … -1, 1 … max
	}
	return int(d)
}

// Shift returns the subject's offset as a duration.
func (p *Pseudonymizer) Shift(subject int64) time.Duration {
	return time.Duration(p.ShiftDays(subject)) * 24 * time.Hour
}

// ShiftTime moves a time of the subject by its offset; the zero time stays
// zero (a null date stays null).
func (p *Pseudonymizer) ShiftTime(subject int64, t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(p.Shift(subject))
}

// UnshiftTime undoes ShiftTime: it turns a date a researcher gives (in the
// subject's shifted calendar) into the real one.
func (p *Pseudonymizer) UnshiftTime(subject int64, t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(-p.Shift(subject))
}

// String never shows the key.
func (p *Pseudonymizer) String() string {
	return "pseudo.Pseudonymizer(max shift " + strconv.FormatInt(p.maxShift, 10) + " days)"
}
