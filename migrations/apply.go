package migrations

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Apply applies the migrations that are not applied yet, in order, records
// them (goose's version table), and returns the names of those it applied. A
// session-level advisory lock serialises concurrent callers (two processes
// starting at once): the second waits, then finds nothing left to do.
func Apply(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	// Poll for the lock every second (goose's default is 5 s) for up to 5 min,
	// so a second process starting alongside waits no longer than it must.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	// Out-of-order application is allowed: migrations written on parallel
	// branches are independent files, and the one merged later must still be
	// applied where the other already ran.
	provider, err := goose.NewProvider(goose.DialectPostgres, db, FS, goose.WithSessionLocker(locker),
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}
