package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
)

// BeginRun implements store.Store.
func (s *Store) BeginRun(ctx context.Context, command string) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var id int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO runs (command, started, status) VALUES ($1, $2, 'running') RETURNING run_id`, command, s.now()).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: begin run: %w", err)
	}
	return id, nil
}

func nullString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// RecordFile implements store.Store.
func (s *Store) RecordFile(ctx context.Context, files ...store.FileRecord) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if len(files) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, f := range files {
		b.Queue(`INSERT INTO run_files (run_id, path, format, size, sha256, accepted, rejected, duplicate, superseded, stale, status, error, started, finished)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (run_id, path) DO UPDATE SET format = EXCLUDED.format, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
		  accepted = EXCLUDED.accepted, rejected = EXCLUDED.rejected, duplicate = EXCLUDED.duplicate,
		  superseded = EXCLUDED.superseded, stale = EXCLUDED.stale, status = EXCLUDED.status,
		  error = EXCLUDED.error, started = EXCLUDED.started, finished = EXCLUDED.finished`,
			f.RunID, f.Path, nullString(f.Format), f.Size, nullString(f.SHA256), f.Accepted, f.Rejected, f.Duplicate, f.Superseded, f.Stale,
			f.Status, nullString(f.Error), nullTime(f.Started), nullTime(f.Finished))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: record file: %w", err)
	}
	return nil
}

// FinishRun implements store.Store.
func (s *Store) FinishRun(ctx context.Context, run int64, status string) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tag, err := s.pool.Exec(ctx, `UPDATE runs SET finished = $1, status = $2 WHERE run_id = $3`, s.now(), status, run)
	if err != nil {
		return fmt.Errorf("postgres: finish run: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: finish run: %w", store.ErrNotFound)
	}
	return nil
}

// Runs implements store.Store.
func (s *Store) Runs(ctx context.Context, limit int) ([]store.Run, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.pool.Query(ctx, `SELECT run_id, command, started, finished, status FROM runs ORDER BY run_id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Run, error) {
		var (
			run      store.Run
			started  time.Time
			finished *time.Time
		)
		err := r.Scan(&run.ID, &run.Command, &started, &finished, &run.Status)
		run.Started, run.Finished = started.UTC(), timeOf(finished)
		return run, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: runs: %w", err)
	}
	if len(runs) == 0 {
		return runs, nil
	}
	ids := make([]int64, len(runs))
	index := make(map[int64]int, len(runs))
	for i, r := range runs {
		ids[i], index[r.ID] = r.ID, i
	}
	rows, err = s.pool.Query(ctx, `SELECT run_id, path, format, size, sha256, accepted, rejected, duplicate, superseded, stale, status, error, started, finished
		FROM run_files WHERE run_id = ANY($1::bigint[]) ORDER BY run_id, started, path`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f                 store.FileRecord
			format, sha, ferr *string
			started, finished *time.Time
		)
		if err := rows.Scan(&f.RunID, &f.Path, &format, &f.Size, &sha, &f.Accepted, &f.Rejected, &f.Duplicate, &f.Superseded, &f.Stale, &f.Status, &ferr, &started, &finished); err != nil {
			return nil, fmt.Errorf("postgres: runs: %w", err)
		}
		for _, p := range []struct {
			dst *string
			src *string
		}{{&f.Format, format}, {&f.SHA256, sha}, {&f.Error, ferr}} {
			if p.src != nil {
				*p.dst = *p.src
			}
		}
		f.Started, f.Finished = timeOf(started), timeOf(finished)
		r := &runs[index[f.RunID]]
		r.Files = append(r.Files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: runs: %w", err)
	}
	return runs, nil
}

// WriteAudit implements store.Store.
func (s *Store) WriteAudit(ctx context.Context, entries ...store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	now := s.now()
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit"}, []string{"time", "actor", "role", "subject_id", "action", "fields", "detail"},
		pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
			e := entries[i]
			t := e.Time
			if t.IsZero() {
				t = now
			}
			fields := e.Fields
			if fields == nil {
				fields = []string{}
			}
			return []any{t, e.Actor, e.Role, e.SubjectID, e.Action, fields, nullString(e.Detail)}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgres: audit: %w", err)
	}
	return nil
}

// AuditLog implements store.Store.
func (s *Store) AuditLog(ctx context.Context, aq store.AuditQuery) ([]store.AuditEntry, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	q := newQuery()
	q.Audit(aq)
	limit := aq.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT time, actor, role, subject_id, action, fields, detail FROM audit`+q.Where()+
		` ORDER BY time DESC, id DESC LIMIT `+q.Bind(int64(limit)), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) {
		var (
			e      store.AuditEntry
			detail *string
		)
		if err := r.Scan(&e.Time, &e.Actor, &e.Role, &e.SubjectID, &e.Action, &e.Fields, &detail); err != nil {
			return e, err
		}
		e.Time = e.Time.UTC()
		if len(e.Fields) == 0 {
			e.Fields = nil
		}
		if detail != nil {
			e.Detail = *detail
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: audit log: %w", err)
	}
	if out == nil {
		out = []store.AuditEntry{}
	}
	return out, nil
}
