package projection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/domain/user"
)

// lockNotAvailable is PostgreSQL's error code when lock_timeout passes.
const lockNotAvailable = "55P03"

// diff compares the shadow with the live model in one read-only snapshot,
// taking no lock: the events the snapshot shows beyond the catch-up
// checkpoint are applied to the shadow in memory, so both sides stand at
// the same point of the event order. It resets touched, so that what
// catch-ups change afterwards is known to the swap.
func (r *Rebuilder) diff(ctx context.Context) (diffs []Difference, err error) {
	r.meter.begin(PhaseVerify, 0, 0)
	defer r.meter.end()
	clear(r.touched)
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("compare: begin: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("compare: end: %w", rbErr))
		}
	}()
	// The comparison joins the whole scope of both models once: with
	// PostgreSQL's default work_mem its hash spilled to temporary files in
	// eight batches (200k users), and JIT compiled plans that a run never
	// repays. Both settings end with the transaction.
	if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	state, err := loadRebuildState(ctx, tx, r.key)
	if err != nil {
		return nil, err
	}
	if state == nil {
		return nil, errors.New("compare: the rebuild's state is gone")
	}
	var pending []Event
	err = r.reader.Committed(ctx, tx, state.CatchUp, func(events []Event) error {
		pending = append(pending, events...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.meter.add(len(pending))
	return r.target.Diff(ctx, tx, r.cfg.TenantID, pending)
}

// swap makes the live model equal to the shadow. It first compares without
// a lock, and copies back the rows the live model lacks (a model whose
// table was emptied lacks them all), so that the lock is held only for the
// last catch-up and the rows that still differ (those found by a second
// comparison, and those of every stream a catch-up touches from then on),
// never for a whole-model comparison or copy.
func (r *Rebuilder) swap(ctx context.Context, f *Follower, res *RebuildResult) error {
	diffs, err := r.diff(ctx)
	if err != nil {
		return err
	}
	res.Differences = diffs
	if slices.ContainsFunc(diffs, func(d Difference) bool { return d.Kind == DiffMissing }) {
		if res.Restored, err = r.restoreMissing(ctx); err != nil {
			return err
		}
		if err := r.catchUp(ctx, f, res); err != nil {
			return err
		}
		if diffs, err = r.diff(ctx); err != nil {
			return err
		}
	}
	// What was written during the comparison is applied now, not under the lock.
	if err := r.catchUp(ctx, f, res); err != nil {
		return err
	}
	r.meter.begin(PhaseSwap, 0, 0)
	defer r.meter.end()
	for attempt := 1; ; attempt++ {
		done, err := r.trySwap(ctx, diffs, res)
		if done || err != nil {
			return err
		}
		if attempt == r.cfg.SwapAttempts {
			return fmt.Errorf("swap %s: the live model stayed locked by writers %d times for %s; the shadow is kept: run again",
				r.target.Name(), attempt, r.cfg.LockTimeout)
		}
		if err := r.catchUp(ctx, f, res); err != nil {
			return err
		}
	}
}

// restoreMissing copies the rows the live model lacks in passes over the
// shadow, each in batches of BatchSize rows, until a pass copies none.
func (r *Rebuilder) restoreMissing(ctx context.Context) (int, error) {
	total := 0
	for {
		pass := 0
		var after *user.ID
		for {
			var n int
			err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) (err error) {
				n, after, err = r.target.RestoreMissing(ctx, tx, r.key.Scope, after, r.cfg.BatchSize)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("restore missing %s rows: %w", r.target.Name(), err)
			}
			pass += n
			if after == nil {
				break
			}
		}
		total += pass
		if pass == 0 {
			return total, nil
		}
	}
}

// trySwap is one attempt: false, nil when the lock was not had in time.
func (r *Rebuilder) trySwap(ctx context.Context, diffs []Difference, res *RebuildResult) (done bool, err error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("swap: begin: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("swap: rollback: %w", rbErr))
		}
	}()
	timeout := strconv.FormatInt(r.cfg.LockTimeout.Milliseconds(), 10) + "ms"
	if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, timeout); err != nil {
		return false, fmt.Errorf("swap: %w", err)
	}
	if err := r.target.LockLive(ctx, tx); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == lockNotAvailable {
			return false, nil
		}
		return false, fmt.Errorf("swap: lock the live %s model: %w", r.target.Name(), err)
	}
	locked := time.Now()
	// With the writers out, no transaction that could still commit an
	// event of this model is running, so every event committed after the
	// checkpoint can be applied: the gap-safe bound is not needed here.
	from, err := rebuildCheckpoint(r.key).Load(ctx, tx)
	if err != nil {
		return false, err
	}
	err = r.reader.Committed(ctx, tx, from, func(events []Event) error {
		changed, err := r.target.Apply(ctx, tx, r.key.Scope, events)
		if err != nil {
			return fmt.Errorf("final catch-up: %w", err)
		}
		r.touch(changed)
		res.CatchUpEvents += int64(len(events))
		r.meter.add(len(events))
		return nil
	})
	if err != nil {
		return false, err
	}
	streams := make([]user.ID, 0, len(diffs)+len(r.touched))
	seen := make(map[user.ID]struct{}, cap(streams))
	for _, d := range diffs {
		seen[d.StreamID] = struct{}{}
		streams = append(streams, d.StreamID)
	}
	for id := range r.touched {
		if _, ok := seen[id]; !ok {
			streams = append(streams, id)
		}
	}
	if len(streams) > 0 {
		if res.Deleted, res.Inserted, err = r.target.Swap(ctx, tx, r.cfg.TenantID, streams); err != nil {
			return false, fmt.Errorf("swap %s: %w", r.target.Name(), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("swap: commit: %w", err)
	}
	res.LockHeld = time.Since(locked)
	return true, nil
}
