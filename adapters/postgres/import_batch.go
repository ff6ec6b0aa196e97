package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// ImportBatches runs a chunk of import rows in ONE transaction: it is the
// command.ImportBatchRunner of the ImportUserRows use case. Inside it, every
// command (unit of work) and every row outcome joins the chunk's transaction,
// each command under a savepoint of its own, so a refused row rolls back
// alone. Costs paid once per chunk instead of once per row: the commit (one
// WAL flush), the seat update (one conditional UPDATE of the tenant row, just
// before the commit, so the tenant row is locked only for the commit) and
// the outbox wake-ups.
type ImportBatches struct {
	pool    *pgxpool.Pool
	wakeups *outboxWakeups
}

// NewImportBatches returns the runner on pool.
func NewImportBatches(pool *pgxpool.Pool) *ImportBatches {
	return &ImportBatches{pool: pool, wakeups: &outboxWakeups{pool: pool}}
}

// batchKey carries the chunk's transaction in the context.
type batchKey struct{}

// batchState is what a chunk's transaction collects for its end.
type batchState struct {
	tx pgx.Tx
	mu sync.Mutex
	// take and free are the seat changes of the committed savepoints, per
	// tenant: taken seats are checked against the limit at the end.
	take, free map[string]int
	shards     map[int]bool
	jobs       map[string]bool
	// countShard is the job counter row all the chunk's outcomes go to, so
	// concurrent chunks lock different counter rows.
	countShard int
	cache      *chunkCache
}

// InBatch implements command.ImportBatchRunner.
func (b *ImportBatches) InBatch(ctx context.Context, rows []command.ImportUserRow, f func(ctx context.Context) error) error {
	if inBatch(ctx) != nil || len(rows) == 0 {
		return errors.New("InBatch: a nested or empty chunk")
	}
	st := &batchState{take: map[string]int{}, free: map[string]int{}, shards: map[int]bool{}, jobs: map[string]bool{},
		countShard: rows[0].Row % countShards}
	err := inTx(ctx, b.pool, func(tx pgx.Tx) (err error) {
		st.tx = tx
		if st.cache, err = preloadChunk(ctx, tx, rows); err != nil {
			return err
		}
		if err := f(context.WithValue(ctx, batchKey{}, st)); err != nil {
			return err
		}
		return st.settleSeats(ctx)
	})
	if err != nil {
		return err
	}
	for shard := range st.shards {
		b.wakeups.committed(shard)
	}
	// After the commit, so the last of several concurrent chunks sees them
	// all; a crash before it is made good by the redelivery, which checks again.
	var errs []error
	for _, job := range slices.Sorted(maps.Keys(st.jobs)) {
		errs = append(errs, finishIfDone(ctx, b.pool, job))
	}
	return errors.Join(errs...)
}

// settleSeats takes the chunk's seats in one conditional update per tenant:
// if they do not all fit, nothing of the chunk is kept
// (command.ErrBatchSeats), and the caller applies its rows one by one, each
// checked on its own.
func (st *batchState) settleSeats(ctx context.Context) error {
	for tenant, n := range st.take {
		tag, err := st.tx.Exec(ctx, `UPDATE tenants SET seats_used = greatest(seats_used + $2 - $3, 0)
			WHERE id = $1 AND seats_used + $2 <= seat_limit`, tenant, n, st.free[tenant])
		if err != nil {
			return fmt.Errorf("take seats: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return command.ErrBatchSeats
		}
		delete(st.free, tenant)
	}
	for tenant, n := range st.free {
		if _, err := st.tx.Exec(ctx, freeSeatsSQL, tenant, -n); err != nil {
			return fmt.Errorf("free seats: %w", err)
		}
	}
	return nil
}

// seats records a committed command's seat change.
func (st *batchState) seats(tenantID string, delta int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case delta > 0:
		st.take[tenantID] += delta
	case delta < 0:
		st.free[tenantID] -= delta
	}
}

func (st *batchState) note(shard int, job string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if shard >= 0 {
		st.shards[shard] = true
	}
	if job != "" {
		st.jobs[job] = true
	}
}

// inBatch returns the chunk the context runs in, or nil.
func inBatch(ctx context.Context) *batchState {
	st, _ := ctx.Value(batchKey{}).(*batchState)
	return st
}

// db is what the stores run statements on: the pool, or a chunk's
// transaction.
type db interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// dbFor is the chunk's transaction when ctx runs in one, else pool.
func dbFor(ctx context.Context, pool *pgxpool.Pool) db {
	if st := inBatch(ctx); st != nil {
		return st.tx
	}
	return pool
}
