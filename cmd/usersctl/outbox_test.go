package main

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

func TestOutboxRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"outbox", "retry"}, "give exactly one of --user and --all"},
		{[]string{"outbox", "retry", "--all", "--user", uuid.NewString()}, "give exactly one of --user and --all"},
		{[]string{"outbox", "retry", "--user", "bob"}, `--user "bob" is not a UUID`},
		{[]string{"outbox", "retry", "--all", "--max-message-bytes", "0"}, "--max-message-bytes must be positive"},
		{[]string{"outbox", "parked", "--user", "bob"}, `--user "bob" is not a UUID`},
		{[]string{"outbox", "park"}, `unknown subcommand "park"`},
	} {
		r := usersctl(t, "postgres://nowhere.invalid/db", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// The relay's parking and retry are tested in adapters/relay; here the
// command lists a group's parked messages (none, for a group nobody uses).
func TestOutboxParkedListsAGroup(t *testing.T) {
	t.Parallel()
	pgtest.Pool(t) // the tests' database, migrated
	r := usersctl(t, pgtest.URL(), "outbox", "parked", "--group", "none-"+uuid.NewString())
	if r.code != 0 || !strings.Contains(r.stdout, "PARKED AT") || !strings.Contains(r.stderr, "0 parked messages") {
		t.Fatalf("outbox parked: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
