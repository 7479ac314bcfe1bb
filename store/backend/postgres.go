package backend

import (
	"context"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/postgres"
)

func openPostgres(ctx context.Context, cfg Config) (store.Store, error) {
	return postgres.Open(ctx, cfg.DSN, postgres.WithClock(cfg.Now), postgres.WithLogger(cfg.Logger))
}
