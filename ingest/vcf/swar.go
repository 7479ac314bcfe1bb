package vcf

import (
	"encoding/binary"
	"math/bits"
)

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// indexShort is bytes.IndexByte for the short spans between separators
// (VCF fields are mostly a few bytes long, where bytes.IndexByte's set-up
// costs more than the scan): it tests eight bytes at a time with the
// "has zero byte" bit trick. The lowest flagged byte is always exact.
func indexShort(b []byte, c byte) int {
	pat := swarLo * uint64(c)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ pat
		if t := (x - swarLo) &^ x & swarHi; t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
