package backend

import (
	"context"
	"errors"

	"github.com/medtwin/medtwin/store"
)

func openPostgres(ctx context.Context, cfg Config) (store.Store, error) {
	return nil, errors.New("store: the PostgreSQL backend is not built yet")
}
