package command

import (
	"context"
	"errors"
)

// ParkImportRow puts a row whose transient failures outlasted its retries in
// the poison queue: it is counted as parked, with its error, until
// RetryImport queues it again.
type ParkImportRow struct {
	Row    ImportUserRow
	Reason string
}

// ParkImportRowHandler handles ParkImportRow.
type ParkImportRowHandler Handler[ParkImportRow, bool]

// parkImportRowHandler is ParkImportRowHandler built by its constructor.
type parkImportRowHandler struct{ rows ImportRowStore }

// NewParkImportRowHandler returns the handler.
func NewParkImportRowHandler(rows ImportRowStore) (ParkImportRowHandler, error) {
	if rows == nil {
		return nil, errors.New("NewParkImportRowHandler: nil store")
	}
	return parkImportRowHandler{rows: rows}, nil
}

// Handle records the row as parked, unless it has an outcome already (a
// delivery that got through after all). It reports whether it parked the row.
func (h parkImportRowHandler) Handle(ctx context.Context, cmd ParkImportRow) (bool, error) {
	r := cmd.Row
	if r.JobID == "" || r.TenantID == "" || r.Row <= 0 {
		return false, ErrInvalidEnvelope
	}
	r.Deferrals = 0
	return h.rows.RecordRowOutcome(ctx, RowOutcome{TenantID: r.TenantID, JobID: r.JobID, Row: r.Row,
		Outcome: OutcomeParked, Detail: cmd.Reason, Parked: &r})
}
