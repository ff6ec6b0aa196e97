package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// ImportChunks is the command.ImportChunkStore: a chunk of import rows in
// ONE short transaction, opened and closed here (never hidden in a
// context), in three round trips: one batch reads what the rows name, the
// application decides in memory, one batch writes every table set-wise,
// and the commit. Per chunk, not per row: the commit (one WAL flush), the
// seat update, the counters and the relay's wake-up.
type ImportChunks struct {
	pool    *pgxpool.Pool
	logger  watermill.LoggerAdapter
	wakeups *outboxWakeups
	stats   *importStats
	now     func() time.Time
	// personal, when set, encrypts personal data (see personal_data.go).
	personal *personaldata.Keys
	// afterDecide and beforeCommit, when set (by tests only), run between
	// the decision and the write, and between the write and the commit:
	// they stand for a concurrent writer, or a crash, between the steps.
	afterDecide  func(ctx context.Context, attempt int) error
	beforeCommit func(ctx context.Context, tx pgx.Tx, attempt int) error
}

// NewImportChunks returns the store on pool; logger receives Watermill's
// publisher logs.
func NewImportChunks(pool *pgxpool.Pool, logger watermill.LoggerAdapter) (*ImportChunks, error) {
	if pool == nil {
		return nil, errors.New("NewImportChunks: nil pool")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &ImportChunks{pool: pool, logger: logger, wakeups: &outboxWakeups{pool: pool},
		stats: &importStats{pool: pool, logger: logger, jobs: map[string]*jobGrowth{}}, now: time.Now}, nil
}

// maxChunkAttempts bounds the fresh starts of a chunk that met concurrent
// writers; each one sees what the last one collided with, so a second
// attempt almost always succeeds.
const maxChunkAttempts = 5

// errChunkConflict means a concurrent writer got in between the chunk's
// read and its write: nothing was kept, and the chunk starts over.
var errChunkConflict = errors.New("import chunk met a concurrent writer")

// ApplyChunk implements command.ImportChunkStore.
func (s *ImportChunks) ApplyChunk(ctx context.Context, k command.ChunkKeys,
	decide func(command.ChunkView) (command.ChunkPlan, error)) (command.ChunkPlan, error) {
	if _, err := uuid.Parse(k.JobID); err != nil {
		return command.ChunkPlan{}, query.ErrImportNotFound
	}
	if _, err := uuid.Parse(k.TenantID); err != nil {
		return command.ChunkPlan{}, query.ErrImportNotFound
	}
	for attempt := 1; ; attempt++ {
		plan, shards, err := s.attempt(ctx, k, decide, attempt)
		if errors.Is(err, errChunkConflict) && attempt < maxChunkAttempts {
			continue
		}
		if err != nil {
			return command.ChunkPlan{}, err
		}
		for shard := range shards {
			s.wakeups.committed(shard)
		}
		s.stats.applied(ctx, k.JobID, len(plan.Rows))
		// After the commit, so the last of several concurrent chunks sees
		// them all; a crash before it is made good by the redelivery.
		return plan, finishIfDone(ctx, s.pool, k.JobID)
	}
}

// attempt is one try, in one transaction.
func (s *ImportChunks) attempt(ctx context.Context, k command.ChunkKeys, decide func(command.ChunkView) (command.ChunkPlan, error),
	attempt int) (plan command.ChunkPlan, shards map[int]bool, err error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	err = inTx(ctx, s.pool, func(tx pgx.Tx) error {
		view, err := readChunkView(ctx, tx, k, false)
		if err != nil {
			return err
		}
		view.Now = now
		if plan, err = decide(view); err != nil {
			return err
		}
		if plan.LocksManagers {
			// Read again under the reporting-line lock, and decide on that.
			if view, err = readChunkView(ctx, tx, k, true); err != nil {
				return err
			}
			view.Now = now
			if plan, err = decide(view); err != nil {
				return err
			}
		}
		if s.afterDecide != nil {
			if err := s.afterDecide(ctx, attempt); err != nil {
				return err
			}
		}
		if shards, err = s.write(ctx, tx, k, plan, now); err != nil {
			return conflictOf(err)
		}
		if s.beforeCommit != nil {
			return s.beforeCommit(ctx, tx, attempt)
		}
		return nil
	})
	return plan, shards, conflictOf(err)
}

// conflictOf marks the errors a concurrent writer causes as
// errChunkConflict: the database refused a row that the decision, made
// before that writer committed, allowed.
func conflictOf(err error) error {
	var pgErr *pgconn.PgError
	if err == nil || errors.Is(err, errChunkConflict) || !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case uniqueViolation, "40001", "40P01": // unique key, serialization failure, deadlock
		return fmt.Errorf("%w: %w", errChunkConflict, err)
	}
	return err
}

// lockManagersSQL is the per-tenant lock the unit of work takes before a
// manager change (see managerLookup).
const lockManagersSQL = `SELECT pg_advisory_xact_lock(hashtextextended('managers:' || $1::text, 0))`

// seatSteps is the plan's seat steps (command.ChunkPlan.SeatSteps), which
// the in-memory chunk store writes by too.
func seatSteps(plan command.ChunkPlan) (net, peak int) { return plan.SeatSteps() }
