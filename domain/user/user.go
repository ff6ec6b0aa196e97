package user

import (
	"fmt"
	"slices"
)

// User is the aggregate. Its state is unexported: it changes only by applying
// events, and is rebuilt from a stream with FromHistory.
type User struct {
	id       ID
	tenantID string
	email    string
	profile  Profile
	contacts Contacts
	status   Status
	version  int
	erased   bool
}

// Snapshot is a read-only copy of a user's state, for read models and ports.
type Snapshot struct {
	ID       ID
	TenantID string
	Email    string
	Profile
	Contacts
	Status  Status
	Version int
}

// UserName is the user's username: the one set, else the primary e-mail
// address. It is unique in the tenant, compared without regard to case.
func (s Snapshot) UserName() string {
	if s.Username != "" {
		return s.Username
	}
	return s.Email
}

// FromHistory rebuilds a user by folding its stream's events in order. The
// version is the number of events. It fails on a stream that does not start
// with Registered, which means a corrupt store.
func FromHistory(id ID, events []Event) (*User, error) {
	if len(events) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := events[0].(Registered); !ok {
		return nil, fmt.Errorf("stream %s starts with %s, not %s", id, events[0].EventType(), TypeRegistered)
	}
	u := &User{id: id}
	for _, e := range events {
		u.Apply(e)
	}
	return u, nil
}

// Apply folds one event into the state and bumps the version. It is the only
// place where state changes, so replay and the write path cannot disagree.
func (u *User) Apply(e Event) {
	switch e := e.(type) {
	case Registered:
		u.tenantID = e.TenantID
		u.email = e.Email
		u.profile = e.Profile
		u.contacts = e.Contacts.clone()
		// What the v1 upcaster fills in, for a Registered built in memory
		// the old way: the primary address is always in the list.
		if len(u.contacts.Emails) == 0 {
			u.contacts.Emails = []Email{{Value: e.Email, Primary: true}}
		}
		u.status = StatusActive
	case ProfileChanged:
		u.profile = u.profile.with(e.Changes)
		if e.Emails != nil {
			u.contacts.Emails = slices.Clone(e.Emails.New)
		}
		if e.PhoneNumbers != nil {
			u.contacts.PhoneNumbers = slices.Clone(e.PhoneNumbers.New)
		}
		if e.Addresses != nil {
			u.contacts.Addresses = slices.Clone(e.Addresses.New)
		}
	case EmailChanged:
		u.email = e.NewEmail
		u.contacts.Emails = replacePrimary(u.contacts.Emails, e.NewEmail)
	case Deactivated:
		u.status = StatusDeactivated
	case Reactivated:
		u.status = StatusActive
	case Deleted:
		u.status = StatusDeleted
	case Erased:
		u.applyErased()
	}
	u.version++
}

// ID returns the user's id.
func (u *User) ID() ID { return u.id }

// TenantID returns the id of the tenant the user belongs to.
func (u *User) TenantID() string { return u.tenantID }

// Version is the number of events in the user's stream.
func (u *User) Version() int { return u.version }

// Status returns the life-cycle state.
func (u *User) Status() Status { return u.status }

// Snapshot returns a copy of the state.
func (u *User) Snapshot() Snapshot {
	return Snapshot{ID: u.id, TenantID: u.tenantID, Email: u.email, Profile: u.profile, Contacts: u.contacts.clone(),
		Status: u.status, Version: u.version}
}
