package postgres

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// A deactivation stored as user.deactivated.v1, before v2 existed, is read
// as v2 by every reader of the store: the unit of work deciding the next
// command, a replay of the read model, and the event history query.
func TestStoredV1DeactivationIsUpcastOnEveryReadPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("old@example.com").User.ID
	_, err := f.pool.Exec(f.ctx, `INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at,
		command_id, correlation_id, actor, source) VALUES ($1, $2, $3, 2, $4, '{"reason":"left in 2024"}', $5, $6, '', 'test', 'api')`,
		uuid.NewString(), id, f.tenant, user.TypeDeactivatedV1, time.Now().UTC().Truncate(time.Microsecond), uuid.NewString())
	must(t, err)

	// The read model was written before the event was (by hand): a replay
	// brings it up to date, which needs the v1 event to decode.
	res, err := f.rebuild(f.ctx, projection.RebuildConfig{})
	must(t, err)
	if len(res.Differences) != 1 || res.Differences[0].Kind != projection.DiffChanged {
		t.Fatalf("replay found %+v, want the user's row behind by the stored deactivation", res.Differences)
	}
	got, err := NewUsers(f.pool).GetUser(f.ctx, f.tenant, id)
	must(t, err)
	if got.Status != user.StatusDeactivated || got.Version != 2 {
		t.Fatalf("after replay: %+v, want deactivated at version 2", got)
	}

	// The unit of work folds the v1 event too: reactivating is a change.
	again, err := f.react.Handle(f.ctx, command.ReactivateUser{Envelope: f.env(), UserID: id})
	must(t, err)
	if !again.Changed || again.User.Version != 3 || again.User.Status != user.StatusActive {
		t.Fatalf("reactivate: %+v", again)
	}

	history, err := NewUsers(f.pool).StreamEvents(f.ctx, f.tenant, id)
	must(t, err)
	if len(history) != 3 || history[1].Type != user.TypeDeactivated {
		t.Fatalf("history types: %v", history)
	}
	var d user.Deactivated
	must(t, json.Unmarshal(history[1].Data, &d))
	if d != (user.Deactivated{Cause: user.CauseUnspecified, Reason: "left in 2024"}) {
		t.Fatalf("upcast data %s", history[1].Data)
	}
}
