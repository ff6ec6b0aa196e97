package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/migrations"
)

// Migrate applies the embedded migrations not applied yet and returns their
// names; safe to run twice and from two processes at once (see migrations.Apply).
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	return migrations.Apply(ctx, pool)
}
