package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// chunkFixture is a fixture with the import chunk store and a job.
type chunkFixture struct {
	*fixture
	chunks *ImportChunks
	rows   command.ImportUserRowsHandler
	job    string
}

func newChunkFixture(t *testing.T, seats int) *chunkFixture {
	t.Helper()
	return newChunkFixtureOn(t, pgtest.Pool(t), seats)
}

// newChunkFixtureOn is newChunkFixture on pool's database.
func newChunkFixtureOn(t *testing.T, pool *pgxpool.Pool, seats int) *chunkFixture {
	t.Helper()
	f := &chunkFixture{fixture: newFixtureOn(t, pool, seats), job: uuid.NewString()}
	var err error
	f.chunks, err = NewImportChunks(f.pool, nil)
	must(t, err)
	f.rows, err = command.NewImportUserRowsHandler(f.chunks, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err },
		command.ImportUserRowConfig{})
	must(t, err)
	must(t, NewImports(f.pool).CreateImportJob(f.ctx, command.NewImportJob{ID: f.job, TenantID: f.tenant, Source: command.SourceCSV, Actor: "test"}))
	return f
}

func (f *chunkFixture) row(n int, fields ...string) command.ImportUserRow {
	m := map[string]string{}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i]] = fields[i+1]
	}
	return command.ImportUserRow{JobID: f.job, TenantID: f.tenant, Source: command.SourceCSV, ImportRow: command.ImportRow{Row: n, Fields: m}}
}

func (f *chunkFixture) apply(rows ...command.ImportUserRow) []string {
	f.t.Helper()
	res, err := f.rows.Handle(f.ctx, command.ImportUserRows{Rows: rows})
	must(f.t, err)
	var out []string
	for _, r := range res.Applied {
		out = append(out, string(r.Outcome))
	}
	return out
}

func (f *chunkFixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	must(f.t, f.pool.QueryRow(f.ctx, q, append([]any{f.tenant}, args...)...).Scan(&n))
	return n
}

// TestChunkRacingAPIWritesKeepsEveryRow races API commands against an
// import chunk, between the chunk's read and its write: the same e-mail
// registered by the API, the same user changed by the API, the last seat
// taken by the API. The chunk's write is refused, it starts over on a
// fresh read, and every row ends applied on top of the API's write (or
// refused by the rules), with no lost update and no duplicate.
func TestChunkRacingAPIWritesKeepsEveryRow(t *testing.T) {
	t.Parallel()
	f := newChunkFixture(t, 4)
	changed, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "same@example.com", Profile: user.Profile{GivenName: "Sam", FamilyName: "Old", ExternalID: "S1", Title: "Before"}}})
	must(t, err)
	attempts := 0
	f.chunks.afterDecide = func(ctx context.Context, attempt int) error {
		attempts = attempt
		if attempt != 1 {
			return nil
		}
		// On another connection, committed before the chunk writes.
		if _, err := f.reg.Handle(ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
			Email: "race@example.com", Profile: user.Profile{GivenName: "Api", FamilyName: "First"}}}); err != nil {
			return err
		}
		title := "By the API"
		if _, err := f.upd.Handle(ctx, command.UpdateUser{Envelope: f.env(), UserID: changed.User.ID, Patch: user.Patch{Title: &title}}); err != nil {
			return err
		}
		_, err := f.reg.Handle(ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
			Email: "seat@example.com", Profile: user.Profile{GivenName: "Api", FamilyName: "Seat"}}})
		return err
	}
	got := f.apply(
		f.row(2, "external_id", "R1", "email", "race@example.com", "given_name", "Imp", "family_name", "Second"),
		f.row(3, "external_id", "S1", "title", "By the import"),
		f.row(4, "external_id", "N1", "email", "n1@example.com", "given_name", "New", "family_name", "One"),
		f.row(5, "external_id", "N2", "email", "n2@example.com", "given_name", "New", "family_name", "Two"),
	)
	// The API's race@ user is found by e-mail and updated; S1 is updated on
	// top of the API's change; 4 seats: S1, race@, seat@ and N1; N2 finds none.
	if strings.Join(got, ",") != "updated,updated,created,rejected" || attempts != 2 {
		t.Fatalf("outcomes %v after %d attempts; want updated,updated,created,rejected after 2", got, attempts)
	}
	if n := f.count(`SELECT count(*) FROM users WHERE tenant_id = $1 AND email = 'race@example.com'`); n != 1 {
		t.Fatalf("%d users with the raced e-mail", n)
	}
	var title string
	var version int
	must(t, f.pool.QueryRow(f.ctx, `SELECT title, version FROM users WHERE id = $1`, changed.User.ID).Scan(&title, &version))
	if title != "By the import" || version != 3 {
		t.Fatalf("raced user: title %q version %d; want the import's title at version 3", title, version)
	}
	// Events: S1 3, race@ 2, seat@ 1, N1 1; each stream without a gap.
	if n := f.count(`SELECT count(*) FROM events WHERE tenant_id = $1`); n != 7 {
		t.Fatalf("%d events, want 7", n)
	}
	if n := f.count(`SELECT count(*) FROM users u WHERE tenant_id = $1 AND version <> (SELECT count(*) FROM events e WHERE e.stream_id = u.id)`); n != 0 {
		t.Fatalf("%d users whose version is not their event count", n)
	}
	if used := f.count(`SELECT seats_used FROM tenants WHERE id = $1`); used != 4 {
		t.Fatalf("seats used %d, want 4", used)
	}
	if n := f.count(`SELECT count(*) FROM import_rows r JOIN import_jobs j ON j.id = r.job_id WHERE j.tenant_id = $1`); n != 4 {
		t.Fatalf("%d outcomes, want 4", n)
	}
}

// TestChunkIsAllOrNothing: a crash between the chunk's writes and its
// commit keeps nothing (no command, event, user, outbox message, outcome
// or seat); delivered again, the chunk applies every row once, and a third
// delivery writes nothing.
func TestChunkIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newChunkFixture(t, 10)
	crash := true
	f.chunks.beforeCommit = func(context.Context, pgx.Tx, int) error {
		if crash {
			return errors.New("crash before the commit")
		}
		return nil
	}
	rows := []command.ImportUserRow{
		f.row(2, "external_id", "A1", "email", "a1@example.com", "given_name", "A", "family_name", "One"),
		f.row(3, "external_id", "A2", "email", "bad", "given_name", "A", "family_name", "Two"),
		f.row(4, "external_id", "A3", "email", "a3@example.com", "given_name", "A", "family_name", "Three", "manager_external_id", "A1"),
	}
	if _, err := f.rows.Handle(f.ctx, command.ImportUserRows{Rows: rows}); err == nil {
		t.Fatal("the injected crash did not happen")
	}
	state := func() string {
		return fmt.Sprint(f.count(`SELECT count(*) FROM commands WHERE tenant_id = $1`), f.count(`SELECT count(*) FROM events WHERE tenant_id = $1`),
			f.count(`SELECT count(*) FROM users WHERE tenant_id = $1`), f.count(`SELECT count(*) FROM import_rows r JOIN import_jobs j ON j.id = r.job_id WHERE j.tenant_id = $1`),
			f.count(`SELECT seats_used FROM tenants WHERE id = $1`))
	}
	if s := state(); s != "0 0 0 0 0" {
		t.Fatalf("the crashed chunk kept commands, events, users, outcomes, seats: %s", s)
	}
	crash = false
	if got := strings.Join(f.apply(rows...), ","); got != "created,rejected,created" {
		t.Fatalf("outcomes %s", got)
	}
	if s := state(); s != "2 2 2 3 2" {
		t.Fatalf("commands, events, users, outcomes, seats: %s; want 2 2 2 3 2", s)
	}
	res, err := f.rows.Handle(f.ctx, command.ImportUserRows{Rows: rows})
	must(t, err)
	for _, r := range res.Applied {
		if !r.Duplicate {
			t.Fatalf("a redelivered row was applied again: %+v", res.Applied)
		}
	}
	if s := state(); s != "2 2 2 3 2" {
		t.Fatalf("the redelivery wrote something: %s", s)
	}
}
