package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ImportTarget is a user an import row may apply to, with the time of its
// last change (to keep an older source record from overwriting it).
type ImportTarget struct {
	user.Snapshot
	UpdatedAt time.Time
}

// ImportUserFinder finds the users import rows apply to.
type ImportUserFinder interface {
	UserByExternalID(ctx context.Context, tenantID, externalID string) (ImportTarget, bool, error)
	UserByEmail(ctx context.Context, tenantID, email string) (ImportTarget, bool, error)
	// CommandType returns the type of the command recorded under the id.
	CommandType(ctx context.Context, tenantID, commandID string) (string, bool, error)
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

// ImportUserRowHandler applies one import row through the same command
// handlers as the API: register when new, update when changed (matched by
// external id, else e-mail), nothing when unchanged.
type ImportUserRowHandler struct {
	register   RegisterUserHandler
	update     UpdateUserHandler
	deactivate DeactivateUserHandler
	users      ImportUserFinder
	rows       ImportRowStore
	cfg        ImportUserRowConfig
}

// NewImportUserRowHandler returns the handler. The command handlers should be
// the decorated ones the API uses.
func NewImportUserRowHandler(register RegisterUserHandler, update UpdateUserHandler, deactivate DeactivateUserHandler,
	users ImportUserFinder, rows ImportRowStore, cfg ImportUserRowConfig) (ImportUserRowHandler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return ImportUserRowHandler{}, fmt.Errorf("NewImportUserRowHandler: %w", err)
	}
	if register == nil || update == nil || deactivate == nil || users == nil || rows == nil {
		return ImportUserRowHandler{}, errors.New("NewImportUserRowHandler: nil dependency")
	}
	return ImportUserRowHandler{register: register, update: update, deactivate: deactivate, users: users, rows: rows, cfg: cfg}, nil
}

// Handle applies the row and records its outcome. A business-rule refusal is
// recorded as rejected (not an error: retrying cannot help); a row whose
// manager's row is still to come is a *DeferredError; any other error is
// transient and the row should be retried. Applying is idempotent per job and
// row: the command id is deterministic and the outcome is recorded once.
func (h ImportUserRowHandler) Handle(ctx context.Context, r ImportUserRow) (RowResult, error) {
	if r.JobID == "" || r.TenantID == "" || r.Row <= 0 {
		return RowResult{}, fmt.Errorf("%w: import row without job, tenant or row number", ErrInvalidEnvelope)
	}
	if o, ok, err := h.rows.RowOutcome(ctx, r.JobID, r.Row); err != nil {
		return RowResult{}, err
	} else if ok && o != OutcomeParked {
		// Recording it again changes nothing but finishes the job if the
		// first delivery stopped between recording and finishing.
		if _, err := h.rows.RecordRowOutcome(ctx, RowOutcome{TenantID: r.TenantID, JobID: r.JobID, Row: r.Row, Outcome: o}); err != nil {
			return RowResult{}, err
		}
		return RowResult{Outcome: o, Duplicate: true}, nil
	}
	out, err := h.apply(ctx, r)
	if err != nil {
		return RowResult{}, err
	}
	out.TenantID, out.JobID, out.Row = r.TenantID, r.JobID, r.Row
	recorded, err := h.rows.RecordRowOutcome(ctx, out)
	if err != nil {
		return RowResult{}, fmt.Errorf("record outcome of row %d: %w", r.Row, err)
	}
	return RowResult{Outcome: out.Outcome, Duplicate: !recorded}, nil
}

func (h ImportUserRowHandler) apply(ctx context.Context, r ImportUserRow) (RowOutcome, error) {
	if len(r.Rejection) > 0 {
		return rejected(r.Row, r.Rejection...), nil
	}
	switch r.Kind {
	case "", RowUpsert:
		return h.upsert(ctx, r)
	case RowDeactivate:
		return h.deactivateRow(ctx, r)
	}
	return rejected(r.Row, Failure{Code: "invalid_row", Message: fmt.Sprintf("unknown row kind %q", r.Kind)}), nil
}

// maxConflicts bounds the re-reads of a row whose user changed between the
// lookup and the write (only rows with a source time carry an expected version).
const maxConflicts = 3

func (h ImportUserRowHandler) upsert(ctx context.Context, r ImportUserRow) (RowOutcome, error) {
	ext := strings.TrimSpace(r.Fields[ColExternalID])
	email := user.NormalizeEmail(r.Fields[ColEmail])
	if ext == "" && email == "" {
		return rejected(r.Row, Failure{Field: ColExternalID, Code: "required",
			Message: "an external id or an e-mail address is required"}), nil
	}
	for attempt := 1; ; attempt++ {
		target, found, err := h.find(ctx, r.TenantID, ext, email)
		if err != nil {
			return RowOutcome{}, err
		}
		if found && ext != "" && target.ExternalID != "" && target.ExternalID != ext {
			return rejected(r.Row, Failure{Field: ColExternalID, Code: "external_id_mismatch",
				Message: fmt.Sprintf("the e-mail address belongs to a user with external id %q", target.ExternalID)}), nil
		}
		managerID, refusal, err := h.resolveManager(ctx, r, ext)
		if err != nil {
			return RowOutcome{}, err
		}
		if refusal != nil {
			return rejected(r.Row, *refusal), nil
		}
		env := Envelope{CommandID: commandID(r.JobID, r.Row), TenantID: r.TenantID,
			Actor: string(r.Source) + ":" + r.JobID, Source: r.Source, CorrelationID: r.JobID}
		if !found {
			res, err := h.register.Handle(ctx, RegisterUser{Envelope: env, Registration: registration(r.Fields, managerID)})
			return h.outcome(ctx, r, true, res, err)
		}
		p := patch(r.Fields, managerID)
		if !r.SourceModifiedAt.IsZero() {
			if target.UpdatedAt.After(r.SourceModifiedAt) {
				return stale(r, target, p), nil
			}
			// The staleness check holds only if nobody writes in between.
			v := target.Version
			env.ExpectedVersion = &v
		}
		res, err := h.update.Handle(ctx, UpdateUser{Envelope: env, UserID: target.ID, Patch: p})
		if errors.Is(err, user.ErrVersionConflict) && attempt < maxConflicts {
			continue
		}
		return h.outcome(ctx, r, false, res, err)
	}
}

func (h ImportUserRowHandler) find(ctx context.Context, tenantID, ext, email string) (ImportTarget, bool, error) {
	if ext != "" {
		t, ok, err := h.users.UserByExternalID(ctx, tenantID, ext)
		if err != nil || ok {
			return t, ok, err
		}
	}
	if email != "" {
		return h.users.UserByEmail(ctx, tenantID, email)
	}
	return ImportTarget{}, false, nil
}

func (h ImportUserRowHandler) deactivateRow(ctx context.Context, r ImportUserRow) (RowOutcome, error) {
	target, found, err := h.users.UserByExternalID(ctx, r.TenantID, strings.TrimSpace(r.Fields[ColExternalID]))
	if err != nil {
		return RowOutcome{}, err
	}
	if !found {
		return RowOutcome{Outcome: OutcomeUnchanged, Detail: "no user has this external id"}, nil
	}
	env := Envelope{CommandID: commandID(r.JobID, r.Row), TenantID: r.TenantID,
		Actor: string(r.Source) + ":" + r.JobID, Source: r.Source, CorrelationID: r.JobID}
	res, err := h.deactivate.Handle(ctx, DeactivateUser{Envelope: env, UserID: target.ID, Reason: "no longer listed by the HRIS"})
	return h.outcome(ctx, r, false, res, err)
}

// outcome classifies a command's result. A reused idempotency key means an
// earlier delivery of this very row committed a different command (it
// registered the user that this delivery found and would update): the
// recorded command says what that was.
func (h ImportUserRowHandler) outcome(ctx context.Context, r ImportUserRow, creating bool, res Result, err error) (RowOutcome, error) {
	switch {
	case err == nil && (res.Changed || res.Replayed):
		o := OutcomeUpdated
		if creating {
			o = OutcomeCreated
		}
		return RowOutcome{Outcome: o, UserID: res.User.ID.String()}, nil
	case err == nil:
		return RowOutcome{Outcome: OutcomeUnchanged, UserID: res.User.ID.String()}, nil
	case errors.Is(err, ErrIdempotencyKeyReused):
		typ, ok, lerr := h.users.CommandType(ctx, r.TenantID, commandID(r.JobID, r.Row))
		if lerr != nil || !ok {
			return RowOutcome{}, errors.Join(err, lerr)
		}
		if typ == "RegisterUser" {
			return RowOutcome{Outcome: OutcomeCreated, Detail: "applied by an earlier delivery"}, nil
		}
		return RowOutcome{Outcome: OutcomeUpdated, Detail: "applied by an earlier delivery"}, nil
	case IsRejection(err):
		return rejected(r.Row, failuresOf(r.Row, err)...), nil
	}
	return RowOutcome{}, err
}

func rejected(row int, failures ...Failure) RowOutcome {
	for i := range failures {
		failures[i].Row = row
	}
	return RowOutcome{Outcome: OutcomeRejected, Failures: failures}
}
