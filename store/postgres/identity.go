package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/sqlq"
	"github.com/medtwin/medtwin/timeline"
)

// lockIdentifiers serialises transactions that resolve or link the same
// identifiers (transaction-scoped advisory locks, taken in key order so two
// callers never wait on each other in a cycle).
func (s *Store) lockIdentifiers(ctx context.Context, tx pgx.Tx, ids []timeline.Identifier) error {
	keys := make([]int64, 0, len(ids))
	for _, id := range ids {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s\x00%s", s.ns, id.System, id.Value)
		keys = append(keys, int64(h.Sum64()))
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k ORDER BY k`, keys)
	return err
}

func (s *Store) lockMerges(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.ns, lockMerge)
	return err
}

func lookupTx(ctx context.Context, q pgx.Tx, id timeline.Identifier) (int64, bool, error) {
	var sid int64
	err := q.QueryRow(ctx, `SELECT subject_id FROM identifiers WHERE system = $1 AND value = $2`, id.System, id.Value).Scan(&sid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return sid, err == nil, err
}

// Resolve implements store.Store.
func (s *Store) Resolve(ctx context.Context, ids ...timeline.Identifier) (int64, error) {
	if err := sqlq.CheckIdentifiers(ids); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	// Fast path, no transaction: every identifier is known and names one
	// subject (the usual case once a patient exists).
	if sid, ok, err := s.resolveKnown(ctx, ids); err != nil {
		return 0, fmt.Errorf("postgres: resolve: %w", err)
	} else if ok {
		return sid, nil
	}
	var subject int64
	err := s.retryTx(ctx, func(tx pgx.Tx, _ int) error {
		if err := s.lockIdentifiers(ctx, tx, ids); err != nil {
			return err
		}
		found := map[int64]bool{}
		for _, id := range ids {
			sid, ok, err := lookupTx(ctx, tx, id)
			if err != nil {
				return err
			}
			if ok {
				found[sid] = true
			}
		}
		switch len(found) {
		case 0:
			if err := tx.QueryRow(ctx, `INSERT INTO subjects (created_at) VALUES ($1) RETURNING subject_id`, s.now()).Scan(&subject); err != nil {
				return err
			}
		case 1:
			for sid := range found {
				subject = sid
			}
		default:
			ordered := make([]int64, 0, len(found))
			for sid := range found {
				ordered = append(ordered, sid)
			}
			sort.Slice(ordered, func(i, j int) bool { return ordered[i] < ordered[j] })
			subject = ordered[0]
			if err := s.lockMerges(ctx, tx); err != nil {
				return err
			}
			for _, from := range ordered[1:] {
				if err := s.mergeTx(ctx, tx, subject, from); err != nil {
					return err
				}
			}
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO identifiers (system, value, subject_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id.System, id.Value, subject); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: resolve: %w", err)
	}
	s.freshenStats(ctx)
	return subject, nil
}

// resolveKnown returns the subject when every identifier is known and all
// name the same subject.
func (s *Store) resolveKnown(ctx context.Context, ids []timeline.Identifier) (int64, bool, error) {
	systems := make([]string, len(ids))
	values := make([]string, len(ids))
	for i, id := range ids {
		systems[i], values[i] = id.System, id.Value
	}
	var n, distinct int
	var sid *int64
	err := s.pool.QueryRow(ctx, `SELECT count(i.subject_id), count(DISTINCT i.subject_id), min(i.subject_id)
		FROM unnest($1::text[], $2::text[]) AS k(system, value)
		LEFT JOIN identifiers i ON i.system = k.system AND i.value = k.value`, systems, values).Scan(&n, &distinct, &sid)
	if err != nil || sid == nil {
		return 0, false, err
	}
	return *sid, n == len(ids) && distinct == 1, nil
}

// Lookup implements store.Store.
func (s *Store) Lookup(ctx context.Context, id timeline.Identifier) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var sid int64
	err := s.pool.QueryRow(ctx, `SELECT subject_id FROM identifiers WHERE system = $1 AND value = $2`, id.System, id.Value).Scan(&sid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: lookup: %w", err)
	}
	return sid, nil
}

func subjectExists(ctx context.Context, tx pgx.Tx, subject int64) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM subjects WHERE subject_id = $1)`, subject).Scan(&ok)
	return ok, err
}

// Link implements store.Store.
func (s *Store) Link(ctx context.Context, subject int64, ids ...timeline.Identifier) error {
	if err := sqlq.CheckIdentifiers(ids); err != nil {
		return err
	}
	err := s.retryTx(ctx, func(tx pgx.Tx, _ int) error {
		if err := s.lockIdentifiers(ctx, tx, ids); err != nil {
			return err
		}
		if err := s.lockMerges(ctx, tx); err != nil {
			return err
		}
		ok, err := subjectExists(ctx, tx, subject)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		for _, id := range ids {
			other, known, err := lookupTx(ctx, tx, id)
			switch {
			case err != nil:
				return err
			case !known:
				if _, err := tx.Exec(ctx, `INSERT INTO identifiers (system, value, subject_id) VALUES ($1, $2, $3)`, id.System, id.Value, subject); err != nil {
					return err
				}
			case other != subject:
				if err := s.mergeTx(ctx, tx, subject, other); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: link: %w", err)
	}
	return nil
}

// Merge implements store.Store.
func (s *Store) Merge(ctx context.Context, into, from int64) error {
	if into == from {
		return nil
	}
	err := s.retryTx(ctx, func(tx pgx.Tx, _ int) error {
		if err := s.lockMerges(ctx, tx); err != nil {
			return err
		}
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
		return fmt.Errorf("postgres: merge: %w", err)
	}
	return nil
}

// mergeTx moves from's identifiers, events, codes and details to into. The
// caller holds the merge lock, so no append runs meanwhile.
//
// A record both subjects hold (one source record resolved twice) keeps
// into's version current and from's versions as history. The versions keep
// the schema's invariants: into's revs are shifted above from's, so the
// current version still has the highest rev and a rev 0 still exists.
func (s *Store) mergeTx(ctx context.Context, tx pgx.Tx, into, from int64) error {
	now := s.now()
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE identifiers SET subject_id = $1 WHERE subject_id = $2`, []any{into, from}},
		// Two steps, because unique keys are checked row by row: first
		// out of the way (negative), then above from's highest rev.
		{`UPDATE events e SET rev = -1 - e.rev
		   WHERE e.subject_id = $1 AND EXISTS (SELECT 1 FROM events f WHERE f.subject_id = $2 AND f.record_key = e.record_key)`, []any{into, from}},
		{`UPDATE events e SET rev = -1 - e.rev + 1 + f.max_rev
		    FROM (SELECT record_key, max(rev) AS max_rev FROM events WHERE subject_id = $2 GROUP BY record_key) f
		   WHERE e.subject_id = $1 AND e.record_key = f.record_key AND e.rev < 0`, []any{into, from}},
		{`UPDATE events e SET superseded_at = $3
		   WHERE e.subject_id = $2 AND e.superseded_at IS NULL
		     AND EXISTS (SELECT 1 FROM events i WHERE i.subject_id = $1 AND i.record_key = e.record_key)`, []any{into, from, now}},
		{`UPDATE events SET subject_id = $1 WHERE subject_id = $2`, []any{into, from}},
		{`INSERT INTO subject_codes (code, subject_id) SELECT code, $1 FROM subject_codes WHERE subject_id = $2 ON CONFLICT DO NOTHING`, []any{into, from}},
		{`DELETE FROM subject_codes WHERE subject_id = $1`, []any{from}},
	}
	for _, t := range timeline.DetailTables() {
		n := pgx.Identifier{string(t)}.Sanitize()
		stmts = append(stmts,
			struct {
				q    string
				args []any
			}{`UPDATE ` + n + ` d SET subject_id = $1 WHERE d.subject_id = $2
			     AND NOT EXISTS (SELECT 1 FROM ` + n + ` i WHERE i.subject_id = $1 AND i.record_key = d.record_key)`, []any{into, from}},
			struct {
				q    string
				args []any
			}{`DELETE FROM ` + n + ` WHERE subject_id = $1`, []any{from}})
	}
	stmts = append(stmts,
		struct {
			q    string
			args []any
		}{`DELETE FROM subjects WHERE subject_id = $1`, []any{from}},
		struct {
			q    string
			args []any
		}{`UPDATE merges SET into_subject = $1 WHERE into_subject = $2`, []any{into, from}},
		struct {
			q    string
			args []any
		}{`INSERT INTO merges (from_subject, into_subject, merged_at) VALUES ($1, $2, $3)
		   ON CONFLICT (from_subject) DO UPDATE SET into_subject = EXCLUDED.into_subject, merged_at = EXCLUDED.merged_at`, []any{from, into, now}},
	)
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
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
	// One round trip: the subject's row, joined to its identifiers (none:
	// one row of NULLs; no subject: no row).
	rows, err := s.pool.Query(ctx, `SELECT i.system, i.value FROM subjects s LEFT JOIN identifiers i ON i.subject_id = s.subject_id WHERE s.subject_id = $1 ORDER BY i.system, i.value`, subject)
	if err != nil {
		return nil, fmt.Errorf("postgres: identifiers: %w", err)
	}
	defer rows.Close()
	var out []timeline.Identifier
	found := false
	for rows.Next() {
		found = true
		var system, value *string
		if err := rows.Scan(&system, &value); err != nil {
			return nil, fmt.Errorf("postgres: identifiers: %w", err)
		}
		if system != nil && value != nil {
			out = append(out, timeline.Identifier{System: *system, Value: *value})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: identifiers: %w", err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	if out == nil {
		out = []timeline.Identifier{}
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
		sqlText += ` LIMIT ` + q.Bind(int64(sq.Limit))
	}
	rows, err := s.pool.Query(ctx, sqlText, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: subjects: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: subjects: %w", err)
	}
	if out == nil {
		out = []int64{}
	}
	return out, nil
}

// SubjectRange implements store.Store.
func (s *Store) SubjectRange(ctx context.Context) (lo, hi int64, err error) {
	if s.closed.Load() {
		return 0, 0, store.ErrClosed
	}
	var l, h *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(subject_id), max(subject_id) FROM subjects`).Scan(&l, &h); err != nil {
		return 0, 0, fmt.Errorf("postgres: subject range: %w", err)
	}
	if l == nil || h == nil {
		return 0, 0, nil
	}
	return *l, *h, nil
}
