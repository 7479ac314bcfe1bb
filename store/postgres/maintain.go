package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// ClusterThreshold is the correlation between the physical order of the
// events table and subject_id (pg_stats, after ANALYZE) below which
// Maintain rewrites the table in primary-key order. A table filled one
// patient at a time stays near 1; time-ordered feeds of many patients drive
// it towards 0.
const ClusterThreshold = 0.95

// Maintain implements store.Store: it refreshes planner statistics and,
// when the events table's layout has degraded, rewrites it in primary-key
// order so that each patient's timeline is one run of pages. The rewrite
// copies the table under a SHARE lock — reads go on, appends wait — and
// swaps the copy in with a short exclusive lock.
func (s *Store) Maintain(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	start := time.Now()
	if _, err := s.pool.Exec(ctx, `ANALYZE events`); err != nil {
		return fmt.Errorf("postgres: maintain: %w", err)
	}
	var corr *float64
	err := s.pool.QueryRow(ctx, `SELECT correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'events' AND attname = 'subject_id'`).Scan(&corr)
	if err != nil && err != pgx.ErrNoRows {
		return fmt.Errorf("postgres: maintain: %w", err)
	}
	if corr != nil && *corr < ClusterThreshold {
		n, err := s.recluster(ctx)
		if err != nil {
			return fmt.Errorf("postgres: maintain: re-cluster: %w", err)
		}
		s.log.Info("postgres: re-clustered events by subject", "rows", n, "correlation_before", *corr, "elapsed", time.Since(start))
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) events`); err != nil {
			return fmt.Errorf("postgres: maintain: %w", err)
		}
	} else {
		s.log.Info("postgres: events layout is clustered", "correlation", corr)
		if _, err := s.pool.Exec(ctx, `VACUUM events`); err != nil {
			return fmt.Errorf("postgres: maintain: %w", err)
		}
	}
	tables := []string{"subject_codes", "subjects", "identifiers", "audit"}
	for _, t := range timeline.DetailTables() {
		tables = append(tables, string(t))
	}
	for _, t := range tables {
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+pgx.Identifier{t}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: maintain %s: %w", t, err)
		}
	}
	return nil
}

// recluster rewrites events in primary-key order and swaps the copy in.
func (s *Store) recluster(ctx context.Context) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		steps := []string{
			fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, %d)`, s.ns, lockMaintain),
			// Appends take the merge lock shared before they touch events:
			// holding it exclusively drains them and keeps new ones out, so
			// none holds a lock on events that the swap would wait for while
			// it waits for the rewrite (a deadlock).
			fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, %d)`, s.ns, lockMerge),
			`SET LOCAL work_mem = '256MB'`,
			`SET LOCAL maintenance_work_mem = '512MB'`,
			// Readers go on; writers wait until the swap.
			`LOCK TABLE events IN SHARE MODE`,
			`DROP TABLE IF EXISTS events_rewrite`,
			`CREATE TABLE events_rewrite (LIKE events INCLUDING ALL EXCLUDING INDEXES)`,
		}
		for _, q := range steps {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO events_rewrite SELECT * FROM events ORDER BY subject_id, record_key, rev`)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `ALTER TABLE events_rewrite ADD CONSTRAINT events_rewrite_pkey PRIMARY KEY (subject_id, record_key, rev)`); err != nil {
			return err
		}
		if err := s.lockExclusive(ctx, tx); err != nil {
			return err
		}
		for _, q := range []string{
			`DROP TABLE events`,
			`ALTER TABLE events_rewrite RENAME TO events`,
			`ALTER TABLE events RENAME CONSTRAINT events_rewrite_pkey TO events_pkey`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// lockExclusive upgrades to the exclusive lock of the swap. A long read
// holding the table would queue every later read behind the upgrade, so the
// wait is bounded and retried.
func (s *Store) lockExclusive(ctx context.Context, tx pgx.Tx) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = tx.Exec(ctx, `SAVEPOINT swap`); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `SET LOCAL lock_timeout = '2s'`); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `LOCK TABLE events IN ACCESS EXCLUSIVE MODE`); err == nil {
			_, err = tx.Exec(ctx, `RELEASE SAVEPOINT swap`)
			return err
		}
		if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT swap`); rerr != nil {
			return rerr
		}
		s.log.Info("postgres: maintain: waiting for reads to finish before the swap")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("events stayed in use: %w", err)
}
