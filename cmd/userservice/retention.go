package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// retentionInterval is how often the importer role purges expired personal
// data (README "Personal data", Retention).
const retentionInterval = time.Hour

// withRetention runs next and, beside it, the hourly purge of the personal
// data of import jobs finished more than retention ago (0: never). A failed
// purge is logged and tried again next hour: it must not stop the imports.
func withRetention(next roles.Runner, pool *pgxpool.Pool, retention time.Duration, log *zap.Logger) roles.Runner {
	if retention <= 0 {
		return next
	}
	return roles.RunFunc(func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return next.Run(ctx) })
		g.Go(func() error {
			t := time.NewTicker(retentionInterval)
			defer t.Stop()
			for {
				n, err := postgres.PurgeExpiredPersonalData(ctx, pool, time.Now().Add(-retention))
				switch {
				case ctx.Err() != nil:
					return nil
				case err != nil:
					log.Error("retention purge of personal data failed; retried in an hour", zap.Error(err))
				case n > 0:
					log.Info("purged the personal data of expired import jobs", zap.Int("jobs", n))
				}
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
				}
			}
		})
		return g.Wait()
	})
}
