package projection_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// insertEvent stores e as the given stream version the way the unit of work
// does, bypassing it, so a test can choose when its transaction commits or
// store a type the domain no longer writes.
func insertEvent(t testing.TB, ctx context.Context, tx pgx.Tx, tenant string, stream user.ID, version int, typ string, data []byte) {
	t.Helper()
	_, err := tx.Exec(ctx, `INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at,
		command_id, correlation_id, actor, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'test', 'api')`,
		uuid.NewString(), stream, tenant, version, typ, data, time.Now().UTC().Truncate(time.Microsecond),
		uuid.NewString(), uuid.NewString())
	must(t, err)
}

func registered(t testing.TB, tenant, email string) []byte {
	t.Helper()
	data, err := json.Marshal(user.Registered{TenantID: tenant, Email: email, Profile: user.Profile{GivenName: "G", FamilyName: "F"}})
	must(t, err)
	return data
}

func newID(t testing.TB) user.ID {
	t.Helper()
	id, err := uuid.NewV7()
	must(t, err)
	return user.ID(id)
}

// recorder is a projection that keeps what it was given, in order.
type recorder struct {
	mu     sync.Mutex
	events []projection.Event
}

func (r *recorder) Apply(_ context.Context, _ pgx.Tx, events []projection.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) got() []projection.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]projection.Event(nil), r.events...)
}
