package user

// TypeErased is the type of Erased.
const TypeErased = "user.erased.v1"

// Erased records that the person's personal data was erased at their
// request (GDPR Art. 17): their data key is gone, so the personal fields of
// every earlier event are unreadable, and the user is deleted (no seat,
// invisible, e-mail and external id free) for good. It carries nothing
// personal itself. Basis is why, in terms fit for an audit ("gdpr_art17",
// "retention", ...), never free text about the person.
type Erased struct {
	Basis string `json:"basis,omitempty"`
}

// EventType implements Event.
func (Erased) EventType() string { return TypeErased }

// MaxBasisLen bounds Erased.Basis.
const MaxBasisLen = 64

// Erase decides the erasure of the user's personal data: allowed whatever
// the status (a deleted user may still ask to be forgotten), once.
func (u *User) Erase(basis string) ([]Event, error) {
	// The basis is text like any other field: counted in characters, and
	// no control characters (a NUL made the event unstorable: a 500 found by
	// the contract run).
	var v validation
	validateText(&v, "basis", basis, false, MaxBasisLen)
	if err := v.err(); err != nil {
		return nil, err
	}
	if u.erased {
		return nil, nil
	}
	return []Event{Erased{Basis: basis}}, nil
}

// Erased reports whether the user's personal data was erased.
func (u *User) Erased() bool { return u.erased }

// applyErased forgets everything personal the state holds: what is left is
// what the events still say in clear (ids, tenant, version).
func (u *User) applyErased() {
	u.email, u.profile, u.contacts = "", Profile{}, Contacts{}
	u.status, u.erased = StatusDeleted, true
}
