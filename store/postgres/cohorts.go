package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/internal/sqlq"
)

// SaveCohort implements store.Store.
func (s *Store) SaveCohort(ctx context.Context, c store.SavedCohort) error {
	if err := store.CheckCohortName(c.Name); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	def, err := sqlq.EncodeCohort(c.Cohort)
	if err != nil {
		return fmt.Errorf("postgres: save cohort: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO saved_cohorts (name, description, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, definition = excluded.definition,
		  created_by = excluded.created_by, created_at = excluded.created_at`,
		c.Name, nullString(c.Description), string(def), nullString(c.CreatedBy), s.now())
	if err != nil {
		return fmt.Errorf("postgres: save cohort: %w", err)
	}
	return nil
}

const selectCohorts = `SELECT name, description, definition::text, created_by, created_at FROM saved_cohorts`

// LoadCohort implements store.Store.
func (s *Store) LoadCohort(ctx context.Context, name string) (store.SavedCohort, error) {
	if s.closed.Load() {
		return store.SavedCohort{}, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, selectCohorts+` WHERE name = $1`, name)
	if err != nil {
		return store.SavedCohort{}, fmt.Errorf("postgres: load cohort: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCohort)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SavedCohort{}, store.ErrNotFound
	}
	if err != nil {
		return store.SavedCohort{}, fmt.Errorf("postgres: load cohort: %w", err)
	}
	return c, nil
}

// Cohorts implements store.Store.
func (s *Store) Cohorts(ctx context.Context) ([]store.SavedCohort, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, selectCohorts+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: cohorts: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCohort)
	if err != nil {
		return nil, fmt.Errorf("postgres: cohorts: %w", err)
	}
	if out == nil {
		out = []store.SavedCohort{}
	}
	return out, nil
}

func scanCohort(r pgx.CollectableRow) (store.SavedCohort, error) {
	var (
		c        store.SavedCohort
		desc, by *string
		def      string
		at       time.Time
	)
	if err := r.Scan(&c.Name, &desc, &def, &by, &at); err != nil {
		return c, err
	}
	var err error
	if c.Cohort, err = sqlq.DecodeCohort([]byte(def)); err != nil {
		return c, err
	}
	if desc != nil {
		c.Description = *desc
	}
	if by != nil {
		c.CreatedBy = *by
	}
	c.CreatedAt = at.UTC()
	return c, nil
}
