package projection

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/domain/user"
)

// ErrRebuildRunning is returned when another process is rebuilding the same
// read model: they would share one shadow.
var ErrRebuildRunning = errors.New("a rebuild of this projection is already running")

// rebuildState is a rebuild's row in projection_rebuilds: what an
// interrupted run left for the next one to resume from.
type rebuildState struct {
	// BulkAfter is the last stream the bulk load wrote; nil before any.
	BulkAfter *user.ID
	BulkDone  bool
	// BulkEvents counts the events the bulk load has read so far.
	BulkEvents int64
	// CatchUp is where catching up starts: below it, every event is in
	// the shadow. It is set once, before the first bulk read, to that
	// read's snapshot horizon; a resumed bulk read under a later snapshot
	// only overlaps it, and an overlap applies as nothing (versions).
	CatchUp Position
}

// rebuildKey names one rebuild: its projection and scope ("" = every tenant).
type rebuildKey struct{ Projection, Scope string }

func loadRebuildState(ctx context.Context, q Querier, k rebuildKey) (*rebuildState, error) {
	rows, err := q.Query(ctx, `SELECT scope, bulk_after, bulk_done, bulk_events,
		transaction_id::text::bigint, position FROM projection_rebuilds WHERE projection = $1 AND scope = $2`, k.Projection, k.Scope)
	if err != nil {
		return nil, fmt.Errorf("load rebuild state: %w", err)
	}
	states, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rebuildState, error) {
		var (
			s     rebuildState
			after *[16]byte
		)
		var scope string
		err := row.Scan(&scope, &after, &s.BulkDone, &s.BulkEvents, &s.CatchUp.TransactionID, &s.CatchUp.Sequence)
		if after != nil {
			id := user.ID(*after)
			s.BulkAfter = &id
		}
		return s, err
	})
	if err != nil || len(states) == 0 {
		return nil, err
	}
	return &states[0], nil
}

// startRebuildState records a fresh rebuild, replacing any earlier one.
func startRebuildState(ctx context.Context, pool *pgxpool.Pool, k rebuildKey, s rebuildState) error {
	_, err := pool.Exec(ctx, `INSERT INTO projection_rebuilds (projection, scope, transaction_id, position)
		VALUES ($1, $2, $3::bigint::text::xid8, $4)
		ON CONFLICT (projection, scope) DO UPDATE SET bulk_after = NULL, bulk_done = false, bulk_events = 0,
		    transaction_id = excluded.transaction_id, position = excluded.position, started_at = now(), updated_at = now()`,
		k.Projection, k.Scope, s.CatchUp.TransactionID, s.CatchUp.Sequence)
	if err != nil {
		return fmt.Errorf("record rebuild state: %w", err)
	}
	return nil
}

func saveBulkProgress(ctx context.Context, tx pgx.Tx, k rebuildKey, after user.ID, events int64) error {
	_, err := tx.Exec(ctx, `UPDATE projection_rebuilds SET bulk_after = $3, bulk_events = bulk_events + $4,
		updated_at = now() WHERE projection = $1 AND scope = $2`, k.Projection, k.Scope, after, events)
	if err != nil {
		return fmt.Errorf("record bulk progress: %w", err)
	}
	return nil
}

func finishBulk(ctx context.Context, pool *pgxpool.Pool, k rebuildKey) error {
	_, err := pool.Exec(ctx, `UPDATE projection_rebuilds SET bulk_done = true, updated_at = now()
		WHERE projection = $1 AND scope = $2`, k.Projection, k.Scope)
	if err != nil {
		return fmt.Errorf("record bulk load done: %w", err)
	}
	return nil
}

// rebuildCheckpoint is the catch-up position of a rebuild, kept in its
// projection_rebuilds row (unlogged, like the shadow it describes).
type rebuildCheckpoint rebuildKey

// Load implements Checkpoint.
func (c rebuildCheckpoint) Load(ctx context.Context, tx pgx.Tx) (Position, error) {
	var p Position
	err := tx.QueryRow(ctx, `SELECT transaction_id::text::bigint, position FROM projection_rebuilds
		WHERE projection = $1 AND scope = $2 FOR UPDATE`, c.Projection, c.Scope).Scan(&p.TransactionID, &p.Sequence)
	if err != nil {
		return p, fmt.Errorf("load rebuild checkpoint: %w", err)
	}
	return p, nil
}

// Save implements Checkpoint.
func (c rebuildCheckpoint) Save(ctx context.Context, tx pgx.Tx, p Position) error {
	_, err := tx.Exec(ctx, `UPDATE projection_rebuilds SET transaction_id = $3::bigint::text::xid8, position = $4,
		updated_at = now() WHERE projection = $1 AND scope = $2`, c.Projection, c.Scope, p.TransactionID, p.Sequence)
	if err != nil {
		return fmt.Errorf("save rebuild checkpoint: %w", err)
	}
	return nil
}

// clearRebuild empties the shadow and forgets the rebuild, together.
func clearRebuild(ctx context.Context, pool *pgxpool.Pool, t Target, scope string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := t.Clear(ctx, tx, scope); err != nil {
			return fmt.Errorf("clear the %s shadow: %w", t.Name(), err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM projection_rebuilds WHERE projection = $1 AND scope = $2`, t.Name(), scope)
		return err
	})
}

// lockRebuild takes the session advisory lock that lets one rebuild of a
// projection and scope run at a time, on its own connection; release gives
// it back. Rebuilds of other scopes have shadows of their own.
func lockRebuild(ctx context.Context, pool *pgxpool.Pool, k rebuildKey) (release func(), err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("rebuild lock: %w", err)
	}
	key := "projection-rebuild:" + k.Projection + ":" + k.Scope
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("rebuild lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, fmt.Errorf("%w: %s", ErrRebuildRunning, k)
	}
	return func() {
		// A failed unlock must not leave the lock on a pooled connection.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}, nil
}

func (k rebuildKey) String() string {
	if k.Scope == "" {
		return k.Projection + " (every tenant)"
	}
	return k.Projection + " (tenant " + k.Scope + ")"
}
