package user

import (
	"encoding/json"
	"fmt"
)

// Event types, versioned: a new shape of an event is a new type string plus an
// upcaster from the old one, never an edit of stored history.
const (
	TypeRegistered     = "user.registered.v2"
	TypeProfileChanged = "user.profile_changed.v2"
	TypeEmailChanged   = "user.email_changed.v1"
	TypeDeactivated    = "user.deactivated.v2"
	TypeReactivated    = "user.reactivated.v1"
	TypeDeleted        = "user.deleted.v1"
)

// TypeDeactivatedV1 is the first shape of Deactivated, with a free-text
// reason only. It is no longer written; stored ones are upcast to
// TypeDeactivated on every read (see EventUpcasters).
const TypeDeactivatedV1 = "user.deactivated.v1"

// TypeRegisteredV1 and TypeProfileChangedV1 are the shapes from before the
// profile had a username, several e-mail addresses, phone numbers,
// addresses and the enterprise fields. They are no longer written; stored
// ones are upcast on every read (see EventUpcasters).
const (
	TypeRegisteredV1     = "user.registered.v1"
	TypeProfileChangedV1 = "user.profile_changed.v1"
)

// Event is a fact about one user, in the past tense.
type Event interface {
	// EventType is the versioned type string, e.g. "user.registered.v1".
	EventType() string
}

// Registered is the first event of every user's stream. Email is the
// primary address, also listed in Emails.
type Registered struct {
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	Profile
	Contacts
}

// ProfileChanged carries only what changed: the single-valued profile fields,
// each with its old and new value (empty string: not set), and the whole old
// and new list of each multi-valued attribute that changed. A change of the
// primary e-mail address is an EmailChanged of its own (before this event
// when both happen), which moves the primary entry of the list; Emails is
// here only when the list changed beyond that.
type ProfileChanged struct {
	Changes      map[string]Change        `json:"changes,omitempty"`
	Emails       *ListChange[Email]       `json:"emails,omitempty"`
	PhoneNumbers *ListChange[PhoneNumber] `json:"phone_numbers,omitempty"`
	Addresses    *ListChange[Address]     `json:"addresses,omitempty"`
}

// Change is one field's old and new value.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// EmailChanged records a new e-mail address.
type EmailChanged struct {
	OldEmail string `json:"old_email"`
	NewEmail string `json:"new_email"`
}

// Deactivated records that the user lost access and freed their seat. Cause
// says how it came about, in terms a subscriber can act on; Reason is the
// free text a person gave, if any.
type Deactivated struct {
	Cause  DeactivationCause `json:"cause"`
	Reason string            `json:"reason,omitempty"`
}

// DeactivationCause is how a deactivation came about.
type DeactivationCause string

// The causes. CauseUnspecified is what a v1 event (which did not say)
// becomes when upcast; nothing decides it any more.
const (
	// CauseRequested: someone asked for this user's deactivation (the admin
	// API, an import or HRIS sync that no longer lists the user).
	CauseRequested DeactivationCause = "requested"
	// CauseStatusChanged: an update set the status to deactivated.
	CauseStatusChanged DeactivationCause = "status_changed"
	// CauseRegisteredInactive: the user was registered as deactivated.
	CauseRegisteredInactive DeactivationCause = "registered_inactive"
	// CauseUnspecified: recorded before causes were (user.deactivated.v1).
	CauseUnspecified DeactivationCause = "unspecified"
)

// Reactivated records that a deactivated user is active again.
type Reactivated struct{}

// Deleted records that the user was removed: they no longer count as a user
// of the tenant (no seat, invisible to reads, e-mail and external id free for
// someone else), and no command can change them again. Their history stays.
type Deleted struct {
	Reason string `json:"reason,omitempty"`
}

// EventType implements Event.
func (Registered) EventType() string { return TypeRegistered }

// EventType implements Event.
func (ProfileChanged) EventType() string { return TypeProfileChanged }

// EventType implements Event.
func (EmailChanged) EventType() string { return TypeEmailChanged }

// EventType implements Event.
func (Deactivated) EventType() string { return TypeDeactivated }

// EventType implements Event.
func (Reactivated) EventType() string { return TypeReactivated }

// EventType implements Event.
func (Deleted) EventType() string { return TypeDeleted }

// ErrUnknownEventType is returned by DecodeEvent for a type it does not know.
// It is transient: during a rolling upgrade a newer release may have written
// it, and a retry on a replica that knows it succeeds.
var ErrUnknownEventType = newError(kindTransient, "unknown_event_type", "unknown event type")

// DecodeEvent turns a stored event's type and JSON data back into its value.
// Old versions must have been upcast to a current type before this point.
func DecodeEvent(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeRegistered:
		if e, ok := fastRegistered(data); ok {
			return e, nil
		}
		return decodeAs[Registered](data)
	case TypeProfileChanged:
		if e, ok := fastProfileChanged(data); ok {
			return e, nil
		}
		return decodeAs[ProfileChanged](data)
	case TypeEmailChanged:
		return decodeAs[EmailChanged](data)
	case TypeDeactivated:
		return decodeAs[Deactivated](data)
	case TypeReactivated:
		return decodeAs[Reactivated](data)
	case TypeDeleted:
		return decodeAs[Deleted](data)
	case TypeErased:
		return decodeAs[Erased](data)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, eventType)
}

func decodeAs[E Event](data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", e.EventType(), err)
	}
	return e, nil
}

// SeatDelta is the change in occupied licence seats that events cause to a
// user whose status was from ("" for a user not registered yet): an active
// user occupies one seat, any other status none. It folds the statuses rather
// than counting event types, because a deletion frees a seat only when the
// deleted user was active.
func SeatDelta(from Status, events []Event) int {
	status := from
	for _, e := range events {
		switch e.(type) {
		case Registered, Reactivated:
			status = StatusActive
		case Deactivated:
			status = StatusDeactivated
		case Deleted, Erased:
			status = StatusDeleted
		}
	}
	return status.seats() - from.seats()
}
