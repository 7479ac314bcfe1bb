package pseudo

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ListFunc returns the subject ids greater than after, ascending (a store's
// Subjects with SubjectQuery{After: after}).
type ListFunc func(ctx context.Context, after int64) ([]int64, error)

// Index maps pseudonyms back to subject ids for a server that holds the key.
// It learns new subjects incrementally (ids above the highest it knows) when
// asked for a pseudonym it does not know, at most once per interval, so that
// a flood of made-up pseudonyms cannot turn into a flood of store scans.
// Safe for concurrent use.
type Index struct {
	p        *Pseudonymizer
	list     ListFunc
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	bySeudo map[string]int64
	maxID   int64
	last    time.Time
}

// NewIndex returns an index that learns subjects through list and refreshes
// on a miss at most once per interval (one second when interval <= 0).
func NewIndex(p *Pseudonymizer, list ListFunc, interval time.Duration) *Index {
	if interval <= 0 {
		interval = time.Second
	}
	return &Index{p: p, list: list, interval: interval, now: time.Now, bySeudo: map[string]int64{}}
}

// Resolve returns the subject a pseudonym names; ok is false when no known
// subject has it.
func (x *Index) Resolve(ctx context.Context, pseudonym string) (subject int64, ok bool, err error) {
	if !IsPseudonym(pseudonym) {
		return 0, false, ErrNotPseudonym
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, ok := x.bySeudo[pseudonym]; ok {
		return id, true, nil
	}
	if !x.last.IsZero() && x.now().Sub(x.last) < x.interval {
		return 0, false, nil
	}
	if err := x.refreshLocked(ctx); err != nil {
		return 0, false, err
	}
	id, ok := x.bySeudo[pseudonym]
	return id, ok, nil
}

// Refresh learns the subjects created since the last refresh.
func (x *Index) Refresh(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.refreshLocked(ctx)
}

func (x *Index) refreshLocked(ctx context.Context) error {
	ids, err := x.list(ctx, x.maxID)
	if err != nil {
		return fmt.Errorf("pseudo: index: %w", err)
	}
	for _, id := range ids {
		x.bySeudo[x.p.Subject(id)] = id
		if id > x.maxID {
			x.maxID = id
		}
	}
	x.last = x.now()
	return nil
}
