package command

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ImportBatchRunner runs the work of several import rows in one transaction.
type ImportBatchRunner interface {
	// InBatch runs f with a context in which the unit of work and the row
	// store join one transaction (each command under a savepoint, so a
	// refused row rolls back alone), committed when f returns nil, rolled
	// back otherwise. rows are the chunk's (one job's): the runner may read
	// ahead what they will look up. A chunk whose new users do not all fit
	// in the tenant's seats is ErrBatchSeats: nothing of it was kept.
	InBatch(ctx context.Context, rows []ImportUserRow, f func(ctx context.Context) error) error
}

// ErrBatchSeats means a chunk's new users did not all fit in the tenant's
// free seats: its rows must be applied one by one, each checked on its own.
var ErrBatchSeats = errors.New("the chunk's new users do not all fit in the tenant's seats")

// ImportUserRows is a chunk of queued rows of one job, applied together.
type ImportUserRows struct {
	Rows []ImportUserRow
}

// DeferredRow is a row of a chunk that waits for its manager's row.
type DeferredRow struct {
	Row   ImportUserRow
	Delay time.Duration
}

// RowsResult is what ImportUserRows did: the rows applied (outcomes
// recorded, in the chunk's transaction) and the rows to queue again.
type RowsResult struct {
	Applied  []RowResult
	Deferred []DeferredRow
}

// ImportUserRowsHandler applies a chunk of rows through the ImportUserRow
// handler (the same commands, checks and idempotency per row) in one
// transaction: one commit and one seat update for the chunk instead of one
// per row.
type ImportUserRowsHandler struct {
	row   ImportUserRowHandler
	batch ImportBatchRunner
}

// NewImportUserRowsHandler returns the handler.
func NewImportUserRowsHandler(row ImportUserRowHandler, batch ImportBatchRunner) (ImportUserRowsHandler, error) {
	if row.rows == nil || batch == nil {
		return ImportUserRowsHandler{}, errors.New("NewImportUserRowsHandler: nil dependency")
	}
	return ImportUserRowsHandler{row: row, batch: batch}, nil
}

// Handle applies every row or none: any error other than a row's deferral
// (a transient failure of one row, ErrBatchSeats) rolls the whole chunk back,
// and the caller then applies its rows one by one, where each failure is
// retried, parked or rejected on its own.
func (h ImportUserRowsHandler) Handle(ctx context.Context, cmd ImportUserRows) (RowsResult, error) {
	if len(cmd.Rows) == 0 {
		return RowsResult{}, nil
	}
	var res RowsResult
	err := h.batch.InBatch(ctx, cmd.Rows, func(ctx context.Context) error {
		res = RowsResult{}
		for _, r := range cmd.Rows {
			out, err := h.row.Handle(ctx, r)
			var deferred *DeferredError
			switch {
			case errors.As(err, &deferred):
				res.Deferred = append(res.Deferred, DeferredRow{Row: r, Delay: deferred.Delay})
			case err != nil:
				return fmt.Errorf("row %d: %w", r.Row, err)
			default:
				res.Applied = append(res.Applied, out)
			}
		}
		return nil
	})
	if err != nil {
		return RowsResult{}, err
	}
	return res, nil
}
