package graph

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Cursor scopes: a cursor is only valid in the list it came from.
const (
	scopePatients byte = iota + 1
	scopeIdentifiers
	scopeTimeline
	scopeLabSeries
	scopeLabPoints
	scopeVariants
	scopeStudies
	scopeSeries
	scopeFeatures
	scopeLesions
	scopeTwinScores
	scopeScorePoints
	scopeTwinAttenuation
	scopeTwinVolume
	scopeTwinTrends
	scopeTwinTransitions
	scopePneuEpisodes
	scopePneuEvidence
	scopePneuCT
	scopeOncCancers
	scopeOncCourses
	scopeOncTimePoints
	scopeOncLines
	scopeOncMarkers
	scopeOncMarkerSeries
	scopeAIPairs
)

var errCursor = errors.New("invalid cursor")

// cursors seals list positions into opaque, tamper-evident strings
// (AES-GCM with a synthetic nonce, so one position always gives the same
// cursor). Sealing matters for researchers: a position holds a real time
// and subject id, which must not leak.
type cursors struct {
	aead cipher.AEAD
	mac  []byte
}

func newCursors(secret []byte) *cursors {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("medtwin/graphql/cursor/" + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("enc")[:32])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &cursors{aead: aead, mac: derive("nonce")}
}

// seal encodes a position of a list of one subject (0 for lists of
// patients).
func (c *cursors) seal(scope byte, subject int64, pos []byte) string {
	pt := make([]byte, 0, 9+len(pos))
	pt = append(pt, scope)
	pt = binary.BigEndian.AppendUint64(pt, uint64(subject))
	pt = append(pt, pos...)
	m := hmac.New(sha256.New, c.mac)
	m.Write(pt)
	nonce := m.Sum(nil)[:c.aead.NonceSize()]
	out := c.aead.Seal(append([]byte(nil), nonce...), nonce, pt, nil)
	return base64.RawURLEncoding.EncodeToString(out)
}

// open decodes a cursor, checking that it belongs to this list.
func (c *cursors) open(s string, scope byte, subject int64) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	ns := c.aead.NonceSize()
	if err != nil || len(b) < ns+c.aead.Overhead()+9 {
		return nil, errCursor
	}
	pt, err := c.aead.Open(nil, b[:ns], b[ns:], nil)
	if err != nil || len(pt) < 9 || pt[0] != scope || int64(binary.BigEndian.Uint64(pt[1:9])) != subject {
		return nil, errCursor
	}
	return pt[9:], nil
}
