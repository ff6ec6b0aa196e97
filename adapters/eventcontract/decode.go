package eventcontract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// Event is one decoded event: the envelope's attributes and, for a type this
// package knows, the typed data.
type Event struct {
	// Envelope holds every attribute exactly as published: Type may be an
	// older version than Data's, and Envelope.Data (also RawData) is the
	// data as published, kept for known and unknown types alike.
	Envelope
	// Data is the typed data, always of the current version: an older
	// version is upcast (user.deactivated.v1 becomes a user.Deactivated with
	// Cause "unspecified"). One of user.Registered, user.ProfileChanged,
	// user.EmailChanged, user.Deactivated or user.Reactivated; nil when the
	// type is unknown or the data did not decode.
	Data user.Event
}

// RawData is the event's data as published.
func (e Event) RawData() json.RawMessage { return e.Envelope.Data }

// The kinds of Decode failure, for errors.Is. Only ErrUnknownType leaves a
// complete envelope behind.
var (
	// ErrMalformed: the payload is not a JSON object of the envelope's shape.
	ErrMalformed = errors.New("eventcontract: not a JSON CloudEvents envelope")
	// ErrInvalidEnvelope: required attributes are missing or wrong.
	ErrInvalidEnvelope = errors.New("eventcontract: invalid envelope")
	// ErrUnknownType: the envelope is complete but its type (or its version)
	// is not one this package decodes. Skip the event, or upgrade.
	ErrUnknownType = errors.New("eventcontract: unknown event type")
	// ErrInvalidData: the type is known but its data does not decode.
	ErrInvalidData = errors.New("eventcontract: data does not match the event type")
	// ErrOpenerUnavailable: the Opener could not read the event's key for
	// now (its key store did not answer). The event is fine: retry it later,
	// never skip it.
	ErrOpenerUnavailable = errors.New("eventcontract: the opener's key store is unavailable")
)

// UnknownTypeError says which type was not known, and whether it is a newer
// version of a known one (the subscriber is older than the producer).
type UnknownTypeError struct {
	Type string
	// KnownVersion is the newest version of the same event this package
	// knows, when the type is a newer version of it; 0 otherwise.
	KnownVersion int
}

func (e *UnknownTypeError) Error() string {
	if e.KnownVersion > 0 {
		return fmt.Sprintf("%v: %q is newer than the v%d this decoder knows", ErrUnknownType, e.Type, e.KnownVersion)
	}
	return fmt.Sprintf("%v: %q", ErrUnknownType, e.Type)
}

// Is makes errors.Is(err, ErrUnknownType) hold.
func (e *UnknownTypeError) Is(target error) bool { return target == ErrUnknownType }

// Decode parses one published event (a Kafka record's value). It fails with
// ErrMalformed or ErrInvalidEnvelope when the payload is not a usable
// envelope, and with ErrInvalidData when a known type's data is broken.
//
// An unknown type, including a newer version such as user.registered.v2,
// returns the complete envelope (with RawData) and an error that
// errors.Is(err, ErrUnknownType): a consumer should log or skip it, not stop.
//
// An older version of a known type is upcast with the domain's upcasters, so
// callers only ever see current types. Unknown data fields are ignored
// (tolerant reader); a new shape of an event is always a new type version.
func Decode(payload []byte) (Event, error) {
	return decode(payload, nil)
}

// Opener decrypts the sealed personal fields of an event's data (see
// docs/personal-data.md): a service trusted with the user data keys
// implements it (personaldata.StoreOpener does, on the service's database).
// Data of an erased person comes back without them, never as an error. An
// error with a Temporary() bool method that returns true (a key store that
// did not answer) becomes ErrOpenerUnavailable; any other, ErrInvalidData.
type Opener interface {
	OpenEvent(subject, eventType string, data []byte) ([]byte, error)
}

// DecodeOpened is Decode for a trusted service: the data's sealed personal
// fields are decrypted with open before the data is typed. A subscriber
// without the keys uses Decode: it sees every non-personal field, and
// personal ones unset.
func DecodeOpened(payload []byte, open Opener) (Event, error) {
	return decode(payload, open)
}

// IsTombstone reports whether a Kafka record's value is a tombstone: the
// empty value the relay publishes under an erased user's key after their
// user.erased, so that a compacted topic drops their earlier records.
func IsTombstone(value []byte) bool { return len(value) == 0 }

func decode(payload []byte, open Opener) (Event, error) {
	var env Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	ev := Event{Envelope: env}
	if err := checkEnvelope(env); err != nil {
		return ev, err
	}
	data := []byte(env.Data)
	if open != nil {
		opened, err := open.OpenEvent(env.Subject, env.Type, data)
		var t interface{ Temporary() bool }
		if errors.As(err, &t) && t.Temporary() {
			return ev, fmt.Errorf("%w: event %s: %w", ErrOpenerUnavailable, env.ID, err)
		}
		if err != nil {
			return ev, fmt.Errorf("%w: event %s: %v", ErrInvalidData, env.ID, err)
		}
		data = opened
	}
	current, currentData, err := user.EventUpcasters().Upcast(env.Type, data)
	if err != nil {
		return ev, fmt.Errorf("%w: event %s: %v", ErrInvalidData, env.ID, err)
	}
	typed, err := user.DecodeEvent(current, currentData)
	switch {
	case errors.Is(err, user.ErrUnknownEventType):
		return ev, unknownType(env.Type)
	case err != nil:
		return ev, fmt.Errorf("%w: event %s: %v", ErrInvalidData, env.ID, err)
	}
	ev.Data = typed
	return ev, nil
}

// checkEnvelope reports every missing or wrong required attribute at once.
func checkEnvelope(env Envelope) error {
	var problems []string
	missing := func(name string, absent bool) {
		if absent {
			problems = append(problems, name+" is missing")
		}
	}
	missing("specversion", env.SpecVersion == "")
	missing("id", env.ID == "")
	missing("source", env.Source == "")
	missing("type", env.Type == "")
	missing("subject", env.Subject == "")
	missing("time", env.Time.IsZero())
	missing("tenantid", env.TenantID == "")
	missing("data", len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")))
	// CloudEvents promises compatibility within a major version only.
	if env.SpecVersion != "" && !strings.HasPrefix(env.SpecVersion, "1.") {
		problems = append(problems, fmt.Sprintf("specversion %q is not 1.x", env.SpecVersion))
	}
	if env.StreamVersion < 1 {
		problems = append(problems, "streamversion must be 1 or more")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidEnvelope, strings.Join(problems, ", "))
}

// knownTypes are the current types, which Decode turns into values (older
// versions are upcast to them first).
var knownTypes = []string{user.TypeRegistered, user.TypeProfileChanged, user.TypeEmailChanged,
	user.TypeDeactivated, user.TypeReactivated, user.TypeDeleted, user.TypeErased}

func unknownType(t string) error {
	name, version, ok := ParseType(t)
	if !ok {
		return &UnknownTypeError{Type: t}
	}
	newest := 0
	for _, k := range knownTypes {
		if kn, kv, _ := ParseType(k); kn == name && kv > newest {
			newest = kv
		}
	}
	if version > newest && newest > 0 {
		return &UnknownTypeError{Type: t, KnownVersion: newest}
	}
	return &UnknownTypeError{Type: t}
}

// ParseType splits a versioned type such as "user.registered.v1" into its
// name ("user.registered") and version (1); ok is false for any other shape.
func ParseType(t string) (name string, version int, ok bool) {
	i := strings.LastIndex(t, ".v")
	if i <= 0 || i+2 == len(t) {
		return "", 0, false
	}
	for _, c := range t[i+2:] {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		version = version*10 + int(c-'0')
		if version > 1_000_000 {
			return "", 0, false
		}
	}
	if version == 0 {
		return "", 0, false
	}
	return t[:i], version, true
}

// MatchesType reports whether an event type t matches a filter: either the
// exact versioned type, or its name without version (any version).
func MatchesType(t, filter string) bool {
	if t == filter {
		return true
	}
	name, _, ok := ParseType(t)
	return ok && name == filter
}
