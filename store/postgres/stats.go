package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/timeline"
)

// Planner statistics during bulk loads.
//
// A database loaded by medtwin ingest may run without autovacuum (CI and
// bulk-load configurations turn it off), and even with it the daemon lags
// a load that doubles a table in minutes. A table whose statistics say it
// is empty gets sequential-scan plans, and pgx's prepared statements keep
// the generic plan built then: at 100,000 patients the identifier lookup
// of every new patient scanned the whole identifiers table (quadratic; 200
// patients/s and falling). So appends and new subjects check, at most once
// per statsEvery, whether a table has doubled in pages since its last
// ANALYZE, and analyse it; ANALYZE also invalidates the cached plans.

const (
	// statsMinPages is the size (8 KB pages) below which a table is not
	// analysed: any plan is fast on 64 KB.
	statsMinPages = 8
	// statsGrowth is the growth since the last ANALYZE, as a share of the
	// pages counted then, that triggers the next: 1 analyses at every
	// doubling, about 17 times while events grows to 100 M rows.
	statsGrowth = 1.0
	// statsEveryDefault bounds the cost of the check (one catalogue query).
	statsEveryDefault = 10 * time.Second
	// lockStats keeps concurrent ingest processes from analysing the same
	// tables at once (session-scoped advisory lock, tried, never waited on).
	lockStats = 3
)

// statsKeeper rate-limits the growth check. It uses the wall clock, not the
// store's clock, which tests may freeze.
type statsKeeper struct {
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// statsTables are the tables a load grows.
func statsTables() []string {
	t := []string{"events", "identifiers", "subjects", "subject_codes"}
	for _, d := range timeline.DetailTables() {
		t = append(t, string(d))
	}
	return t
}

// freshenStats analyses the tables that have outgrown their statistics. It
// is best effort: a failure is logged and never fails the caller's write.
func (s *Store) freshenStats(ctx context.Context) {
	now := time.Now()
	s.stats.mu.Lock()
	due := !now.Before(s.stats.next)
	if due {
		s.stats.next = now.Add(s.stats.every)
	}
	s.stats.mu.Unlock()
	if !due {
		return
	}
	if err := s.analyzeGrown(ctx); err != nil {
		s.log.Warn("postgres: refreshing planner statistics failed", "err", err)
	}
}

// analyzeGrown runs ANALYZE on every store table whose size in pages is
// more than statsMinPages and more than (1+statsGrowth) times the pages its
// statistics were taken at (pg_class.relpages, 0 before the first ANALYZE).
// It reads the physical size, not the cumulative statistics system, so the
// decision does not depend on track_counts or on when a backend flushes its
// counters.
func (s *Store) analyzeGrown(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, `SELECT c.relname
		FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY($1)
		  AND pg_relation_size(c.oid) / current_setting('block_size')::int > greatest($2, (1 + $3) * greatest(c.relpages, 0))
		ORDER BY c.relname`, statsTables(), statsMinPages, statsGrowth)
	if err != nil {
		return err
	}
	grown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(grown) == 0 {
		return err
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, s.ns, lockStats).Scan(&locked); err != nil || !locked {
		return err // another process is analysing
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, s.ns, lockStats) //nolint:errcheck // released with the session otherwise
	start := time.Now()
	for _, t := range grown {
		if _, err := conn.Exec(ctx, `ANALYZE `+pgx.Identifier{t}.Sanitize()); err != nil {
			return err
		}
	}
	s.log.Debug("postgres: analysed grown tables", "tables", grown, "elapsed", time.Since(start))
	return nil
}
