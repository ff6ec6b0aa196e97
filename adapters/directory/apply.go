package directory

import (
	"time"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

// entry is one user_directory row, without its key.
type entry struct {
	Email       string
	GivenName   string
	FamilyName  string
	DisplayName string
	Department  string
	Status      string
	Version     int
	UpdatedAt   time.Time
}

// apply returns the entry after ev, given the current one (nil: no row), and
// whether ev changes it. Only the published event is used: a subscriber
// cannot look at the service's tables.
func apply(cur *entry, ev eventcontract.Event) (entry, outcome) {
	if cur != nil && ev.StreamVersion <= cur.Version {
		return *cur, outcomeStale
	}
	if cur == nil {
		reg, ok := ev.Data.(user.Registered)
		if !ok {
			return entry{}, outcomeNoUser
		}
		return entry{Email: reg.Email, GivenName: reg.GivenName, FamilyName: reg.FamilyName,
			DisplayName: reg.DisplayName, Department: reg.Department, Status: string(user.StatusActive),
			Version: ev.StreamVersion, UpdatedAt: ev.Time}, outcomeApplied
	}
	next := *cur
	switch d := ev.Data.(type) {
	case user.Registered:
		// A newer registration of an existing row cannot happen (it is
		// always version 1); treat it as the full state it carries.
		next.Email, next.GivenName, next.FamilyName = d.Email, d.GivenName, d.FamilyName
		next.DisplayName, next.Department, next.Status = d.DisplayName, d.Department, string(user.StatusActive)
	case user.ProfileChanged:
		for field, c := range d.Changes {
			if dst := next.field(field); dst != nil {
				*dst = c.New
			}
		}
	case user.EmailChanged:
		next.Email = d.NewEmail
	case user.Deactivated:
		next.Status = string(user.StatusDeactivated)
	case user.Reactivated:
		next.Status = string(user.StatusActive)
	case user.Deleted:
		// The row stays, as a tombstone: its version keeps a late, older
		// event from bringing the user back.
		next.Status = string(user.StatusDeleted)
	case user.Erased:
		// A tombstone as for Deleted, with nothing personal left in it.
		next = entry{Status: string(user.StatusDeleted)}
	}
	// Events this projection does not show (a title change) still move the
	// version, so the row says how far the user's stream has been read.
	next.Version, next.UpdatedAt = ev.StreamVersion, ev.Time
	return next, outcomeApplied
}

// field is the entry's column for a profile field, nil for fields the
// directory does not keep.
func (e *entry) field(name string) *string {
	switch name {
	case user.FieldGivenName:
		return &e.GivenName
	case user.FieldFamilyName:
		return &e.FamilyName
	case user.FieldDisplayName:
		return &e.DisplayName
	case user.FieldDepartment:
		return &e.Department
	}
	return nil
}
