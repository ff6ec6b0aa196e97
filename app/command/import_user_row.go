package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ImportTarget is a user an import row may apply to, with the time of its
// last change (to keep an older source record from overwriting it).
type ImportTarget struct {
	user.Snapshot
	UpdatedAt time.Time
}

// ImportUserRowConfig configures the ImportUserRow handler.
type ImportUserRowConfig struct {
	// MaxDeferrals bounds how often a row waits for its manager's row before
	// it is rejected. Loops of managers within a file are refused before
	// they are queued, so waiting rows make progress; the bound is a safety
	// net (a manager's row stuck behind a long outage). Default 200.
	MaxDeferrals int
	// DeferralDelay is the first wait for a manager's row; it doubles up to
	// MaxDeferralDelay. Defaults 200ms and 5s.
	DeferralDelay    time.Duration
	MaxDeferralDelay time.Duration
}

func (c *ImportUserRowConfig) setDefaults() {
	if c.MaxDeferrals == 0 {
		c.MaxDeferrals = 200
	}
	if c.DeferralDelay == 0 {
		c.DeferralDelay = 200 * time.Millisecond
	}
	if c.MaxDeferralDelay == 0 {
		c.MaxDeferralDelay = 5 * time.Second
	}
}

// Validate reports every invalid field at once.
func (c ImportUserRowConfig) Validate() error {
	var errs []error
	if c.MaxDeferrals < 0 {
		errs = append(errs, errors.New("MaxDeferrals must not be negative"))
	}
	if c.DeferralDelay <= 0 || c.MaxDeferralDelay < c.DeferralDelay {
		errs = append(errs, errors.New("DeferralDelay must be positive and at most MaxDeferralDelay"))
	}
	return errors.Join(errs...)
}

// RowResult is what ImportUserRow did with a row.
type RowResult struct {
	Outcome Outcome
	// Duplicate is true when the row had an outcome already (a redelivered
	// message): nothing was done or counted again.
	Duplicate bool
}

// ImportUserRowHandler applies one import row: a chunk of one row, so a
// row alone (a retry, a parked row queued again) goes through exactly the
// decision and the write of a chunk.
type ImportUserRowHandler Handler[ImportUserRow, RowResult]

// importUserRowHandler is ImportUserRowHandler built by its constructor.
type importUserRowHandler struct {
	rows ImportUserRowsHandler
}

// NewImportUserRowHandler returns the handler.
func NewImportUserRowHandler(rows ImportUserRowsHandler) (ImportUserRowHandler, error) {
	if rows == nil {
		return nil, errors.New("NewImportUserRowHandler: nil dependency")
	}
	return importUserRowHandler{rows: rows}, nil
}

// Handle applies the row and records its outcome. A business-rule refusal is
// recorded as rejected (not an error: retrying cannot help); a row whose
// manager's row is still to come is a *DeferredError; any other error is
// transient and the row should be retried. Applying is idempotent per job and
// row: the command id is deterministic and the outcome is recorded once, in
// the command's transaction.
func (h importUserRowHandler) Handle(ctx context.Context, r ImportUserRow) (RowResult, error) {
	res, err := h.rows.Handle(ctx, ImportUserRows{Rows: []ImportUserRow{r}})
	switch {
	case err != nil:
		return RowResult{}, err
	case len(res.Deferred) == 1:
		return RowResult{}, &DeferredError{Delay: res.Deferred[0].Delay, Reason: res.Deferred[0].Reason}
	case len(res.Applied) != 1:
		return RowResult{}, fmt.Errorf("row %d: the chunk store returned %d outcomes", r.Row, len(res.Applied))
	}
	return res.Applied[0], nil
}

func rejected(row int, failures ...Failure) RowOutcome {
	for i := range failures {
		failures[i].Row = row
		failures[i].Message = CapText(failures[i].Message)
	}
	return RowOutcome{Outcome: OutcomeRejected, Failures: failures}
}
