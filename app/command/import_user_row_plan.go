package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// keptWhenEmpty are the columns whose empty cell means "leave as is" on an
// update (they cannot be cleared); an empty cell of any other column clears it.
var keptWhenEmpty = map[string]bool{ColExternalID: true, ColEmail: true, ColGivenName: true, ColFamilyName: true, ColStatus: true}

func registration(f map[string]string, managerID *string) user.Registration {
	r := user.Registration{
		Email:  f[ColEmail],
		Status: user.Status(strings.ToLower(f[ColStatus])),
		Profile: user.Profile{
			GivenName: f[ColGivenName], FamilyName: f[ColFamilyName], DisplayName: f[ColDisplayName],
			Department: f[ColDepartment], Title: f[ColTitle], ExternalID: strings.TrimSpace(f[ColExternalID]),
			Locale: f[ColLocale], TimeZone: f[ColTimeZone],
		},
	}
	if managerID != nil {
		r.Profile.ManagerID = *managerID
	}
	return r
}

// patch sets every column the row has, so the same row always makes the same
// patch (and command payload) whatever the user's state: change detection is
// the domain's, and a redelivered row replays instead of clashing.
func patch(f map[string]string, managerID *string) user.Patch {
	field := func(col string) *string {
		v, ok := f[col]
		if !ok || (v == "" && keptWhenEmpty[col]) {
			return nil
		}
		return &v
	}
	p := user.Patch{
		Email: field(ColEmail), GivenName: field(ColGivenName), FamilyName: field(ColFamilyName),
		DisplayName: field(ColDisplayName), Department: field(ColDepartment), Title: field(ColTitle),
		ExternalID: field(ColExternalID), Locale: field(ColLocale), TimeZone: field(ColTimeZone),
		ManagerID: managerID,
	}
	if s := field(ColStatus); s != nil {
		st := user.Status(strings.ToLower(*s))
		p.Status = &st
	}
	return p
}

// stale answers a source record older than the user's last change: skipped
// if it would change something (the newer change wins), unchanged otherwise.
func stale(r ImportUserRow, t ImportTarget, p user.Patch) RowOutcome {
	s := t.Snapshot
	differs := func(v *string, cur string) bool { return v != nil && *v != cur }
	changes := differs(p.GivenName, s.GivenName) || differs(p.FamilyName, s.FamilyName) ||
		differs(p.DisplayName, s.DisplayName) || differs(p.Department, s.Department) || differs(p.Title, s.Title) ||
		differs(p.ExternalID, s.ExternalID) || differs(p.Locale, s.Locale) || differs(p.TimeZone, s.TimeZone) ||
		differs(p.ManagerID, s.ManagerID) || (p.Email != nil && user.NormalizeEmail(*p.Email) != s.Email) ||
		(p.Status != nil && *p.Status != s.Status)
	if !changes {
		return RowOutcome{Outcome: OutcomeUnchanged, UserID: s.ID.String()}
	}
	return RowOutcome{Outcome: OutcomeSkipped, UserID: s.ID.String(), Detail: fmt.Sprintf(
		"the user changed at %s, after the source's record (%s)", t.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		r.SourceModifiedAt.UTC().Format("2006-01-02T15:04:05Z"))}
}

// resolveManager turns the manager's external id into a user id: nil leaves
// the manager as it is, "" clears it. A manager whose row in the same job has
// not been imported yet defers the row (*DeferredError) a bounded number of
// times; anything else unresolvable is a refusal.
func (h ImportUserRowHandler) resolveManager(ctx context.Context, r ImportUserRow, ext string) (*string, *Failure, error) {
	m, present := r.Fields[ColManagerExternalID]
	if !present {
		return nil, nil, nil
	}
	m = strings.TrimSpace(m)
	if m == "" {
		return &m, nil, nil
	}
	refuse := func(code, format string, args ...any) (*string, *Failure, error) {
		return nil, &Failure{Field: ColManagerExternalID, Code: code, Message: fmt.Sprintf(format, args...)}, nil
	}
	if m == ext || r.ManagerRow == r.Row {
		return refuse("self_reference", "a user cannot be their own manager")
	}
	lookup := func() (*string, bool, error) {
		t, ok, err := h.users.UserByExternalID(ctx, r.TenantID, m)
		if err != nil || !ok {
			return nil, false, err
		}
		id := t.ID.String()
		return &id, true, nil
	}
	if id, ok, err := lookup(); err != nil || ok {
		return id, nil, err
	}
	if r.ManagerRow == 0 {
		return refuse("manager_not_found", "no user has the external id %q", m)
	}
	o, done, err := h.rows.RowOutcome(ctx, r.JobID, r.ManagerRow)
	if err != nil {
		return nil, nil, err
	}
	if done {
		if o == OutcomeRejected || o == OutcomeParked {
			return refuse("manager_not_imported", "the manager's row %d was not imported", r.ManagerRow)
		}
		// The manager's row finished between the lookup and now.
		if id, ok, err := lookup(); err != nil || ok {
			return id, nil, err
		}
		return refuse("manager_not_found", "no user has the external id %q", m)
	}
	if r.Deferrals >= h.cfg.MaxDeferrals {
		return refuse("manager_unresolved", "the manager's row %d was not imported in time", r.ManagerRow)
	}
	delay := h.cfg.DeferralDelay << min(r.Deferrals, 16)
	return nil, nil, &DeferredError{Delay: min(delay, h.cfg.MaxDeferralDelay),
		Reason: fmt.Sprintf("waiting for the manager's row %d", r.ManagerRow)}
}
