package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/migrations"
)

type result struct {
	code           int
	stdout, stderr string
}

// usersctl runs the command in-process against databaseURL.
func usersctl(t *testing.T, databaseURL string, args ...string) result {
	t.Helper()
	var out, errOut strings.Builder
	e := env{stdout: &out, stderr: &errOut, lookupEnv: func(k string) (string, bool) {
		if k == "DATABASE_URL" {
			return databaseURL, true
		}
		return "", false
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, e)
	return result{code, out.String(), errOut.String()}
}

// freshDatabase creates an empty database for one test and drops it after,
// so migrations can be watched applying from scratch without touching the
// shared test database.
func freshDatabase(t *testing.T) string {
	t.Helper()
	admin := pgtest.Pool(t)
	u, err := url.Parse(pgtest.URL())
	if err != nil || u.Scheme == "" {
		pgtest.Unavailable(t, "a PostgreSQL URL to derive a fresh database from", fmt.Errorf("TEST_DATABASE_URL/DATABASE_URL is not a URL (%v)", err))
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "usersctl_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// Our pools are closed by now, but an autovacuum worker may still be
		// on the new database; WITH (FORCE) would need rights over it that
		// the test role lacks, so wait for it to leave instead.
		var err error
		for i := 0; i < 40; i++ {
			if _, err = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("drop database %s: %v", name, err)
	})
	u.Path = "/" + name
	return u.String()
}

func migrationNames(t *testing.T) []string {
	t.Helper()
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestMigrateConcurrentlyThenTwiceInARow(t *testing.T) {
	t.Parallel()
	dbURL := freshDatabase(t)
	want := migrationNames(t)

	// Two at once on an empty database: between them every migration is
	// applied exactly once, and whoever comes second finds nothing to do.
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Go(func() { results[i] = usersctl(t, dbURL, "migrate") })
	}
	wg.Wait()
	combined := ""
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("concurrent migrate %d: exit %d, stderr %s", i, r.code, r.stderr)
		}
		combined += r.stdout
	}
	for _, name := range want {
		if n := strings.Count(combined, "applied "+name+"\n"); n != 1 {
			t.Errorf("%s applied %d times by the concurrent runs:\n%s", name, n, combined)
		}
	}
	if !strings.Contains(combined, "up to date") {
		t.Errorf("neither concurrent run reported up to date:\n%s", combined)
	}

	for i := 0; i < 2; i++ {
		r := usersctl(t, dbURL, "migrate")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "up to date" {
			t.Errorf("migrate again (%d): exit %d, stdout %q, stderr %q", i, r.code, r.stdout, r.stderr)
		}
	}

	assertSchemaIntact(t, dbURL, len(want))
}

func assertSchemaIntact(t *testing.T, dbURL string, migrationsWant int) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var applied, distinct int
	err = pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied != migrationsWant || distinct != migrationsWant {
		t.Errorf("goose_db_version has %d applied rows (%d distinct), want %d", applied, distinct, migrationsWant)
	}
	for _, table := range []string{"tenants", "api_tokens", "commands", "events", "users"} {
		var exists bool
		if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing after migrate (%v)", table, err)
		}
	}
}

// TestTenantAndTokenLifecycle creates a tenant and a token with the CLI and
// checks, through the application's Authenticate query, that the token works
// until it is revoked.
func TestTenantAndTokenLifecycle(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	dbURL := pgtest.URL()

	r := usersctl(t, dbURL, "tenant", "create", "--name", "Lifecycle Ltd", "--seats", "3")
	if r.code != 0 {
		t.Fatalf("tenant create: exit %d, %s", r.code, r.stderr)
	}
	tenantID := strings.TrimSpace(r.stdout)

	r = usersctl(t, dbURL, "token", "create", "--tenant", tenantID, "--role", "importer", "--ttl", "1h")
	if r.code != 0 {
		t.Fatalf("token create: exit %d, %s", r.code, r.stderr)
	}
	token := strings.TrimSpace(r.stdout)
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(token, "usr_") {
		t.Fatalf("stdout should hold the token alone, got %q", r.stdout)
	}
	if strings.Contains(r.stderr, token) {
		t.Error("the token leaked to stderr")
	}
	tokenID, _, ok := strings.Cut(strings.TrimPrefix(r.stderr, "token id: "), " ")
	if !ok || !strings.HasPrefix(r.stderr, "token id: ") {
		t.Fatalf("stderr should name the token id, got %q", r.stderr)
	}

	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := application.Queries.Authenticate.Handle(ctx, token)
	if err != nil || p.TenantID != tenantID || p.Role != auth.RoleImporter || p.TokenID != tokenID {
		t.Fatalf("Authenticate = %+v, %v; want tenant %s, importer, token %s", p, err, tenantID, tokenID)
	}

	r = usersctl(t, dbURL, "token", "revoke", "--tenant", tenantID, "--token-id", tokenID)
	if r.code != 0 {
		t.Fatalf("token revoke: exit %d, %s", r.code, r.stderr)
	}
	if _, err := application.Queries.Authenticate.Handle(ctx, token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate after revoke = %v, want ErrUnauthenticated", err)
	}

	// A token for a tenant that does not exist names the flag.
	r = usersctl(t, dbURL, "token", "create", "--tenant", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "--role", "reader")
	if r.code != 1 || !strings.Contains(r.stderr, "--tenant") || r.stdout != "" {
		t.Errorf("token for a missing tenant: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, err := postgres.NewTenants(pool).TokenByHash(ctx, auth.HashToken(token)); err != nil {
		t.Errorf("revoked token row should remain for audit: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"tenant"}, "tenant: no subcommand given"},
		{[]string{"tenant", "delete"}, `tenant: unknown subcommand "delete"`},
		{[]string{"tenant", "create", "--seats", "x"}, "-seats"},
		{[]string{"tenant", "create"}, "--name is required; --seats is required"},
		{[]string{"token", "create", "--tenant", "abc", "--role", "boss", "--ttl", "-1h"}, `--tenant "abc" is not a UUID; --role: unknown role "boss"`},
		{[]string{"token", "create", "--tenant", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "--role", "admin", "--ttl", "-1h"}, "--ttl must not be negative"},
		{[]string{"token", "revoke", "--tenant", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}, "--token-id is required"},
		{[]string{"migrate", "now"}, `unexpected arguments ["now"]`},
		{[]string{"import", "--tenant", "abc"}, `import: want one FILE, got 0; --tenant "abc" is not a UUID`},
		{[]string{"import", "f.csv", "--map", "email"}, `want COLUMN=Header, got "email"`},
		{[]string{"imports", "show", "--tenant", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}, "imports show: want one JOB id, got 0"},
		{[]string{"imports", "retry", "job-1"}, `JOB "job-1" is not a UUID; --tenant is required`},
		{[]string{"imports", "purge"}, `imports: unknown subcommand "purge"`},
	}
	for _, c := range cases {
		// No database is reached for a usage error: point at nothing.
		r := usersctl(t, "postgres://nobody@127.0.0.1:1/none", c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "Usage: usersctl") {
			t.Errorf("usersctl %v: exit %d, stderr %q; want 2 and %q with usage", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := usersctl(t, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "token revoke") {
		t.Errorf("help: exit %d, %q", r.code, r.stdout)
	}
	if r := usersctl(t, "not a url ::", "migrate"); r.code != 2 || !strings.Contains(r.stderr, "DATABASE_URL") {
		t.Errorf("bad DATABASE_URL: exit %d, %q", r.code, r.stderr)
	}
}
