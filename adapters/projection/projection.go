package projection

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Projection is a read model, defined by how it applies events.
type Projection interface {
	// Apply applies events, in the global order, within tx. A stream's
	// events arrive in version order, none skipped; an event the model
	// already reflects (a batch applied again after a crash, the overlap of
	// a rebuild's bulk load and its catch-up) must change nothing.
	Apply(ctx context.Context, tx pgx.Tx, events []Event) error
}

// Checkpoint keeps a Follower's position, in the transaction that applies
// the events up to it.
type Checkpoint interface {
	// Load returns the position and locks it until tx ends, so two
	// followers of one checkpoint take turns instead of both applying.
	Load(ctx context.Context, tx pgx.Tx) (Position, error)
	// Save records the position.
	Save(ctx context.Context, tx pgx.Tx, p Position) error
}
