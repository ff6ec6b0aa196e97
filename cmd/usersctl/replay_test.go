package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/domain/user"
)

func TestReplayRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "--projection is required (users)"},
		{[]string{"replay", "--projection", "orders"}, `--projection "orders": want one of users`},
		{[]string{"replay", "--projection", "users", "--tenant", "acme"}, `--tenant "acme" is not a UUID`},
		{[]string{"replay", "--projection", "users", "--batch", "0"}, "--batch must be positive"},
		{[]string{"replay", "--projection", "users", "extra"}, "unexpected arguments"},
	} {
		r := usersctl(t, "postgres://nowhere.invalid/db", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// A replay of every tenant, in a database of its own (so that it owns the
// whole users table): the table's content destroyed, replayed back exactly;
// --verify then finds nothing, and finds a tampered row (exit 1) without
// repairing it.
func TestReplayOfEveryTenantRestoresTheUsersTable(t *testing.T) {
	t.Parallel()
	dbURL := freshDatabase(t)
	if r := usersctl(t, dbURL, "migrate"); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	must(t, err)
	t.Cleanup(pool.Close)
	application, err := service.BuildApplication(pool, nil, nil)
	must(t, err)
	for range 2 {
		tenant, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "T", Seats: 100})
		must(t, err)
		env := func() command.Envelope {
			return command.Envelope{CommandID: uuid.NewString(), TenantID: tenant.ID, Actor: "test", Source: command.SourceAPI}
		}
		var manager string
		for i := range 12 {
			res, err := application.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: env(), Registration: user.Registration{
				Email: uuid.NewString() + "@example.com", Profile: user.Profile{GivenName: "G", FamilyName: "F", ManagerID: manager}}})
			must(t, err)
			manager = res.User.ID.String() // a reporting line twelve deep
			if i%3 == 0 {
				_, err = application.Commands.DeactivateUser.Handle(ctx, command.DeactivateUser{Envelope: env(), UserID: res.User.ID, Reason: "test"})
				must(t, err)
			}
		}
	}
	table := func() string {
		var s string
		must(t, pool.QueryRow(ctx, `SELECT string_agg(u::text, E'\n' ORDER BY id) FROM users u`).Scan(&s))
		return s
	}
	before := table()
	_, err = pool.Exec(ctx, `DELETE FROM users`)
	must(t, err)

	r := usersctl(t, dbURL, "replay", "--projection", "users", "--batch", "7")
	if r.code != 0 || !strings.Contains(r.stdout, "swapped in: 24 rows differed; 24 missing rows restored before the lock, then 0 deleted and 0 inserted under it") {
		t.Fatalf("replay: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "replay users bulk") {
		t.Errorf("no progress on stderr: %q", r.stderr)
	}
	if after := table(); after != before {
		t.Fatalf("replayed table differs:\n%s\nwant\n%s", after, before)
	}
	if r := usersctl(t, dbURL, "replay", "--projection", "users", "--verify"); r.code != 0 || !strings.Contains(r.stdout, "no differences") {
		t.Fatalf("verify: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	_, err = pool.Exec(ctx, `UPDATE users SET department = 'tampered' WHERE id = (SELECT id FROM users ORDER BY id LIMIT 1)`)
	must(t, err)
	r = usersctl(t, dbURL, "replay", "--projection", "users", "--verify")
	if r.code != 1 || !strings.Contains(r.stdout, `department: live "tampered", rebuilt ""`) || !strings.Contains(r.stderr, "1 differences") {
		t.Fatalf("verify of a tampered row: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if table() == before {
		t.Fatal("verify repaired the row: it must only report")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
