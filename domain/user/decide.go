package user

import "slices"

// ManagerLookup returns the chain of managers above the given user, nearest
// first, or ErrManagerNotFound when that user is not in the tenant. The
// application supplies it (from the read model, inside the command's
// transaction); the domain calls it only when a manager is being set.
type ManagerLookup func(id ID) (chain []ID, err error)

// Registration is the input of Register.
type Registration struct {
	// Email is the primary address. It may be left empty when Contacts
	// lists the addresses: then the one marked primary (else the first) is.
	Email string
	// Profile.Username may be left empty: the username is then the primary
	// address, whatever it becomes, until one is set.
	Profile  Profile
	Contacts Contacts
	// Status is the initial status; empty means active. A user registered as
	// deactivated (e.g. a leaver in an HR export) never takes a seat.
	Status Status
}

// Register decides the events that create user id in the tenant. It validates every field
// and the manager; uniqueness and seats are enforced by the store.
func Register(id ID, tenantID string, r Registration, managers ManagerLookup) ([]Event, error) {
	email, emails := normalizeEmails(NormalizeEmail(r.Email), r.Contacts.Emails)
	contacts := r.Contacts.normalize()
	contacts.Emails = emails
	r.Profile.ManagerID = canonicalID(r.Profile.ManagerID)
	status := r.Status
	if status == "" {
		status = StatusActive
	}
	var v validation
	validateEmail(&v, FieldEmail, email)
	r.Profile.validate(&v, id)
	contacts.validate(&v)
	if !status.Valid() {
		v.add(FieldStatus, "invalid_value", "must be active or deactivated")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkManager(id, r.Profile.ManagerID, managers); err != nil {
		return nil, err
	}
	events := []Event{Registered{TenantID: tenantID, Email: email, Profile: r.Profile, Contacts: contacts}}
	if status == StatusDeactivated {
		events = append(events, Deactivated{Cause: CauseRegisteredInactive, Reason: "registered as deactivated"})
	}
	return events, nil
}

// Patch is a partial update: nil fields are left as they are; a pointer to ""
// clears an optional field.
//
// Email sets the primary address; Emails, when set, replaces the whole list
// (the primary is then Email if set, else the entry marked primary, else the
// first). Email alone keeps the list and moves its primary entry.
type Patch struct {
	Email             *string
	Username          *string
	GivenName         *string
	FamilyName        *string
	MiddleName        *string
	HonorificPrefix   *string
	HonorificSuffix   *string
	FormattedName     *string
	DisplayName       *string
	NickName          *string
	ProfileURL        *string
	UserType          *string
	Department        *string
	Title             *string
	ManagerID         *string
	ExternalID        *string
	EmployeeNumber    *string
	CostCenter        *string
	Organization      *string
	Division          *string
	PreferredLanguage *string
	Locale            *string
	TimeZone          *string
	Emails            *[]Email
	PhoneNumbers      *[]PhoneNumber
	Addresses         *[]Address
	Status            *Status
}

// fields pairs the patch's single-valued fields with the profile's.
func (p Patch) fields(next *Profile) []struct{ dst, src *string } {
	return []struct{ dst, src *string }{
		{&next.Username, p.Username}, {&next.GivenName, p.GivenName}, {&next.FamilyName, p.FamilyName},
		{&next.MiddleName, p.MiddleName}, {&next.HonorificPrefix, p.HonorificPrefix},
		{&next.HonorificSuffix, p.HonorificSuffix}, {&next.FormattedName, p.FormattedName},
		{&next.DisplayName, p.DisplayName}, {&next.NickName, p.NickName}, {&next.ProfileURL, p.ProfileURL},
		{&next.UserType, p.UserType}, {&next.Department, p.Department}, {&next.Title, p.Title},
		{&next.ManagerID, p.ManagerID}, {&next.ExternalID, p.ExternalID},
		{&next.EmployeeNumber, p.EmployeeNumber}, {&next.CostCenter, p.CostCenter},
		{&next.Organization, p.Organization}, {&next.Division, p.Division},
		{&next.PreferredLanguage, p.PreferredLanguage}, {&next.Locale, p.Locale}, {&next.TimeZone, p.TimeZone},
	}
}

// Update decides the events that bring the user to the patched state: at most
// one EmailChanged, one ProfileChanged (only the changed fields) and one status
// event, in that order. A patch that changes nothing decides no events.
func (u *User) Update(p Patch, managers ManagerLookup) ([]Event, error) {
	if u.status == StatusDeleted {
		return nil, ErrDeleted
	}
	next := u.profile
	for _, f := range p.fields(&next) {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	next.ManagerID = canonicalID(next.ManagerID)
	email := u.email
	if p.Email != nil {
		email = NormalizeEmail(*p.Email)
	}
	emails := u.contacts.Emails
	if email != u.email {
		emails = replacePrimary(u.contacts.Emails, email)
	}
	if p.Emails != nil {
		primary := ""
		if p.Email != nil {
			primary = email
		}
		email, emails = normalizeEmails(primary, *p.Emails)
	}
	contacts := Contacts{Emails: emails, PhoneNumbers: u.contacts.PhoneNumbers, Addresses: u.contacts.Addresses}
	if p.PhoneNumbers != nil {
		contacts.PhoneNumbers = *p.PhoneNumbers
	}
	if p.Addresses != nil {
		contacts.Addresses = *p.Addresses
	}
	contacts = contacts.normalize()
	status := u.status
	if p.Status != nil {
		status = *p.Status
	}

	var v validation
	validateEmail(&v, FieldEmail, email)
	next.validate(&v, u.id)
	contacts.validate(&v)
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
	// The list as the EmailChanged alone leaves it: the rest is a list change.
	moved := u.contacts.Emails
	if email != u.email {
		moved = replacePrimary(u.contacts.Emails, email)
	}
	pc := ProfileChanged{Changes: u.profile.diff(next)}
	if !slices.Equal(moved, contacts.Emails) {
		pc.Emails = &ListChange[Email]{Old: u.contacts.Emails, New: contacts.Emails}
	}
	if !slices.Equal(u.contacts.PhoneNumbers, contacts.PhoneNumbers) {
		pc.PhoneNumbers = &ListChange[PhoneNumber]{Old: u.contacts.PhoneNumbers, New: contacts.PhoneNumbers}
	}
	if !slices.Equal(u.contacts.Addresses, contacts.Addresses) {
		pc.Addresses = &ListChange[Address]{Old: u.contacts.Addresses, New: contacts.Addresses}
	}
	if pc.Changes != nil || pc.Emails != nil || pc.PhoneNumbers != nil || pc.Addresses != nil {
		events = append(events, pc)
	}
	if status != u.status {
		events = append(events, statusEvent(status))
	}
	return events, nil
}

// Deactivate decides the user's deactivation; none if already deactivated.
// The reason is free text of at most MaxReasonLen characters.
func (u *User) Deactivate(reason string) ([]Event, error) {
	if err := validateReason(reason); err != nil {
		return nil, err
	}
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
	if err := validateReason(reason); err != nil {
		return nil, err
	}
	if u.status == StatusDeleted {
		return nil, ErrDeleted
	}
	return []Event{Deleted{Reason: reason}}, nil
}

// ValidateReason checks the free-text reason of a deactivation or deletion;
// ports may call it to refuse one before doing anything else.
func ValidateReason(reason string) error { return validateReason(reason) }

func validateReason(reason string) error {
	var v validation
	validateText(&v, FieldReason, reason, false, MaxReasonLen)
	return v.err()
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
