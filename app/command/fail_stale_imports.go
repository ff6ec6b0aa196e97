package command

import (
	"context"
	"errors"
	"time"
)

// FailStaleImports fails the jobs whose rows stopped being queued: the
// process queueing them died part way. Their queued rows are still imported
// and counted; the job says it is incomplete (and an HRIS sync notifies).
type FailStaleImports struct {
	// OlderThan is how long a job may stay unsealed. Queueing takes seconds
	// even for large files, so an hour means abandoned.
	OlderThan time.Duration
}

// StaleImportStore finds and fails abandoned jobs.
type StaleImportStore interface {
	// FailStaleImports fails every unsealed job created more than olderThan
	// ago, queuing the notices of HRIS syncs, and returns how many it failed.
	FailStaleImports(ctx context.Context, olderThan time.Duration) (int, error)
}

// FailStaleImportsHandler handles FailStaleImports.
type FailStaleImportsHandler Handler[FailStaleImports, int]

// failStaleImportsHandler is FailStaleImportsHandler built by its constructor.
type failStaleImportsHandler struct{ store StaleImportStore }

// NewFailStaleImportsHandler returns the handler.
func NewFailStaleImportsHandler(store StaleImportStore) (FailStaleImportsHandler, error) {
	if store == nil {
		return nil, errors.New("NewFailStaleImportsHandler: nil store")
	}
	return failStaleImportsHandler{store: store}, nil
}

// Handle fails the stale jobs and returns how many.
func (h failStaleImportsHandler) Handle(ctx context.Context, cmd FailStaleImports) (int, error) {
	if h.store == nil {
		return 0, errors.New("FailStaleImports: handler not wired")
	}
	if cmd.OlderThan <= 0 {
		return 0, errors.New("FailStaleImports: OlderThan must be positive")
	}
	return h.store.FailStaleImports(ctx, cmd.OlderThan)
}
