// Package backend opens a store.Store from the --db URL the CLI and servers
// take: sqlite:PATH (or a bare path) for the embedded store, postgres:// or
// postgresql:// for PostgreSQL.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
)

// DefaultDSN is the embedded store in the working directory.
const DefaultDSN = "sqlite:./medtwin.db"

// Config carries what every backend accepts.
type Config struct {
	DSN    string
	Logger *slog.Logger
	// Now overrides the store clock (tests).
	Now func() time.Time
}

// Open opens the store named by dsn.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	return OpenConfig(ctx, Config{DSN: dsn})
}

// OpenConfig opens the store named by cfg.DSN.
func OpenConfig(ctx context.Context, cfg Config) (store.Store, error) {
	dsn := cfg.DSN
	if dsn == "" {
		dsn = DefaultDSN
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, cfg)
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"), sqlite.WithClock(cfg.Now), sqlite.WithLogger(cfg.Logger))
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("store: unsupported --db scheme (want sqlite:PATH or postgres://…)")
	default:
		return sqlite.Open(ctx, dsn, sqlite.WithClock(cfg.Now), sqlite.WithLogger(cfg.Logger))
	}
}
