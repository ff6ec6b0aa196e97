// Package postgres implements the application's stores on PostgreSQL with
// pgx v5: the unit of work that commits a command's events, read model and
// outbox in one transaction, the readers of the users read model and the event
// store, tenants and tokens, and the schema migrations.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a connection pool and checks that the database answers.
// maxConns <= 0 keeps pgx's default (4 per CPU, at least 4); configure, if
// any, adjusts the pool's settings (NameConnectionsByRole).
func Connect(ctx context.Context, databaseURL string, maxConns int32, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	for _, c := range configure {
		c(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}
