// Package pgtest connects tests to the real PostgreSQL that scripts/postgres-up.sh
// starts. Tests isolate themselves with fresh random tenants and ids instead of
// truncating tables, so they can run in parallel against one database.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/migrations"
)

// DefaultURL is the database the project's scripts create; tests use a
// database of their own beside it (see URL).
const DefaultURL = "postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable"

// testDatabaseSuffix names the tests' database after the service's.
const testDatabaseSuffix = "_test"

// URL is TEST_DATABASE_URL if set; otherwise the database named after
// DATABASE_URL's (or DefaultURL's) with "_test" appended, created on first
// use. Tests never write into the database `make run` serves: their tenants,
// queued import rows and undeliverable notices would otherwise be picked up
// by a service running on it.
func URL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	ensureOnce.Do(func() { testURL, ensureErr = ensureDatabase(base, testDatabaseSuffix) })
	if ensureErr != nil {
		return base // Pool reports the database as unreachable, with the reason
	}
	return testURL
}

var (
	ensureOnce sync.Once
	testURL    string
	ensureErr  error
)

// ensureDatabase creates the database named base's + suffix unless it
// exists (or base's already ends so), and returns its URL. Test binaries of
// several packages race to create it: the loser's "already exists" is
// success.
func ensureDatabase(base, suffix string) (string, error) {
	test, name, err := siblingURL(base, suffix)
	if err != nil || name == "" {
		return test, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
			return "", fmt.Errorf("create test database %s: %w", name, err)
		}
	}
	return test, nil
}

// siblingURL is the URL and name of the database named base's + suffix
// (base itself and no name when base has no database name or its name
// already ends so).
func siblingURL(base, suffix string) (dbURL, name string, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	name = strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.HasSuffix(name, suffix) {
		return base, "", nil
	}
	sibling := *u
	sibling.Path = "/" + name + suffix
	return sibling.String(), name + suffix, nil
}

// migrated remembers, per database URL, the one migration of a test
// binary's run.
var (
	migratedMu sync.Mutex
	migrated   = map[string]*migration{}
)

type migration struct {
	once sync.Once
	err  error
}

// Pool returns a pool on the migrated test database, closed when the test
// ends. Without a reachable database the test FAILS when CI=true (a missing
// service must never pass as a skip there) and is skipped otherwise, saying why.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return poolAt(t, URL())
}

// OwnPool is Pool on a database of the caller's own, the test database's
// name with "_" + name appended (created and migrated on first use), for
// tests that drain a queue every tenant shares while other packages' tests
// fill it: a notice deliverer takes the next due notice of any tenant, and
// a service process another package's test runs would take this test's
// notices (and fail them against its own senders).
func OwnPool(t testing.TB, name string) *pgxpool.Pool {
	t.Helper()
	own, err := ensureDatabase(URL(), "_"+name)
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	return poolAt(t, own)
}

// FreshPool is OwnPool on a database created empty for the test and
// dropped when it ends (one that a failed run left behind is dropped
// first), for tests of what a new deployment's first writes meet: tables
// that were never analyzed, plans made for empty tables.
func FreshPool(t testing.TB, name string) *pgxpool.Pool {
	t.Helper()
	base := URL()
	own, db, err := siblingURL(base, "_"+name)
	if err == nil && db == "" {
		err = fmt.Errorf("test database URL %s names no database of its own", base)
	}
	if err == nil {
		err = dropDatabase(base, db)
	}
	if err == nil {
		own, err = ensureDatabase(base, "_"+name)
	}
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	pool := poolAt(t, own)
	t.Cleanup(func() {
		pool.Close()
		if err := dropDatabase(base, db); err != nil {
			t.Logf("drop the fresh database: %v", err)
		}
		migratedMu.Lock()
		delete(migrated, own)
		migratedMu.Unlock()
	})
	return pool
}

// dropDatabase drops the database name through a connection to base,
// closing its sessions.
func dropDatabase(base, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func poolAt(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(pool.Close)
	migratedMu.Lock()
	m := migrated[dbURL]
	if m == nil {
		m = &migration{}
		migrated[dbURL] = m
	}
	migratedMu.Unlock()
	m.once.Do(func() { _, m.err = migrations.Apply(ctx, pool) })
	if m.err != nil {
		t.Fatalf("migrate test database: %v", m.err)
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
