package user

// ManagerLookup returns the chain of managers above the given user, nearest
// first, or ErrManagerNotFound when that user is not in the tenant. The
// application supplies it (from the read model, inside the command's
// transaction); the domain calls it only when a manager is being set.
type ManagerLookup func(id ID) (chain []ID, err error)

// Registration is the input of Register.
type Registration struct {
	Email   string
	Profile Profile
	// Status is the initial status; empty means active. A user registered as
	// deactivated (e.g. a leaver in an HR export) never takes a seat.
	Status Status
}

// Register decides the events that create user id in the tenant. It validates every field
// and the manager; uniqueness and seats are enforced by the store.
func Register(id ID, tenantID string, r Registration, managers ManagerLookup) ([]Event, error) {
	email := NormalizeEmail(r.Email)
	r.Profile.ManagerID = canonicalID(r.Profile.ManagerID)
	status := r.Status
	if status == "" {
		status = StatusActive
	}
	var v validation
	validateEmail(&v, email)
	r.Profile.validate(&v, id)
	if !status.Valid() {
		v.add(FieldStatus, "invalid_value", "must be active or deactivated")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkManager(id, r.Profile.ManagerID, managers); err != nil {
		return nil, err
	}
	events := []Event{Registered{TenantID: tenantID, Email: email, Profile: r.Profile}}
	if status == StatusDeactivated {
		events = append(events, Deactivated{Cause: CauseRegisteredInactive, Reason: "registered as deactivated"})
	}
	return events, nil
}

// Patch is a partial update: nil fields are left as they are; a pointer to ""
// clears an optional field.
type Patch struct {
	Email       *string
	GivenName   *string
	FamilyName  *string
	DisplayName *string
	Department  *string
	Title       *string
	ManagerID   *string
	ExternalID  *string
	Locale      *string
	TimeZone    *string
	Status      *Status
}

// Update decides the events that bring the user to the patched state: at most
// one EmailChanged, one ProfileChanged (only the changed fields) and one status
// event, in that order. A patch that changes nothing decides no events.
func (u *User) Update(p Patch, managers ManagerLookup) ([]Event, error) {
	if u.status == StatusDeleted {
		return nil, ErrDeleted
	}
	next := u.profile
	for _, f := range []struct {
		dst *string
		src *string
	}{
		{&next.GivenName, p.GivenName}, {&next.FamilyName, p.FamilyName},
		{&next.DisplayName, p.DisplayName}, {&next.Department, p.Department},
		{&next.Title, p.Title}, {&next.ManagerID, p.ManagerID},
		{&next.ExternalID, p.ExternalID}, {&next.Locale, p.Locale}, {&next.TimeZone, p.TimeZone},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	next.ManagerID = canonicalID(next.ManagerID)
	email := u.email
	if p.Email != nil {
		email = NormalizeEmail(*p.Email)
	}
	status := u.status
	if p.Status != nil {
		status = *p.Status
	}

	var v validation
	validateEmail(&v, email)
	next.validate(&v, u.id)
	if !status.Valid() {
		v.add(FieldStatus, "invalid_value", "must be active or deactivated")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if next.ManagerID != u.profile.ManagerID {
		if err := checkManager(u.id, next.ManagerID, managers); err != nil {
			return nil, err
		}
	}

	var events []Event
	if email != u.email {
		events = append(events, EmailChanged{OldEmail: u.email, NewEmail: email})
	}
	if changes := u.profile.diff(next); changes != nil {
		events = append(events, ProfileChanged{Changes: changes})
	}
	if status != u.status {
		events = append(events, statusEvent(status))
	}
	return events, nil
}

// Deactivate decides the user's deactivation; none if already deactivated.
func (u *User) Deactivate(reason string) ([]Event, error) {
	switch u.status {
	case StatusDeleted:
		return nil, ErrDeleted
	case StatusDeactivated:
		return nil, nil
	}
	return []Event{Deactivated{Cause: CauseRequested, Reason: reason}}, nil
}

// Reactivate decides the user's reactivation; none if already active.
func (u *User) Reactivate() ([]Event, error) {
	switch u.status {
	case StatusDeleted:
		return nil, ErrDeleted
	case StatusActive:
		return nil, nil
	}
	return []Event{Reactivated{}}, nil
}

// Delete decides the user's deletion. It is one event whatever the status
// (an active user's seat is freed by it, see SeatDelta), and final: a
// deleted user cannot be deleted again, nor changed.
func (u *User) Delete(reason string) ([]Event, error) {
	if u.status == StatusDeleted {
		return nil, ErrDeleted
	}
	return []Event{Deleted{Reason: reason}}, nil
}

func statusEvent(s Status) Event {
	if s == StatusDeactivated {
		return Deactivated{Cause: CauseStatusChanged}
	}
	return Reactivated{}
}

// canonicalID spells a UUID the one way the store gives it back, so a client
// echoing what it read ("ABC..." vs "abc...") changes nothing. Anything that
// does not parse is left for validation to reject.
func canonicalID(s string) string {
	if id, err := ParseID(s); err == nil {
		return id.String()
	}
	return s
}

// checkManager verifies that managerID (if set) is a user of the tenant and
// that making them self's manager closes no loop.
func checkManager(self ID, managerID string, managers ManagerLookup) error {
	if managerID == "" {
		return nil
	}
	mid, err := ParseID(managerID)
	if err != nil {
		return err // validate already rejected this; kept for safety
	}
	chain, err := managers(mid)
	if err != nil {
		return err
	}
	for _, above := range chain {
		if above == self {
			return ErrManagerCycle
		}
	}
	return nil
}
