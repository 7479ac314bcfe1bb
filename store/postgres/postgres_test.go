package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/benchdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/postgres"
	"github.com/medtwin/medtwin/store/postgres/pgtest"
	"github.com/medtwin/medtwin/store/storetest"
	"github.com/medtwin/medtwin/timeline"
)

// testURL returns the test database URL or skips the test.
func testURL(t testing.TB) string { return pgtest.URL(t) }

// open opens a store in a fresh schema.
func open(t testing.TB, opts ...postgres.Option) *postgres.Store { return pgtest.Open(t, opts...) }

func TestContract(t *testing.T) {
	testURL(t)
	storetest.Run(t, func(t *testing.T, clock func() time.Time) store.Store {
		return open(t, postgres.WithClock(clock))
	})
}

func BenchmarkStore(b *testing.B) {
	testURL(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b) })
}

// Reads and appends go on while Maintain rewrites and swaps the events
// table: prepared statements re-plan against the new table, appends wait
// for the swap, nothing is lost.
func TestMaintainConcurrent(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ids := storetest.Load(t, s, benchdata.Spec{Patients: 20, Events: 100, BatchRows: 300})
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rr, err := s.Timeline(ctx, ids[i%len(ids)], store.Filter{})
			if err == nil {
				_, err = timeline.ReadAll(rr)
			}
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Add(1)
	go func() { // appender: a second wave of events
		defer wg.Done()
		more := benchdata.Spec{Patients: 20, Events: 200, BatchRows: 300}
		err := more.Batches(ids, func(b *timeline.Batch) error {
			defer b.Release()
			_, err := s.Append(ctx, b)
			return err
		})
		if err != nil {
			errs <- err
		}
	}()
	for i := 0; i < 2; i++ {
		if err := s.Maintain(ctx); err != nil {
			t.Fatalf("Maintain: %v", err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := s.Count(ctx, store.Cohort{}, store.Filter{})
	if err != nil || n != 20*200 {
		t.Fatalf("after concurrent maintain: %d events, %v; want %d", n, err, 20*200)
	}
}
