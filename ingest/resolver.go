package ingest

import (
	"context"
	"sync"

	"github.com/medtwin/medtwin/timeline"
)

// CachedResolver memoises identifier → subject lookups of a run so that an
// adapter may resolve per record without a store round trip each time.
// Merges are safe: a store remaps rows of a merged-away subject on Append.
// Safe for concurrent use.
type CachedResolver struct {
	next Resolver
	max  int
	mu   sync.Mutex
	m    map[timeline.Identifier]int64
}

// NewCachedResolver caches up to max identifiers (1<<20 when 0); when full
// the cache starts over, which bounds memory on huge runs.
func NewCachedResolver(next Resolver, max int) *CachedResolver {
	if max <= 0 {
		max = 1 << 20
	}
	return &CachedResolver{next: next, max: max, m: make(map[timeline.Identifier]int64)}
}

// Resolve implements Resolver.
func (c *CachedResolver) Resolve(ctx context.Context, ids ...timeline.Identifier) (int64, error) {
	if len(ids) == 1 {
		c.mu.Lock()
		s, ok := c.m[ids[0]]
		c.mu.Unlock()
		if ok {
			return s, nil
		}
	}
	s, err := c.next.Resolve(ctx, ids...)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if len(c.m)+len(ids) > c.max {
		c.m = make(map[timeline.Identifier]int64)
	}
	for _, id := range ids {
		c.m[id] = s
	}
	c.mu.Unlock()
	return s, nil
}
