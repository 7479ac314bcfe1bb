package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/internal/benchdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/storetest"
)

// A cohort scan streams on a connection with a small page cache and gives
// the connection back to the pool with its usual cache, whether the scan
// was read to the end or abandoned.
func TestScanConnectionCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "medtwin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.SetMaxOpenConns(1) // the scan's connection is the only one
	storetest.Load(t, s, benchdata.Spec{Patients: 20, Events: 50, BatchRows: 500})
	cache := func() int {
		t.Helper()
		var kib int
		if err := s.db.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil {
			t.Fatal(err)
		}
		return kib
	}
	if got := cache(); got != -cacheKiB {
		t.Fatalf("cache_size before any scan = %d, want %d", got, -cacheKiB)
	}
	for _, tc := range []struct {
		name string
		read func(r interface{ Next() bool })
	}{
		{"read to the end", func(r interface{ Next() bool }) {
			for r.Next() {
			}
		}},
		{"abandoned after one batch", func(r interface{ Next() bool }) { r.Next() }},
		{"not read", func(r interface{ Next() bool }) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Scan(ctx, store.Cohort{}, store.Filter{BatchRows: 100})
			if err != nil {
				t.Fatal(err)
			}
			tc.read(r)
			r.Release()
			if got := cache(); got != -cacheKiB {
				t.Fatalf("cache_size after the scan = %d, want %d", got, -cacheKiB)
			}
		})
	}
	// While a scan streams, its connection has the scan's cache.
	r, err := s.Scan(ctx, store.Cohort{}, store.Filter{BatchRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Next() {
		t.Fatalf("scan returned nothing: %v", r.Err())
	}
	var kib int
	if err := r.(*eventReader).conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if kib != -scanCacheKiB {
		t.Fatalf("cache_size during the scan = %d, want %d", kib, -scanCacheKiB)
	}
}
