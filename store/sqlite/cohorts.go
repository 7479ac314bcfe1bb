package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/sqlq"
)

// SaveCohort implements store.Store.
func (s *Store) SaveCohort(ctx context.Context, c store.SavedCohort) error {
	if err := store.CheckCohortName(c.Name); err != nil {
		return err
	}
	def, err := sqlq.EncodeCohort(c.Cohort)
	if err != nil {
		return fmt.Errorf("sqlite: save cohort: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO saved_cohorts (name, description, definition, created_by, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET description = excluded.description, definition = excluded.definition,
			  created_by = excluded.created_by, created_at = excluded.created_at`,
			c.Name, nullString(c.Description), string(def), nullString(c.CreatedBy), s.now().UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: save cohort: %w", err)
	}
	return nil
}

const selectCohorts = `SELECT name, description, definition, created_by, created_at FROM saved_cohorts`

// LoadCohort implements store.Store.
func (s *Store) LoadCohort(ctx context.Context, name string) (store.SavedCohort, error) {
	if s.closed.Load() {
		return store.SavedCohort{}, store.ErrClosed
	}
	c, err := scanCohort(s.db.QueryRowContext(ctx, selectCohorts+` WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SavedCohort{}, store.ErrNotFound
	}
	if err != nil {
		return store.SavedCohort{}, fmt.Errorf("sqlite: load cohort: %w", err)
	}
	return c, nil
}

// Cohorts implements store.Store.
func (s *Store) Cohorts(ctx context.Context) ([]store.SavedCohort, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.db.QueryContext(ctx, selectCohorts+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: cohorts: %w", err)
	}
	defer rows.Close()
	out := []store.SavedCohort{}
	for rows.Next() {
		c, err := scanCohort(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: cohorts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanCohort(r interface{ Scan(...any) error }) (store.SavedCohort, error) {
	var (
		c         store.SavedCohort
		desc, by  sql.NullString
		def       string
		createdAt sql.NullInt64
	)
	if err := r.Scan(&c.Name, &desc, &def, &by, &createdAt); err != nil {
		return c, err
	}
	var err error
	if c.Cohort, err = sqlq.DecodeCohort([]byte(def)); err != nil {
		return c, err
	}
	c.Description, c.CreatedBy, c.CreatedAt = desc.String, by.String, fromMicros(createdAt)
	return c, nil
}
