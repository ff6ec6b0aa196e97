package command_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// reference applies import rows ONE AT A TIME through the command handlers
// (the unit of work's own transaction per command), finding each row's
// user in the read model: the importer as it was before chunks were
// decided in memory, kept as the oracle of the differential test.
type reference struct {
	register   command.RegisterUserHandler
	update     command.UpdateUserHandler
	deactivate command.DeactivateUserHandler
	users      *postgres.ImportUsers
	outcomes   map[int]command.RowOutcome
	maxDefer   int
}

// apply handles one row: its outcome, or deferred when its manager's row
// has none yet.
func (f *reference) apply(ctx context.Context, r command.ImportUserRow) (deferred bool, err error) {
	out, deferred, err := f.decide(ctx, r)
	if err != nil || deferred {
		return deferred, err
	}
	out.Row = r.Row
	f.outcomes[r.Row] = out
	return false, nil
}

func (f *reference) decide(ctx context.Context, r command.ImportUserRow) (command.RowOutcome, bool, error) {
	if len(r.Rejection) > 0 {
		return command.Rejected(r.Row, r.Rejection...), false, nil
	}
	env := command.Envelope{CommandID: command.CommandIDOf(r.JobID, r.Row), TenantID: r.TenantID,
		Actor: string(r.Source) + ":" + r.JobID, Source: r.Source, CorrelationID: r.JobID}
	if r.Kind == command.RowDeactivate {
		t, ok, err := f.users.UserByExternalID(ctx, r.TenantID, strings.TrimSpace(r.Fields[command.ColExternalID]))
		if err != nil || !ok {
			return command.RowOutcome{Outcome: command.OutcomeUnchanged, Detail: "no user has this external id"}, false, err
		}
		res, err := f.deactivate.Handle(ctx, command.DeactivateUser{Envelope: env, UserID: t.ID, Reason: "no longer listed by the HRIS"})
		return f.outcome(r, false, res, err)
	}
	ext := strings.TrimSpace(r.Fields[command.ColExternalID])
	email := user.NormalizeEmail(r.Fields[command.ColEmail])
	if ext == "" && email == "" {
		return command.Rejected(r.Row, command.Failure{Field: command.ColExternalID, Code: "required",
			Message: "an external id or an e-mail address is required"}), false, nil
	}
	target, found, err := f.find(ctx, r.TenantID, ext, email)
	if err != nil {
		return command.RowOutcome{}, false, err
	}
	if found && ext != "" && target.ExternalID != "" && target.ExternalID != ext {
		return command.Rejected(r.Row, command.Failure{Field: command.ColExternalID, Code: "external_id_mismatch",
			Message: fmt.Sprintf("the e-mail address belongs to a user with external id %q", target.ExternalID)}), false, nil
	}
	managerID, refusal, deferred, err := f.manager(ctx, r, ext)
	switch {
	case err != nil || deferred:
		return command.RowOutcome{}, deferred, err
	case refusal != nil:
		return command.Rejected(r.Row, *refusal), false, nil
	}
	if !found {
		res, err := f.register.Handle(ctx, command.RegisterUser{Envelope: env, Registration: command.RegistrationOf(r.Fields, managerID)})
		return f.outcome(r, true, res, err)
	}
	res, err := f.update.Handle(ctx, command.UpdateUser{Envelope: env, UserID: target.ID, Patch: command.PatchOf(r.Fields, managerID)})
	return f.outcome(r, false, res, err)
}

func (f *reference) find(ctx context.Context, tenantID, ext, email string) (command.ImportTarget, bool, error) {
	if ext != "" {
		if t, ok, err := f.users.UserByExternalID(ctx, tenantID, ext); err != nil || ok {
			return t, ok, err
		}
	}
	if email != "" {
		return f.users.UserByEmail(ctx, tenantID, email)
	}
	return command.ImportTarget{}, false, nil
}

func (f *reference) manager(ctx context.Context, r command.ImportUserRow, ext string) (*string, *command.Failure, bool, error) {
	m, present := r.Fields[command.ColManagerExternalID]
	if !present {
		return nil, nil, false, nil
	}
	if m = strings.TrimSpace(m); m == "" {
		return &m, nil, false, nil
	}
	refuse := func(code, format string, args ...any) (*string, *command.Failure, bool, error) {
		return nil, &command.Failure{Field: command.ColManagerExternalID, Code: code, Message: fmt.Sprintf(format, args...)}, false, nil
	}
	if m == ext || r.ManagerRow == r.Row {
		return refuse("self_reference", "a user cannot be their own manager")
	}
	t, ok, err := f.users.UserByExternalID(ctx, r.TenantID, m)
	if err != nil {
		return nil, nil, false, err
	}
	if ok {
		id := t.ID.String()
		return &id, nil, false, nil
	}
	if r.ManagerRow == 0 {
		return refuse("manager_not_found", "no user has the external id %q", m)
	}
	if o, done := f.outcomes[r.ManagerRow]; done {
		if o.Outcome == command.OutcomeRejected {
			return refuse("manager_not_imported", "the manager's row %d was not imported", r.ManagerRow)
		}
		return refuse("manager_not_found", "no user has the external id %q", m)
	}
	if r.Deferrals >= f.maxDefer {
		return refuse("manager_unresolved", "the manager's row %d was not imported in time", r.ManagerRow)
	}
	return nil, nil, true, nil
}

func (f *reference) outcome(r command.ImportUserRow, creating bool, res command.Result, err error) (command.RowOutcome, bool, error) {
	switch {
	case err == nil && res.Changed && creating:
		return command.RowOutcome{Outcome: command.OutcomeCreated, UserID: res.User.ID.String()}, false, nil
	case err == nil && res.Changed:
		return command.RowOutcome{Outcome: command.OutcomeUpdated, UserID: res.User.ID.String()}, false, nil
	case err == nil:
		return command.RowOutcome{Outcome: command.OutcomeUnchanged, UserID: res.User.ID.String()}, false, nil
	case command.IsRejection(err):
		return command.Rejected(r.Row, command.FailuresOf(r.Row, err)...), false, nil
	case errors.Is(err, context.Canceled):
		return command.RowOutcome{}, false, err
	}
	return command.RowOutcome{}, false, err
}
