// Package pgtest connects tests to the real PostgreSQL that scripts/postgres-up.sh
// starts. Tests isolate themselves with fresh random tenants and ids instead of
// truncating tables, so they can run in parallel against one database.
package pgtest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/migrations"
)

// DefaultURL is the database the project's scripts create.
const DefaultURL = "postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable"

// URL is TEST_DATABASE_URL, else DATABASE_URL, else DefaultURL.
func URL() string {
	for _, k := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return DefaultURL
}

var (
	migrateOnce sync.Once
	migrateErr  error
)

// Pool returns a pool on the migrated test database, closed when the test
// ends. Without a reachable database the test FAILS when CI=true (a missing
// service must never pass as a skip there) and is skipped otherwise, saying why.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, URL())
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(pool.Close)
	migrateOnce.Do(func() { _, migrateErr = migrations.Apply(ctx, pool) })
	if migrateErr != nil {
		t.Fatalf("migrate test database: %v", migrateErr)
	}
	return pool
}

// Unavailable ends a test whose external service cannot be reached: Fatal
// under CI=true, Skip (with the reason and the fix) elsewhere.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but unreachable: %v", service, err)
	}
	t.Skipf("%s unreachable (%v); run `make services` to start it (under CI=true this fails)", service, err)
}
