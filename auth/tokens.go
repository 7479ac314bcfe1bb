package auth

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MinTokenLength is the shortest token a tokens file may hold: shorter
// ones are guessable.
const MinTokenLength = 16

// Tokens verifies opaque bearer tokens listed in a tokens file. Tokens are
// kept only as SHA-256 digests, so neither a heap dump nor a lookup's timing
// reveals them. Safe for concurrent use (immutable).
type Tokens struct {
	byDigest map[[sha256.Size]byte]Principal
}

// LoadTokens reads a tokens file: CSV with the header token,role,name (in
// any column order; extra columns are ignored), one caller per row. Blank
// lines and lines starting with # are skipped. Errors name the file and
// line, never a token.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads a tokens file from r (see LoadTokens).
func ParseTokens(r io.Reader) (*Tokens, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty tokens file (want a header token,role,name)", ErrConfig)
		}
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, want := range []string{"token", "role", "name"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%w: line 1: header lacks %q (want token,role,name)", ErrConfig, want)
		}
	}
	t := &Tokens{byDigest: map[[sha256.Size]byte]Principal{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		tok, name := get("token"), get("name")
		role, err := ParseRole(get("role"))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(tok) < MinTokenLength {
			return nil, fmt.Errorf("%w: line %d: token shorter than %d characters", ErrConfig, line, MinTokenLength)
		}
		if name == "" {
			return nil, fmt.Errorf("%w: line %d: empty name (the audit log needs one)", ErrConfig, line)
		}
		d := sha256.Sum256([]byte(tok))
		if _, dup := t.byDigest[d]; dup {
			return nil, fmt.Errorf("%w: line %d: duplicate token", ErrConfig, line)
		}
		t.byDigest[d] = Principal{Name: name, Role: role, Method: "token"}
	}
	if len(t.byDigest) == 0 {
		return nil, fmt.Errorf("%w: no tokens", ErrConfig)
	}
	return t, nil
}

// Len returns how many tokens the file held.
func (t *Tokens) Len() int { return len(t.byDigest) }

// Authenticate implements Authenticator.
func (t *Tokens) Authenticate(_ context.Context, token string) (Principal, error) {
	p, ok := t.byDigest[sha256.Sum256([]byte(token))]
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	return p, nil
}
