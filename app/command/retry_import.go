package command

import (
	"context"
	"errors"
	"fmt"
)

// RetryImport queues a job's parked rows again (`usersctl imports retry JOB`).
type RetryImport struct {
	TenantID string
	JobID    string
}

// ParkedRowStore reads the poison queue of a job.
type ParkedRowStore interface {
	// ParkedRows returns up to limit parked rows of the tenant's job after
	// row afterRow, in row order; a job of another tenant is
	// query.ErrImportNotFound.
	ParkedRows(ctx context.Context, tenantID, jobID string, afterRow, limit int) ([]ImportUserRow, error)
	// MarkRequeued notes when parked rows were queued again.
	MarkRequeued(ctx context.Context, jobID string, rows []int) error
}

// RetryImportHandler handles RetryImport.
type RetryImportHandler Handler[RetryImport, int]

// retryImportHandler is RetryImportHandler built by its constructor.
type retryImportHandler struct {
	parked ParkedRowStore
	queue  ImportQueue
}

// NewRetryImportHandler returns the handler.
func NewRetryImportHandler(parked ParkedRowStore, queue ImportQueue) (RetryImportHandler, error) {
	if parked == nil || queue == nil {
		return nil, errors.New("NewRetryImportHandler: nil dependency")
	}
	return retryImportHandler{parked: parked, queue: queue}, nil
}

// Handle queues every parked row and returns how many. A row stays parked
// (and counted so) until its new delivery records its outcome, so a crash
// part way loses nothing: running the retry again queues the rest, and rows
// queued twice are handled once.
func (h retryImportHandler) Handle(ctx context.Context, cmd RetryImport) (int, error) {
	n, after := 0, 0
	for {
		rows, err := h.parked.ParkedRows(ctx, cmd.TenantID, cmd.JobID, after, publishBatch)
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		if err := h.queue.Enqueue(ctx, rows); err != nil {
			return n, fmt.Errorf("queue parked rows: %w", err)
		}
		numbers := make([]int, len(rows))
		for i, r := range rows {
			numbers[i] = r.Row
		}
		if err := h.parked.MarkRequeued(ctx, cmd.JobID, numbers); err != nil {
			return n, err
		}
		n += len(rows)
		after = rows[len(rows)-1].Row
	}
}
