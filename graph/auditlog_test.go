package graph

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medtwin/medtwin/store"
)

type slowAudit struct {
	store.Store
	calls   atomic.Int64
	mu      sync.Mutex
	written []int64
	fail    bool
}

func (s *slowAudit) WriteAudit(_ context.Context, es ...store.AuditEntry) error {
	s.calls.Add(1)
	time.Sleep(20 * time.Millisecond)
	if s.fail {
		return errors.New("disk full")
	}
	s.mu.Lock()
	for _, e := range es {
		s.written = append(s.written, e.SubjectID)
	}
	s.mu.Unlock()
	return nil
}

func TestAuditWriterBatchesConcurrentRequests(t *testing.T) {
	for _, fail := range []bool{false, true} {
		s := &slowAudit{fail: fail}
		a := &auditWriter{s: s, timeout: time.Second}
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = a.write(context.Background(), []store.AuditEntry{{SubjectID: int64(i + 1)}})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (err != nil) != fail {
				t.Fatalf("fail=%v: request %d: %v", fail, i, err)
			}
		}
		if n := s.calls.Load(); n >= 40 || n < 1 {
			t.Errorf("fail=%v: %d writes for 40 requests", fail, n)
		}
		if !fail {
			seen := map[int64]int{}
			for _, id := range s.written {
				seen[id]++
			}
			for i := int64(1); i <= 40; i++ {
				if seen[i] != 1 {
					t.Errorf("entry %d written %d times", i, seen[i])
				}
			}
		}
	}
}
