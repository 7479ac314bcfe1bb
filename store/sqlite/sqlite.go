// Package sqlite is medtwin's embedded store: one SQLite file in WAL mode
// (modernc.org/sqlite, no C compiler, no server). It is the default for the
// demo, tests and small sites, and passes the same contract suite as the
// PostgreSQL backend (store/storetest).
//
// Events live in a WITHOUT ROWID table keyed by (subject_id, record_key,
// rev), so one patient's timeline is one contiguous b-tree range. Times are
// stored as integer microseconds since the Unix epoch.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/appendplan"
	"github.com/medtwin/medtwin/store/internal/sqlq"
	"github.com/medtwin/medtwin/timeline"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock stamping recorded_at, superseded_at and runs.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Store is the SQLite implementation of store.Store.
type Store struct {
	db     *sql.DB
	now    func() time.Time
	log    *slog.Logger
	codes  *appendplan.CodeCache
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// cacheKiB is each connection's page cache: index and hot pages of point
// reads and appends. Cohort scans shrink theirs while they stream (see
// scanCacheKiB).
const cacheKiB = 64 * 1024

// Open opens (creating when needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now, log: slog.New(slog.DiscardHandler), codes: appendplan.NewCodeCache(1 << 20)}
	for _, o := range opts {
		o(s)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(30000)", "synchronous(NORMAL)", "foreign_keys(ON)", fmt.Sprintf("cache_size(-%d)", cacheKiB), "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: bad version", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, s.now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", base, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Close closes the database.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

// Maintain runs SQLite's optimize (refreshes statistics where useful).
func (s *Store) Maintain(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	_, err := s.db.ExecContext(ctx, `PRAGMA optimize`)
	return err
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return timeline.FromMicros(v.Int64)
}

// Resolve implements store.Store.
func (s *Store) Resolve(ctx context.Context, ids ...timeline.Identifier) (int64, error) {
	if err := sqlq.CheckIdentifiers(ids); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	// Fast path, without the write lock: every identifier is known and
	// names one subject (the usual case once a patient exists).
	if sid, ok, err := s.resolveKnown(ctx, ids); err != nil {
		return 0, fmt.Errorf("sqlite: resolve: %w", err)
	} else if ok {
		return sid, nil
	}
	var subject int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		found := map[int64]bool{}
		for _, id := range ids {
			var sid int64
			err := tx.QueryRowContext(ctx, `SELECT subject_id FROM identifiers WHERE system = ? AND value = ?`, id.System, id.Value).Scan(&sid)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			default:
				found[sid] = true
			}
		}
		switch len(found) {
		case 0:
			// Never reuse the id of a merged-away subject (an INTEGER
			// PRIMARY KEY would take max+1 after the newest subject was
			// merged away): rows arriving for that id follow the merge.
			if err := tx.QueryRowContext(ctx, `INSERT INTO subjects (subject_id, created_at) VALUES (
				max(coalesce((SELECT max(subject_id) FROM subjects), 0), coalesce((SELECT max(from_subject) FROM merges), 0)) + 1, ?)
				RETURNING subject_id`, s.now().UnixMicro()).Scan(&subject); err != nil {
				return err
			}
		default:
			ordered := make([]int64, 0, len(found))
			for sid := range found {
				ordered = append(ordered, sid)
			}
			sort.Slice(ordered, func(i, j int) bool { return ordered[i] < ordered[j] })
			subject = ordered[0]
			for _, from := range ordered[1:] {
				if err := s.mergeTx(ctx, tx, subject, from); err != nil {
					return err
				}
			}
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO identifiers (system, value, subject_id) VALUES (?, ?, ?)`, id.System, id.Value, subject); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: resolve: %w", err)
	}
	return subject, nil
}

// resolveKnown returns the subject when every identifier is known and all
// name the same subject.
func (s *Store) resolveKnown(ctx context.Context, ids []timeline.Identifier) (int64, bool, error) {
	var subject int64
	for i, id := range ids {
		var sid int64
		err := s.db.QueryRowContext(ctx, `SELECT subject_id FROM identifiers WHERE system = ? AND value = ?`, id.System, id.Value).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		if i > 0 && sid != subject {
			return 0, false, nil
		}
		subject = sid
	}
	return subject, true, nil
}

// Lookup implements store.Store.
func (s *Store) Lookup(ctx context.Context, id timeline.Identifier) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var sid int64
	err := s.db.QueryRowContext(ctx, `SELECT subject_id FROM identifiers WHERE system = ? AND value = ?`, id.System, id.Value).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: lookup: %w", err)
	}
	return sid, nil
}

func subjectExists(ctx context.Context, tx *sql.Tx, subject int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM subjects WHERE subject_id = ?`, subject).Scan(&n)
	return n > 0, err
}

// Link implements store.Store.
func (s *Store) Link(ctx context.Context, subject int64, ids ...timeline.Identifier) error {
	if err := sqlq.CheckIdentifiers(ids); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := subjectExists(ctx, tx, subject)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		for _, id := range ids {
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT subject_id FROM identifiers WHERE system = ? AND value = ?`, id.System, id.Value).Scan(&other)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO identifiers (system, value, subject_id) VALUES (?, ?, ?)`, id.System, id.Value, subject); err != nil {
					return err
				}
			case err != nil:
				return err
			case other != subject:
				if err := s.mergeTx(ctx, tx, subject, other); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: link: %w", err)
	}
	return nil
}

// Merge implements store.Store.
func (s *Store) Merge(ctx context.Context, into, from int64) error {
	if into == from {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, sid := range []int64{into, from} {
			ok, err := subjectExists(ctx, tx, sid)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrNotFound
			}
		}
		return s.mergeTx(ctx, tx, into, from)
	})
	if err != nil {
		return fmt.Errorf("sqlite: merge: %w", err)
	}
	return nil
}

func (s *Store) mergeTx(ctx context.Context, tx *sql.Tx, into, from int64) error {
	now := s.now().UnixMicro()
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE identifiers SET subject_id = ? WHERE subject_id = ?`, []any{into, from}},
		// Records both subjects hold (one source record resolved twice):
		// into's version stays current, from's versions become history.
		// into's revs move above from's (in two steps: unique keys are
		// checked row by row), so the current version keeps the highest
		// rev and new versions get rev+1 without a collision.
		{`UPDATE events SET rev = -1 - rev
		  WHERE subject_id = ?1 AND record_key IN (SELECT record_key FROM events WHERE subject_id = ?2)`, []any{into, from}},
		{`UPDATE events SET rev = -1 - rev + 1 + (SELECT max(f.rev) FROM events f WHERE f.subject_id = ?2 AND f.record_key = events.record_key)
		  WHERE subject_id = ?1 AND rev < 0`, []any{into, from}},
		{`UPDATE events SET superseded_at = ?3
		  WHERE subject_id = ?2 AND superseded_at IS NULL AND record_key IN (SELECT record_key FROM events WHERE subject_id = ?1)`, []any{into, from, now}},
		{`UPDATE events SET subject_id = ? WHERE subject_id = ?`, []any{into, from}},
		{`INSERT OR IGNORE INTO subject_codes (code, subject_id) SELECT code, ? FROM subject_codes WHERE subject_id = ?`, []any{into, from}},
		{`DELETE FROM subject_codes WHERE subject_id = ?`, []any{from}},
	}
	for _, t := range timeline.DetailTables() {
		stmts = append(stmts,
			struct {
				q    string
				args []any
			}{`UPDATE OR IGNORE ` + string(t) + ` SET subject_id = ? WHERE subject_id = ?`, []any{into, from}},
			struct {
				q    string
				args []any
			}{`DELETE FROM ` + string(t) + ` WHERE subject_id = ?`, []any{from}})
	}
	stmts = append(stmts,
		struct {
			q    string
			args []any
		}{`DELETE FROM subjects WHERE subject_id = ?`, []any{from}},
		struct {
			q    string
			args []any
		}{`UPDATE merges SET into_subject = ? WHERE into_subject = ?`, []any{into, from}},
		struct {
			q    string
			args []any
		}{`INSERT OR REPLACE INTO merges (from_subject, into_subject, merged_at) VALUES (?, ?, ?)`, []any{from, into, now}},
	)
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// Identifiers implements store.Store.
func (s *Store) Identifiers(ctx context.Context, subject int64) ([]timeline.Identifier, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	// One statement: the subject's row, joined to its identifiers (none:
	// one row of NULLs; no subject: no row).
	rows, err := s.db.QueryContext(ctx, `SELECT i.system, i.value FROM subjects s LEFT JOIN identifiers i ON i.subject_id = s.subject_id WHERE s.subject_id = ? ORDER BY i.system, i.value`, subject)
	if err != nil {
		return nil, fmt.Errorf("sqlite: identifiers: %w", err)
	}
	defer rows.Close()
	out := []timeline.Identifier{}
	found := false
	for rows.Next() {
		found = true
		var system, value sql.NullString
		if err := rows.Scan(&system, &value); err != nil {
			return nil, fmt.Errorf("sqlite: identifiers: %w", err)
		}
		if system.Valid && value.Valid {
			out = append(out, timeline.Identifier{System: system.String, Value: value.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: identifiers: %w", err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	return out, nil
}

// Subjects implements store.Store.
func (s *Store) Subjects(ctx context.Context, sq store.SubjectQuery) ([]int64, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	q := newQuery()
	q.Subjects(sq, "events", "subject_codes")
	sqlText := `SELECT s.subject_id FROM subjects s` + q.Where() + ` ORDER BY s.subject_id`
	if sq.Limit > 0 {
		sqlText += ` LIMIT ` + q.Bind(sq.Limit)
	}
	rows, err := s.db.QueryContext(ctx, sqlText, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: subjects: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SubjectRange implements store.Store.
func (s *Store) SubjectRange(ctx context.Context) (lo, hi int64, err error) {
	if s.closed.Load() {
		return 0, 0, store.ErrClosed
	}
	var l, h sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(subject_id), max(subject_id) FROM subjects`).Scan(&l, &h); err != nil {
		return 0, 0, fmt.Errorf("sqlite: subject range: %w", err)
	}
	return l.Int64, h.Int64, nil
}
