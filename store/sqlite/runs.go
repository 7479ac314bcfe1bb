package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/medtwin/medtwin/store"
)

// BeginRun implements store.Store.
func (s *Store) BeginRun(ctx context.Context, command string) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO runs (command, started, status) VALUES (?, ?, 'running') RETURNING run_id`,
			command, s.now().UnixMicro()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: begin run: %w", err)
	}
	return id, nil
}

// RecordFile implements store.Store.
func (s *Store) RecordFile(ctx context.Context, files ...store.FileRecord) error {
	if len(files) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO run_files (run_id, path, format, size, sha256, accepted, rejected, duplicate, superseded, stale, status, error, started, finished)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, path) DO UPDATE SET format = excluded.format, size = excluded.size, sha256 = excluded.sha256,
			  accepted = excluded.accepted, rejected = excluded.rejected, duplicate = excluded.duplicate,
			  superseded = excluded.superseded, stale = excluded.stale, status = excluded.status,
			  error = excluded.error, started = excluded.started, finished = excluded.finished`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, f := range files {
			if _, err := stmt.ExecContext(ctx, f.RunID, f.Path, f.Format, f.Size, nullString(f.SHA256), f.Accepted, f.Rejected, f.Duplicate, f.Superseded, f.Stale,
				f.Status, nullString(f.Error), micros(f.Started), micros(f.Finished)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: record file: %w", err)
	}
	return nil
}

// FinishRun implements store.Store.
func (s *Store) FinishRun(ctx context.Context, run int64, status string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE runs SET finished = ?, status = ? WHERE run_id = ?`, s.now().UnixMicro(), status, run)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: finish run: %w", err)
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
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, command, started, finished, status FROM runs ORDER BY run_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: runs: %w", err)
	}
	var runs []store.Run
	for rows.Next() {
		var (
			r                 store.Run
			started, finished sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Command, &started, &finished, &r.Status); err != nil {
			rows.Close()
			return nil, err
		}
		r.Started, r.Finished = fromMicros(started), fromMicros(finished)
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range runs {
		files, err := s.db.QueryContext(ctx, `SELECT path, format, size, sha256, accepted, rejected, duplicate, superseded, stale, status, error, started, finished
			FROM run_files WHERE run_id = ? ORDER BY started, path`, runs[i].ID)
		if err != nil {
			return nil, err
		}
		for files.Next() {
			var (
				f                 store.FileRecord
				format, sha, ferr sql.NullString
				started, finished sql.NullInt64
			)
			if err := files.Scan(&f.Path, &format, &f.Size, &sha, &f.Accepted, &f.Rejected, &f.Duplicate, &f.Superseded, &f.Stale, &f.Status, &ferr, &started, &finished); err != nil {
				files.Close()
				return nil, err
			}
			f.RunID, f.Format, f.SHA256, f.Error = runs[i].ID, format.String, sha.String, ferr.String
			f.Started, f.Finished = fromMicros(started), fromMicros(finished)
			runs[i].Files = append(runs[i].Files, f)
		}
		files.Close()
		if err := files.Err(); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// WriteAudit implements store.Store.
func (s *Store) WriteAudit(ctx context.Context, entries ...store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			t := e.Time
			if t.IsZero() {
				t = s.now()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit (time, actor, role, subject_id, action, fields, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				t.UnixMicro(), e.Actor, e.Role, e.SubjectID, e.Action, strings.Join(e.Fields, ","), nullString(e.Detail)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
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
	rows, err := s.db.QueryContext(ctx, `SELECT time, actor, role, subject_id, action, fields, detail FROM audit`+q.Where()+` ORDER BY time DESC, id DESC LIMIT `+q.Bind(limit), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit log: %w", err)
	}
	defer rows.Close()
	out := []store.AuditEntry{}
	for rows.Next() {
		var (
			e      store.AuditEntry
			t      sql.NullInt64
			fields string
			detail sql.NullString
		)
		if err := rows.Scan(&t, &e.Actor, &e.Role, &e.SubjectID, &e.Action, &fields, &detail); err != nil {
			return nil, err
		}
		e.Time = fromMicros(t)
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
		}
		e.Detail = detail.String
		out = append(out, e)
	}
	return out, rows.Err()
}
