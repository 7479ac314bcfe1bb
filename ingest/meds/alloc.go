package meds

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// boundedAllocator refuses any single allocation above max. Only a corrupt
// file asks for one (a damaged page header or length field), and the
// Parquet reader would otherwise try to allocate it; the refusal panics
// and the reader's recover turns it into ErrCorrupt.
type boundedAllocator struct {
	memory.Allocator
	max int
}

// allocLimit bounds single allocations while reading a file of size bytes:
// 32 times the file (pages decompress to many times their size) and at
// least 64 MiB (a batch of long text values), at most 4 GiB.
func allocLimit(size int64) int {
	return int(min(max(32*size, 64<<20), 4<<30))
}

func (b boundedAllocator) check(n int) {
	if n > b.max {
		panic(fmt.Sprintf("refusing to allocate %d bytes (limit %d for this file)", n, b.max))
	}
}

func (b boundedAllocator) Allocate(n int) []byte {
	b.check(n)
	return b.Allocator.Allocate(n)
}

func (b boundedAllocator) Reallocate(n int, old []byte) []byte {
	b.check(n)
	return b.Allocator.Reallocate(n, old)
}
