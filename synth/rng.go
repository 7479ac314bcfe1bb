package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"time"
)

// rng is a patient's random stream: PCG seeded by (seed, patient index), so
// a patient is the same whatever else is generated and in whatever order.
type rng struct{ *rand.Rand }

func newRNG(seed int64, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(uint64(seed), stream*0x9e3779b97f4a7c15+1))}
}

// norm draws from N(mean, sd).
func (r rng) norm(mean, sd float64) float64 { return mean + sd*r.NormFloat64() }

// lognorm draws exp(N(ln median, sd)).
func (r rng) lognorm(median, sd float64) float64 { return median * math.Exp(sd*r.NormFloat64()) }

// uniform draws from [lo, hi).
func (r rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// chance is true with probability p.
func (r rng) chance(p float64) bool { return r.Float64() < p }

// between draws an integer in [lo, hi].
func (r rng) between(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// pick returns one of xs.
func pick[T any](r rng, xs []T) T { return xs[r.IntN(len(xs))] }

// days returns d days as a duration.
func days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// ids derives identifiers that depend only on the seed and their parts.
type ids struct{ seed int64 }

func (g ids) hash(parts ...any) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(g.seed))
	h.Write(b[:])
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%v", p)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// uuid returns an RFC 4122 version-4-shaped UUID.
func (g ids) uuid(parts ...any) string {
	s := g.hash(parts...)
	s[6] = s[6]&0x0f | 0x40
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// uid returns a DICOM UID under 2.25 (ISO/IEC 9834-8: the UUID as a
// decimal integer), at most 64 characters.
func (g ids) uid(parts ...any) string {
	s := g.hash(parts...)
	s[6] = s[6]&0x0f | 0x40
	s[8] = s[8]&0x3f | 0x80
	return "2.25." + new(big.Int).SetBytes(s[:16]).String()
}
