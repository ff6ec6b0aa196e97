package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// bulk loads every stream into the shadow from one REPEATABLE READ
// snapshot, in stream order, resuming after the last stream an earlier run
// loaded. The read-only snapshot transaction takes no transaction id, so it
// holds back no gap-safe reader (relays, followers) however long it runs;
// the writes commit in short transactions of BatchSize events, each with
// the bulk position, on a second connection while the next batch is read.
func (r *Rebuilder) bulk(ctx context.Context, state *rebuildState, res *RebuildResult) (err error) {
	start := time.Now()
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("bulk read: begin: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("bulk read: end: %w", rbErr))
		}
	}()
	if state == nil {
		// The first statement fixes the snapshot: every transaction below
		// its horizon is in it, so catching up may start there.
		var horizon int64
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon); err != nil {
			return fmt.Errorf("bulk read: snapshot: %w", err)
		}
		state = &rebuildState{CatchUp: Position{TransactionID: horizon}}
		if err := startRebuildState(ctx, r.pool, r.key, *state); err != nil {
			return err
		}
	}
	total, err := r.reader.Count(ctx, tx)
	if err != nil {
		return err
	}
	r.meter.begin(PhaseBulk, state.BulkEvents, total)

	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []Event, 2)
	g.Go(func() error {
		for batch := range batches {
			rows, err := r.loadBatch(gctx, batch)
			if err != nil {
				return err
			}
			res.BulkEvents += int64(len(batch))
			res.BulkRows += int64(rows)
			r.meter.add(len(batch))
		}
		return nil
	})
	g.Go(func() error {
		defer close(batches)
		send := func(batch []Event) error {
			select {
			case batches <- batch:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		batch := make([]Event, 0, r.cfg.BatchSize)
		err := r.reader.Streams(gctx, tx, state.BulkAfter, func(e Event) error {
			// Batches end between streams: Load takes whole streams.
			if len(batch) >= r.cfg.BatchSize && e.StreamID != batch[len(batch)-1].StreamID {
				if err := send(batch); err != nil {
					return err
				}
				batch = make([]Event, 0, r.cfg.BatchSize)
			}
			batch = append(batch, e)
			return nil
		})
		if err == nil && len(batch) > 0 {
			err = send(batch)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	r.meter.end()
	res.BulkElapsed = time.Since(start)
	return finishBulk(ctx, r.pool, r.key)
}

// loadBatch writes whole streams into the shadow and records how far the
// bulk load got, in one transaction.
func (r *Rebuilder) loadBatch(ctx context.Context, batch []Event) (rows int, err error) {
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if rows, err = r.target.Load(ctx, tx, r.key.Scope, batch); err != nil {
			return fmt.Errorf("load %s shadow: %w", r.target.Name(), err)
		}
		return saveBulkProgress(ctx, tx, r.key, batch[len(batch)-1].StreamID, int64(len(batch)))
	})
	return rows, err
}
