package postgres

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// roundTrips records what a pool sends: each batch and each lone query is
// one round trip (a wake-up of the relays sent apart from the commit
// would count as one).
type roundTrips struct {
	mu    sync.Mutex
	trips [][]string // statements per round trip
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if _, inBatch := ctx.Value(inBatchKey{}).(bool); !inBatch {
		r.add([]string{d.SQL})
	}
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

type inBatchKey struct{}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	stmts := make([]string, len(d.Batch.QueuedQueries))
	for i, q := range d.Batch.QueuedQueries {
		stmts[i] = strings.Fields(q.SQL)[0] + " " + strings.Join(strings.Fields(q.SQL)[1:min(4, len(strings.Fields(q.SQL)))], " ")
	}
	r.add(stmts)
	return context.WithValue(ctx, inBatchKey{}, true)
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (r *roundTrips) add(stmts []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trips = append(r.trips, stmts)
}

func (r *roundTrips) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.trips
	r.trips = nil
	return t
}

// The command path's round trips to PostgreSQL, counted by a pgx tracer: a
// registration is one (BEGIN and COMMIT in the write's pipeline), an update
// two (the read, then the write), a no-op one read and no transaction; a
// command id made up for the request is not looked up.
func TestCommandRoundTrips(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	trace := &roundTrips{}
	pool, reg, upd := f.ownUnitOfWork(func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = trace })
	fresh := func() command.Envelope { e := f.env(); e.FreshCommandID = true; return e }
	must(t, pool.Ping(f.ctx))
	trace.take()

	res, err := reg.Handle(f.ctx, command.RegisterUser{Envelope: fresh(), Registration: user.Registration{
		Email: "trips@example.com", Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace"}}})
	must(t, err)
	trips := trace.take()
	if n := len(trips); n != 1 || trips[0][0] != "BEGIN " || !slices.Equal(trips[0][len(trips[0])-2:], []string{"COMMIT ", "SELECT pg_notify($1, '')"}) {
		t.Fatalf("registration: %d round trips %q, want 1 (BEGIN ... COMMIT, then the relays' wake-up)", len(trips), trips)
	}
	id := res.User.ID

	_, err = upd.Handle(f.ctx, command.UpdateUser{Envelope: fresh(), UserID: id, Patch: user.Patch{Department: ptr("Ops")}})
	must(t, err)
	trips = trace.take()
	if len(trips) != 2 || len(trips[0]) != 1 || trips[1][0] != "BEGIN " {
		t.Fatalf("update: round trips %q, want 2: the state read alone (no idempotency lookup), then BEGIN ... COMMIT", trips)
	}

	noop, err := upd.Handle(f.ctx, command.UpdateUser{Envelope: fresh(), UserID: id, Patch: user.Patch{Department: ptr("Ops")}})
	must(t, err)
	trips = trace.take()
	if noop.Changed || len(trips) != 1 || len(trips[0]) != 1 {
		t.Fatalf("no-op: changed %v, round trips %q, want 1 read of one statement", noop.Changed, trips)
	}

	// A client's key is looked up, in the same round trip as the state.
	_, err = upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Department: ptr("Ops")}})
	must(t, err)
	if trips = trace.take(); len(trips) != 1 || len(trips[0]) != 2 {
		t.Fatalf("no-op with a command id that may repeat: round trips %q, want 1 of 2 statements", trips)
	}
}
