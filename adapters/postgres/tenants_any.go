package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// AnyTenant reports whether the database has at least one tenant: the first
// run of `make run` (cmd/userservice, DEMO_ON_EMPTY_DATABASE) creates a demo
// tenant only on a database without any.
func AnyTenant(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants)`).Scan(&exists); err != nil {
		return false, fmt.Errorf("look for tenants: %w", err)
	}
	return exists, nil
}
