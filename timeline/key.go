package timeline

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// KeySize is the size in bytes of a record key.
const KeySize = 16

// Key identifies a source record (not its content): FHIR resource type + id
// + component index, VCF sample + chrom + pos + ref + alt, a DICOM SOP
// Instance UID + measurement identity. Ingesting the same record again yields
// the same key, which is what makes re-ingest a no-op; a different content
// under a known key supersedes the earlier row.
type Key [KeySize]byte

// String returns the key in hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether the key is unset.
func (k Key) IsZero() bool { return k == Key{} }

// NewKey hashes the parts of a record's identity into a key. Parts are
// length-prefixed, so ("ab","c") and ("a","bc") differ.
func NewKey(parts ...string) Key {
	var h KeyHasher
	for _, p := range parts {
		h.Add(p)
	}
	return h.Sum()
}

// KeyHasher builds a key from parts without allocating per part. The zero
// value is ready to use; Sum resets it.
type KeyHasher struct {
	h       hash.Hash
	buf     [sha256.Size]byte
	len     [8]byte
	scratch []byte // a part's bytes: hash.Hash.Write takes a slice
}

// Add appends one identity part.
func (k *KeyHasher) Add(part string) {
	if k.h == nil {
		k.h = sha256.New()
	}
	n := len(part)
	for i := range k.len {
		k.len[i] = byte(n >> (8 * i))
	}
	k.h.Write(k.len[:])
	if hw, ok := k.h.(interface{ WriteString(string) (int, error) }); ok {
		hw.WriteString(part)
	} else {
		k.scratch = append(k.scratch[:0], part...)
		k.h.Write(k.scratch)
	}
}

// AddBytes appends one identity part given as bytes.
func (k *KeyHasher) AddBytes(part []byte) {
	if k.h == nil {
		k.h = sha256.New()
	}
	n := len(part)
	for i := range k.len {
		k.len[i] = byte(n >> (8 * i))
	}
	k.h.Write(k.len[:])
	k.h.Write(part)
}

// Sum returns the key of the parts added so far and resets the hasher.
func (k *KeyHasher) Sum() Key {
	if k.h == nil {
		k.h = sha256.New()
	}
	var key Key
	sum := k.h.Sum(k.buf[:0])
	copy(key[:], sum)
	k.h.Reset()
	return key
}
