// Package postgres is medtwin's PostgreSQL store: pgx/v5 native (pgxpool,
// binary COPY for bulk writes, binary result rows decoded straight into
// Arrow builders), with embedded, versioned migrations applied on open. It
// passes the same contract suite as the embedded store (store/storetest).
//
// Layout (measured, see scripts/bench.d/10-store.sh): data arrives in time
// order from many sources, so a patient's rows would be scattered over the
// heap. Append sorts each batch by (subject_id, record_key) before its COPY,
// so one patient's rows of a batch share pages and the primary-key index is
// filled in order; Maintain rewrites the events table in primary-key order
// when the layout has degraded, without blocking reads. Appends COPY
// straight into the indexed table: when the batch's keys cannot be known
// already (new patients, or a sample of keys that are all new) the COPY runs
// optimistically under a savepoint and the unique key catches the rare
// known record, after which the batch is probed and split exactly.
//
// The schema is Citus-ready: every patient-data table carries subject_id
// and every unique key on it includes subject_id (DESIGN.md §8).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/appendplan"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock stamping recorded_at, superseded_at, runs and
// merges.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	now   func() time.Time
	log   *slog.Logger
	ns    int32 // advisory-lock namespace of this schema
	codes *appendplan.CodeCache
	stats statsKeeper

	closed atomic.Bool
	base   context.Context // cancelled by Close: open readers fail
	cancel context.CancelFunc
}

var _ store.Store = (*Store)(nil)

// Session settings applied to every connection unless the DSN sets them:
// sorts of one cohort window stay in memory, and JIT compilation (tens of
// milliseconds per query) never pays off for these short, simple plans.
var defaultRuntimeParams = map[string]string{
	"application_name": "medtwin",
	"work_mem":         "64MB",
	"jit":              "off",
}

// Open connects to the database named by a postgres:// URL and applies
// pending migrations. A search_path parameter in the URL selects the schema.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return OpenConfig(ctx, cfg, opts...)
}

// OpenConfig connects with a parsed pool configuration (tests use it to set
// search_path) and applies pending migrations.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now, log: slog.New(slog.DiscardHandler), codes: appendplan.NewCodeCache(1 << 20), stats: statsKeeper{every: statsEveryDefault}}
	for _, o := range opts {
		o(s)
	}
	for k, v := range defaultRuntimeParams {
		if _, ok := cfg.ConnConfig.RuntimeParams[k]; !ok {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.pool = pool
	s.base, s.cancel = context.WithCancel(context.Background())
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: the search_path names no existing schema")
	}
	h := fnv.New32a()
	h.Write([]byte("medtwin\x00" + *schema))
	s.ns = int32(h.Sum32())
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Advisory locks (two-int4 form, first key = schema namespace).
const (
	lockMigrate  = 0
	lockMerge    = 1 // exclusive: merges; shared: appends
	lockMaintain = 2
)

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.ns, lockMigrate); err != nil {
			return fmt.Errorf("postgres: migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
			return fmt.Errorf("postgres: migrations table: %w", err)
		}
		applied := map[int]bool{}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, name := range names {
			base := strings.TrimPrefix(name, "migrations/")
			v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("postgres: migration %s: bad version", base)
			}
			if applied[v] {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			// Simple protocol: a migration is several statements.
			if _, err := tx.Conn().PgConn().Exec(ctx, string(body)).ReadAll(); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", base, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, s.now()); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", base, err)
			}
			s.log.Info("postgres: applied migration", "version", v)
		}
		return nil
	})
}

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.Background())
		return err
	}
	return tx.Commit(ctx)
}

// retryTx runs fn in a transaction, again when it fails on a conflict with a
// concurrent transaction (unique violation, serialization failure,
// deadlock): each attempt sees what the others committed.
func (s *Store) retryTx(ctx context.Context, fn func(tx pgx.Tx, attempt int) error) error {
	for attempt := 0; ; attempt++ {
		err := s.tx(ctx, func(tx pgx.Tx) error { return fn(tx, attempt) })
		if err == nil || attempt >= maxAttempts-1 || !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.log.Debug("postgres: retrying after a conflict", "attempt", attempt+1, "err", err)
	}
}

const maxAttempts = 8

// errConflict reports that a concurrent transaction changed rows this one
// decided on; the transaction is retried.
var errConflict = errors.New("postgres: concurrent change")

func retryable(err error) bool {
	if errors.Is(err, errConflict) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40001", "40P01":
			return true
		}
	}
	return false
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Close closes the pool. Open readers fail from now on.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.pool.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		// A reader was never released; its connection closes when it is.
		s.log.Warn("postgres: closing with readers still open")
	}
	return nil
}

// ConcurrentWrites tells ingest how many writes to keep in flight: one
// append is several round trips (lock, key lookups, COPY, details,
// commit), and a few at once keep the server busy while each waits on the
// network. Four fit the pool's default size on small machines.
func (s *Store) ConcurrentWrites() int { return 4 }
