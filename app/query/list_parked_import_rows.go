package query

import (
	"context"
	"fmt"
	"time"
)

// ListParkedImportRows lists a job's rows in the poison queue.
type ListParkedImportRows struct {
	TenantID string
	JobID    string
	AfterRow int
	// Limit is the page size; 0 means DefaultPageSize, at most MaxPageSize.
	Limit int
}

// ParkedImportRow is a row whose transient failures outlasted its retries.
type ParkedImportRow struct {
	Row        int
	Error      string
	ParkedAt   time.Time
	RequeuedAt *time.Time
}

// ListParkedImportRowsHandler handles ListParkedImportRows.
type ListParkedImportRowsHandler Handler[ListParkedImportRows, []ParkedImportRow]

// listParkedImportRowsHandler is ListParkedImportRowsHandler built by its constructor.
type listParkedImportRowsHandler struct{ imports ImportReader }

// NewListParkedImportRowsHandler returns the handler.
func NewListParkedImportRowsHandler(imports ImportReader) (ListParkedImportRowsHandler, error) {
	if imports == nil {
		return nil, fmt.Errorf("NewListParkedImportRowsHandler: nil reader")
	}
	return listParkedImportRowsHandler{imports: imports}, nil
}

// Handle returns one page of parked rows, or ErrImportNotFound.
func (h listParkedImportRowsHandler) Handle(ctx context.Context, q ListParkedImportRows) ([]ParkedImportRow, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return nil, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalidQuery, MaxPageSize)
	}
	return h.imports.ParkedImportRows(ctx, q)
}
