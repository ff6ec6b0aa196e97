package projection

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

// Target is a read model that can be rebuilt: it is re-derived from the
// events into a shadow of the live model, then swapped in. A rebuild has a
// scope, a tenant id or "" for every tenant, and every method works on the
// shadow of the scope it is given, so rebuilds of different scopes can run
// side by side.
type Target interface {
	// Name names the read model (usersctl replay --projection NAME).
	Name() string
	// Apply applies catch-up events to the shadow, as Projection.Apply,
	// and returns the streams whose rows it changed (events the shadow
	// already had change none).
	Apply(ctx context.Context, tx pgx.Tx, tenantID string, events []Event) ([]user.ID, error)
	// Load writes whole streams into the shadow, which holds none of them
	// yet: every event of each stream that the bulk read's snapshot shows,
	// in stream order and, within a stream, in version order. It returns
	// how many read model rows it wrote.
	Load(ctx context.Context, tx pgx.Tx, tenantID string, events []Event) (int, error)
	// Clear empties the shadow.
	Clear(ctx context.Context, tx pgx.Tx, tenantID string) error
	// Diff compares the shadow, with pending (events after its checkpoint
	// that tx's snapshot shows) applied to it in memory, with the live model
	// within the scope, both as tx's snapshot shows them. It must not write.
	Diff(ctx context.Context, tx pgx.Tx, tenantID string, pending []Event) ([]Difference, error)
	// RestoreMissing copies into the live model, from the shadow, up to
	// limit of the rows the live model lacks (DiffMissing), considering the
	// shadow's streams after `after` (nil: from the first) in order. It runs
	// without the writers' lock, in its own short transaction, which is
	// safe because a row that is missing cannot change: every command on
	// its stream fails until it is back. A row it cannot copy yet (one that
	// needs another restored first) is left for a later pass, a row it
	// cannot copy at all for Swap. It returns how many rows it copied and
	// the last stream it considered (nil when none was left).
	RestoreMissing(ctx context.Context, tx pgx.Tx, tenantID string, after *user.ID, limit int) (int, *user.ID, error)
	// LockLive keeps the live model's writers out until tx ends; readers
	// carry on, seeing the old model until tx commits.
	LockLive(ctx context.Context, tx pgx.Tx) error
	// Swap makes the live rows of streams equal to the shadow's (and
	// removes those the shadow lacks), in tx, after LockLive and the last
	// catch-up. It returns how many live rows it deleted and inserted.
	Swap(ctx context.Context, tx pgx.Tx, tenantID string, streams []user.ID) (deleted, inserted int, err error)
}

// PreparedLoader is a Target whose Load splits in two: PrepareLoad, the
// part that needs no database (folding the streams into rows, converting
// their values), which a bulk load runs on its decoding goroutines, in
// parallel; and LoadPrepared, the write, which it runs in read order. Load
// must equal LoadPrepared(PrepareLoad(...)).
type PreparedLoader interface {
	PrepareLoad(tenantID string, events []Event) (any, error)
	LoadPrepared(ctx context.Context, tx pgx.Tx, prepared any) (int, error)
}

// Difference is one stream whose rebuilt row differs from the live one.
type Difference struct {
	StreamID user.ID
	TenantID string
	// Kind is DiffMissing, DiffUnexpected or DiffChanged.
	Kind string
	// Detail says what differs, field by field: "title: live \"a\", rebuilt \"b\"".
	Detail string
}

// The kinds of Difference.
const (
	// DiffMissing: the events give the stream a row, the live model has none.
	DiffMissing = "missing"
	// DiffUnexpected: the live model has a row no events account for.
	DiffUnexpected = "unexpected"
	// DiffChanged: both have a row, and they differ.
	DiffChanged = "changed"
)

// shadowProjection is the shadow of a target's scope as a Projection, for
// a Follower to catch up; changed hears of the streams it changes.
type shadowProjection struct {
	target   Target
	tenantID string
	changed  func([]user.ID)
}

func (p shadowProjection) Apply(ctx context.Context, tx pgx.Tx, events []Event) error {
	ids, err := p.target.Apply(ctx, tx, p.tenantID, events)
	p.changed(ids)
	return err
}
