package vcf

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestIndexShort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 5000; n++ {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = "|a\x00\xff{}~"[rng.IntN(7)]
		}
		for _, c := range []byte("|a\x00\xff") {
			if got, want := indexShort(b, c), bytes.IndexByte(b, c); got != want {
				t.Fatalf("indexShort(%q, %q) = %d, want %d", b, c, got, want)
			}
		}
	}
}
