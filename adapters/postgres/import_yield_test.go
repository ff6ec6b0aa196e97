package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// TestAPIActivityCountsTheAPIsWorkNotTheImportersChunks: a process running
// the api role beside the importer names its connections after both; an
// API request inside a transaction counts as the API's work in flight, an
// idle connection does not, and neither does the process's own import
// chunk while its transaction is open (it names itself the importer's for
// its duration), nor an upload's staging. The names carry a prefix of the test's own, so no other
// test's connections count.
func TestAPIActivityCountsTheAPIsWorkNotTheImportersChunks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	prefix := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	cfg, err := pgxpool.ParseConfig(WithApplicationName(pgtest.URL(), prefix+" api,importer"))
	must(t, err)
	cfg.MaxConns = 4
	combined, err := pgxpool.NewWithConfig(f.ctx, cfg)
	must(t, err)
	t.Cleanup(combined.Close)
	activity, err := NewAPIActivity(f.pool, prefix)
	must(t, err)
	inFlight := func() int {
		t.Helper()
		n, err := activity.InFlight(f.ctx)
		must(t, err)
		return n
	}
	must(t, combined.Ping(f.ctx))
	if n := inFlight(); n != 0 {
		t.Fatalf("idle connections: %d in flight, want 0", n)
	}
	tx, err := combined.Begin(f.ctx)
	must(t, err)
	defer tx.Rollback(context.Background()) //nolint:errcheck // ends a failed test's transaction, so the pool can close
	_, err = tx.Exec(f.ctx, `SELECT 1`)
	must(t, err)
	if n := inFlight(); n != 1 {
		t.Fatalf("a request inside a transaction: %d in flight, want 1", n)
	}
	must(t, tx.Rollback(f.ctx))
	if n := inFlight(); n != 0 {
		t.Fatalf("after its rollback: %d in flight, want 0", n)
	}

	// An upload's staging and queueing statements are the importer's work too.
	err = asImportUpload(f.ctx, combined, func(pgx.Tx) error {
		n, err := activity.InFlight(f.ctx)
		if err == nil && n != 0 {
			t.Errorf("during an upload's staging transaction: %d API requests in flight, want 0", n)
		}
		return err
	})
	must(t, err)

	chunks, err := NewImportChunks(combined, nil)
	must(t, err)
	seen := -1
	chunks.afterDecide = func(ctx context.Context, _ int) error {
		n, err := activity.InFlight(ctx)
		seen = n
		return err
	}
	rows, err := command.NewImportUserRowsHandler(chunks, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err },
		command.ImportUserRowConfig{})
	must(t, err)
	job := uuid.NewString()
	must(t, NewImports(combined).CreateImportJob(f.ctx, command.NewImportJob{ID: job, TenantID: f.tenant, Source: command.SourceCSV, Actor: "test"}))
	res, err := rows.Handle(f.ctx, command.ImportUserRows{Rows: []command.ImportUserRow{{JobID: job, TenantID: f.tenant, Source: command.SourceCSV,
		ImportRow: command.ImportRow{Row: 2, Fields: map[string]string{command.ColEmail: "y@example.com", command.ColGivenName: "Y",
			command.ColFamilyName: "Z", command.ColExternalID: "Y1"}}}}})
	must(t, err)
	if len(res.Applied) != 1 || res.Applied[0].Outcome != command.OutcomeCreated {
		t.Fatalf("chunk applied %+v", res.Applied)
	}
	if seen != 0 {
		t.Fatalf("during the process's own import chunk: %d API requests in flight, want 0", seen)
	}
}

func TestWithApplicationName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/db?sslmode=disable":     "postgres://u:p@h:5432/db?application_name=userservice%20api&sslmode=disable",
		"postgres://u@h/db?application_name=mine":      "postgres://u@h/db?application_name=userservice%20api",
		"host=h user=u dbname=db":                      "host=h user=u dbname=db application_name='userservice api'",
		"host=h user=u dbname=db application_name=ops": "host=h user=u dbname=db application_name=ops application_name='userservice api'",
	} {
		if got := WithApplicationName(in, "userservice api"); got != want {
			t.Errorf("WithApplicationName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/db?sslmode=disable":        ApplicationNamePrefix,
		"postgres://u@h/db?application_name=acme%20users": "acme users",
		"host=h user=u dbname=db application_name=ops":    "ops",
		"not a url%": ApplicationNamePrefix,
	} {
		if got := ApplicationNamePrefixOf(in); got != want {
			t.Errorf("ApplicationNamePrefixOf(%q) = %q, want %q", in, got, want)
		}
	}
}

type roleKey struct{}

// TestConnectionsNamedByRoleCountOnlyTheAPIsWork: a process running the
// api role beside the directory and the importer on one pool, its
// DATABASE_URL naming the service as the operator likes (application_name
// with a space and a dot): a transaction of the directory's loop is not
// the API's work, a request's is, and the priority finds the API's work
// under the operator's name (before, the operator's name turned the
// priority off, and every connection of a combined process counted as the
// API's).
func TestConnectionsNamedByRoleCountOnlyTheAPIsWork(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	operator := "ops." + uuid.NewString()[:8] + " users"
	url := WithApplicationName(pgtest.URL(), operator)
	prefix := ApplicationNamePrefixOf(url)
	if prefix != operator {
		t.Fatalf("prefix %q, want the operator's name %q", prefix, operator)
	}
	roleOf := func(ctx context.Context) (string, bool) { r, ok := ctx.Value(roleKey{}).(string); return r, ok }
	pool, err := Connect(f.ctx, url, 2, func(c *pgxpool.Config) {
		NameConnectionsByRole(c, prefix, []string{"api", "directory", "importer"}, roleOf)
	})
	must(t, err)
	t.Cleanup(pool.Close)
	activity, err := NewAPIActivity(f.pool, prefix)
	must(t, err)
	inFlightDuring := func(ctx context.Context) int {
		t.Helper()
		n := -1
		must(t, inTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
				return err
			}
			var err error
			n, err = activity.InFlight(f.ctx)
			return err
		}))
		return n
	}
	directory := context.WithValue(f.ctx, roleKey{}, "directory")
	for range 3 { // the same connections move from one role's work to the other's
		if n := inFlightDuring(directory); n != 0 {
			t.Fatalf("a transaction of the directory: %d API requests in flight, want 0", n)
		}
		if n := inFlightDuring(f.ctx); n != 1 {
			t.Fatalf("a request's transaction: %d API requests in flight, want 1", n)
		}
	}
	var name string
	must(t, pool.QueryRow(directory, `SELECT current_setting('application_name')`).Scan(&name))
	if name != prefix+" directory" {
		t.Fatalf("the directory's connection is named %q, want %q", name, prefix+" directory")
	}
}
