package projection_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// The classic way to lose an event: transaction A takes event number p1,
// transaction B takes p2 > p1 and commits first; a reader that trusted the
// numbers would read p2, remember it, and never look below it again when A
// commits. The follower must hold B back while A runs, then deliver both.
func TestFollowerNeverSkipsAnEventThatCommitsLate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	tenant := uuid.NewString()
	rec := &recorder{}
	f, err := projection.NewFollower(pool, rec, projection.NamedCheckpoint("test-"+uuid.NewString()),
		projection.FollowerConfig{Reader: projection.ReaderConfig{TenantID: tenant, BatchSize: 10}})
	must(t, err)

	late, early := newID(t), newID(t)
	txA, err := pool.Begin(ctx)
	must(t, err)
	defer func() { _ = txA.Rollback(ctx) }()
	insertEvent(t, ctx, txA, tenant, late, 1, user.TypeRegistered, registered(t, tenant, "late@example.com"))

	txB, err := pool.Begin(ctx)
	must(t, err)
	insertEvent(t, ctx, txB, tenant, early, 1, user.TypeRegistered, registered(t, tenant, "early@example.com"))
	must(t, txB.Commit(ctx))

	if _, err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("while A runs the follower delivered %d events (%s first): B must wait behind A", len(got), got[0].StreamID)
	}
	must(t, txA.Commit(ctx))

	// Other tests' transactions may hold the bound back for a moment.
	var got []projection.Event
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := f.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got = rec.got(); len(got) >= 2 {
			break
		}
	}
	if len(got) != 2 || got[0].StreamID != late || got[1].StreamID != early {
		t.Fatalf("delivered %v, want the late commit's event then the early one's", streams(got))
	}
	if !(got[0].Position.Sequence < got[1].Position.Sequence) {
		t.Fatalf("positions %s, %s: the test did not produce a late commit with a lower number", got[0].Position, got[1].Position)
	}
	if _, ok := got[0].Payload.(user.Registered); !ok {
		t.Fatalf("payload %#v, want a decoded Registered", got[0].Payload)
	}
}

// A follower that finds nothing of its own still moves past the foreign
// events it scanned, and resumes after them from its checkpoint.
func TestFollowerResumesFromItsCheckpoint(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	tenant := uuid.NewString()
	name := projection.NamedCheckpoint("test-" + uuid.NewString())
	cfg := projection.FollowerConfig{Reader: projection.ReaderConfig{TenantID: tenant, BatchSize: 2}}

	write := func(n int) []user.ID {
		tx, err := pool.Begin(ctx)
		must(t, err)
		var ids []user.ID
		for i := 0; i < n; i++ {
			id := newID(t)
			insertEvent(t, ctx, tx, tenant, id, 1, user.TypeRegistered, registered(t, tenant, uuid.NewString()+"@example.com"))
			ids = append(ids, id)
		}
		must(t, tx.Commit(ctx))
		return ids
	}
	first := write(3)
	catchUp := func(want int) []projection.Event {
		rec := &recorder{}
		f, err := projection.NewFollower(pool, rec, name, cfg)
		must(t, err)
		for deadline := time.Now().Add(20 * time.Second); len(rec.got()) < want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := f.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return rec.got()
	}
	if got := catchUp(3); len(got) != 3 || got[0].StreamID != first[0] || got[2].StreamID != first[2] {
		t.Fatalf("first run delivered %v, want %v", streams(got), first)
	}
	second := write(1)
	if got := catchUp(1); len(got) != 1 || got[0].StreamID != second[0] {
		t.Fatalf("second run delivered %v, want only %v", streams(got), second)
	}
}

func streams(events []projection.Event) []user.ID {
	ids := make([]user.ID, len(events))
	for i, e := range events {
		ids[i] = e.StreamID
	}
	return ids
}
