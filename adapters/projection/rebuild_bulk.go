package projection

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
	// One long scan gains nothing from JIT, and its plan, costed per row,
	// is dear enough that PostgreSQL compiled it with inlining and
	// optimization: about half a second of a backend's CPU per run.
	if _, err := tx.Exec(ctx, `SELECT set_config('jit', 'off', true)`); err != nil {
		return fmt.Errorf("bulk read: %w", err)
	}
	if state == nil {
		// The snapshot (fixed by the first statement) holds every
		// transaction below its horizon, so catching up may start there.
		var horizon int64
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon); err != nil {
			return fmt.Errorf("bulk read: snapshot: %w", err)
		}
		state = &rebuildState{CatchUp: Position{TransactionID: horizon}}
		if err := startRebuildState(ctx, r.pool, r.key, *state); err != nil {
			return err
		}
	}
	r.meter.begin(PhaseBulk, state.BulkEvents, 0)
	stopCount := r.countTotal(ctx)
	defer stopCount()

	// Three stages: one reader scans rows (undecoded), decoders upcast and
	// decode whole batches in parallel (most of the CPU of a bulk load) and,
	// when the target can (PreparedLoader), fold them into rows; one writer
	// copies the batches into the shadow in read order. The
	// writer takes each batch's result channel from `order`, in the order
	// the reader made them, so a batch decoded early waits for its turn.
	g, gctx := errgroup.WithContext(ctx)
	type decoded struct {
		events   []Event
		prepared any // the target's PrepareLoad of events, if it has one
	}
	type job struct {
		events []Event
		done   chan decoded
	}
	preparer, _ := r.target.(PreparedLoader)
	workers := decoders()
	jobs := make(chan job, workers)
	order := make(chan chan decoded, workers+1)
	g.Go(func() error {
		for done := range order {
			var d decoded
			select {
			case d = <-done:
			case <-gctx.Done():
				return gctx.Err()
			}
			batch := d.events
			rows, err := r.loadBatch(gctx, batch, d.prepared)
			if err != nil {
				return err
			}
			res.BulkEvents += int64(len(batch))
			res.BulkRows += int64(rows)
			r.meter.add(len(batch))
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				for i := range j.events {
					if err := r.reader.Decode(&j.events[i]); err != nil {
						return err
					}
				}
				d := decoded{events: j.events}
				if preparer != nil {
					var err error
					if d.prepared, err = preparer.PrepareLoad(r.key.Scope, j.events); err != nil {
						return fmt.Errorf("load %s shadow: %w", r.target.Name(), err)
					}
				}
				j.done <- d // buffered: never blocks
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(order)
		defer close(jobs)
		send := func(batch []Event) error {
			j := job{events: batch, done: make(chan decoded, 1)}
			for _, step := range []func() bool{
				func() bool { return trySend(gctx, order, j.done) },
				func() bool { return trySend(gctx, jobs, j) },
			} {
				if !step() {
					return gctx.Err()
				}
			}
			return nil
		}
		batch := make([]Event, 0, r.cfg.BatchSize)
		err := r.reader.StreamsUndecoded(gctx, tx, state.BulkAfter, func(e Event) error {
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

// countTotal counts the events in scope for the progress reports, beside
// the bulk read rather than before it: the count scans the whole table
// (the type filter needs every row), a few hundred ms that held up the
// read of a 1M-event tenant. It counts on a connection of its own, outside
// the snapshot: a progress total, not a position. A failed count leaves the
// total unknown, which the reports allow. stop ends it and waits for it.
func (r *Rebuilder) countTotal(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if total, err := r.reader.Count(ctx, r.pool); err == nil {
			r.meter.setTotal(total)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// loadBatch writes whole streams into the shadow and records how far the
// bulk load got, in one transaction.
func (r *Rebuilder) loadBatch(ctx context.Context, batch []Event, prepared any) (rows int, err error) {
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if p, ok := r.target.(PreparedLoader); ok && prepared != nil {
			rows, err = p.LoadPrepared(ctx, tx, prepared)
		} else {
			rows, err = r.target.Load(ctx, tx, r.key.Scope, batch)
		}
		if err != nil {
			return fmt.Errorf("load %s shadow: %w", r.target.Name(), err)
		}
		return saveBulkProgress(ctx, tx, r.key, batch[len(batch)-1].StreamID, int64(len(batch)))
	})
	return rows, err
}

// decoders is the number of goroutines decoding a bulk load: one per CPU.
// The reader and the writer mostly wait for PostgreSQL (rows to arrive, a
// COPY to commit), so a CPU left to them alone sat partly idle: on two
// CPUs, one decoder was the bulk load's bottleneck.
func decoders() int { return max(1, runtime.GOMAXPROCS(0)) }

// trySend sends v on ch unless ctx ends first.
func trySend[T any](ctx context.Context, ch chan<- T, v T) bool {
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
