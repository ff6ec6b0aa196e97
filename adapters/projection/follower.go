package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FollowerConfig configures a Follower.
type FollowerConfig struct {
	// Reader says which events the projection gets (its filters and batch
	// size); each batch is applied in its own short transaction.
	Reader ReaderConfig
	// PollInterval is how long Run waits, once caught up, before looking
	// for new events. Default 500ms.
	PollInterval time.Duration
	// OnApplied, when set, is called after each committed batch.
	OnApplied func(events []Event)
}

// Follower drives a projection by reading the global event order from a
// checkpoint: each batch and the checkpoint after it commit together, so a
// crash repeats nothing and loses nothing, and no event that commits late is
// skipped (see Reader.Next).
type Follower struct {
	pool       *pgxpool.Pool
	projection Projection
	checkpoint Checkpoint
	reader     *Reader
	cfg        FollowerConfig
}

// NewFollower returns a follower applying events to p from checkpoint c.
func NewFollower(pool *pgxpool.Pool, p Projection, c Checkpoint, cfg FollowerConfig) (*Follower, error) {
	if pool == nil || p == nil || c == nil {
		return nil, errors.New("NewFollower: nil pool, projection or checkpoint")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.PollInterval < 0 {
		return nil, fmt.Errorf("follower: poll interval must be positive, got %s", cfg.PollInterval)
	}
	r, err := NewReader(cfg.Reader)
	if err != nil {
		return nil, err
	}
	return &Follower{pool: pool, projection: p, checkpoint: c, reader: r, cfg: cfg}, nil
}

// Run follows until ctx ends: it catches up, then polls.
func (f *Follower) Run(ctx context.Context) error {
	for {
		if _, err := f.CatchUp(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.cfg.PollInterval):
		}
	}
}

// CatchUp applies batches until one comes back short (the reader reached
// the oldest running transaction) and returns how many events it applied.
func (f *Follower) CatchUp(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := f.Step(ctx)
		total += n
		if err != nil || n < f.reader.BatchSize() {
			return total, err
		}
	}
}

// Step applies one batch in one transaction and returns its size.
func (f *Follower) Step(ctx context.Context) (n int, err error) {
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("follower: begin: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("follower: rollback: %w", rbErr))
		}
	}()
	from, err := f.checkpoint.Load(ctx, tx)
	if err != nil {
		return 0, err
	}
	events, to, err := f.reader.Next(ctx, tx, from)
	if err != nil {
		return 0, err
	}
	if len(events) > 0 {
		if err := f.projection.Apply(ctx, tx, events); err != nil {
			return 0, fmt.Errorf("apply events up to %s: %w", to, err)
		}
	}
	if to == from {
		return 0, nil // nothing new: the transaction wrote nothing
	}
	if err := f.checkpoint.Save(ctx, tx, to); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("follower: commit: %w", err)
	}
	if f.cfg.OnApplied != nil && len(events) > 0 {
		f.cfg.OnApplied(events)
	}
	return len(events), nil
}
