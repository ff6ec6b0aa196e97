package query

import (
	"context"
	"fmt"
)

// ListImportFailures lists a job's rejections in row order, a page at a time.
type ListImportFailures struct {
	TenantID string
	JobID    string
	// AfterRow and AfterSeq are where the previous page ended (0, 0: the start).
	AfterRow, AfterSeq int
	// Limit is the page size; 0 means DefaultPageSize, at most MaxFailuresPageSize.
	Limit int
	// WithSource adds each failure's original row (jobs uploaded with
	// keep_rows) and the file's header to the page.
	WithSource bool
}

// MaxFailuresPageSize bounds a page of failures (the CSV download reads the
// whole list page by page).
const MaxFailuresPageSize = 5000

// ImportFailure is one reason one row was rejected, or (Severity warning)
// one thing to know about a row that was imported.
type ImportFailure struct {
	Row     int
	Seq     int
	Field   string
	Code    string
	Message string
	// Severity is error or warning; Value the offending cell; ExternalID
	// and Email the row's.
	Severity, Value, ExternalID, Email string
	// RootRow, RootCode and RootMessage are, for a row refused (or imported
	// without its manager) because its manager's row was not imported, the
	// row where the chain began and why that row was rejected.
	RootRow               int
	RootCode, RootMessage string
	// Source is the row's cells as in the file (WithSource, when kept).
	Source []string `db:"-"`
}

// FailurePage is one page of failures; Done when there are no more.
type FailurePage struct {
	Failures []ImportFailure
	Done     bool
	// SourceHeader is the file's header (WithSource, when the rows were
	// kept; nil otherwise).
	SourceHeader []string
}

// ListImportFailuresHandler handles ListImportFailures.
type ListImportFailuresHandler Handler[ListImportFailures, FailurePage]

// listImportFailuresHandler is ListImportFailuresHandler built by its constructor.
type listImportFailuresHandler struct{ imports ImportReader }

// NewListImportFailuresHandler returns the handler.
func NewListImportFailuresHandler(imports ImportReader) (ListImportFailuresHandler, error) {
	if imports == nil {
		return nil, fmt.Errorf("NewListImportFailuresHandler: nil reader")
	}
	return listImportFailuresHandler{imports: imports}, nil
}

// Handle returns one page, or ErrImportNotFound.
func (h listImportFailuresHandler) Handle(ctx context.Context, q ListImportFailures) (FailurePage, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxFailuresPageSize:
		return FailurePage{}, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalidQuery, MaxFailuresPageSize)
	}
	if q.AfterRow < 0 || q.AfterSeq < 0 {
		return FailurePage{}, fmt.Errorf("%w: bad cursor", ErrInvalidQuery)
	}
	return h.imports.ImportFailures(ctx, q)
}
