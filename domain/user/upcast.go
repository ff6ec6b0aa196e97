package user

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Upcaster brings a stored event of one type to the next version of that
// event: history is never rewritten, it is read through upcasters.
type Upcaster struct {
	// From is the stored type, To the type it becomes.
	From, To string
	// Convert rewrites From's data into To's. It must be deterministic:
	// the same stored event always reads the same.
	Convert func(data []byte) ([]byte, error)
}

// Upcasters is a set of registered upcasters, at most one per stored type;
// chains (v1 -> v2 -> v3) are followed to the end.
type Upcasters struct{ byFrom map[string]Upcaster }

// NewUpcasters registers list. It fails on an incomplete upcaster, on two
// upcasters from one type, and on a chain that comes back to a type it left.
func NewUpcasters(list ...Upcaster) (*Upcasters, error) {
	u := &Upcasters{byFrom: make(map[string]Upcaster, len(list))}
	var errs []error
	for _, c := range list {
		switch {
		case c.From == "" || c.To == "" || c.Convert == nil:
			errs = append(errs, fmt.Errorf("upcaster %q -> %q: From, To and Convert are required", c.From, c.To))
		case c.From == c.To:
			errs = append(errs, fmt.Errorf("upcaster %q: From equals To", c.From))
		case u.byFrom[c.From].Convert != nil:
			errs = append(errs, fmt.Errorf("two upcasters from %q", c.From))
		default:
			u.byFrom[c.From] = c
		}
	}
	for from := range u.byFrom {
		t := from
		for steps := 0; ; steps++ {
			next, ok := u.byFrom[t]
			if !ok {
				break
			}
			if steps > len(u.byFrom) {
				errs = append(errs, fmt.Errorf("upcasters from %q loop", from))
				break
			}
			t = next.To
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return u, nil
}

// Upcast passes a stored event through the registered upcasters until no
// upcaster starts from its type, and returns that (current) type and data.
// An event of a current type comes back as it was.
func (u *Upcasters) Upcast(eventType string, data []byte) (string, []byte, error) {
	for {
		c, ok := u.byFrom[eventType]
		if !ok {
			return eventType, data, nil
		}
		next, err := c.Convert(data)
		if err != nil {
			return "", nil, fmt.Errorf("upcast %s to %s: %w", c.From, c.To, err)
		}
		eventType, data = c.To, next
	}
}

// EventUpcasters returns the upcasters of the user events: from every type a
// stored event may have to the type DecodeEvent reads.
func EventUpcasters() *Upcasters {
	return &Upcasters{byFrom: map[string]Upcaster{
		TypeDeactivatedV1:    {From: TypeDeactivatedV1, To: TypeDeactivated, Convert: deactivatedV1ToV2},
		TypeRegisteredV1:     {From: TypeRegisteredV1, To: TypeRegistered, Convert: registeredV1ToV2},
		TypeProfileChangedV1: {From: TypeProfileChangedV1, To: TypeProfileChanged, Convert: profileChangedV1ToV2},
	}}
}

// deactivatedV1ToV2 keeps the reason and, since v1 did not record how the
// deactivation came about, says so: guessing from the free text would put
// words in the past's mouth.
func deactivatedV1ToV2(data []byte) ([]byte, error) {
	var v1 struct {
		Reason string `json:"reason,omitempty"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	return json.Marshal(Deactivated{Cause: CauseUnspecified, Reason: v1.Reason})
}

// registeredV1ToV2 gives a user registered before usernames and address
// lists what registering them today with one address would: no username of
// their own (it is the primary address, and follows it), and the address as
// the one, primary, entry of the list.
func registeredV1ToV2(data []byte) ([]byte, error) {
	var r Registered
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if len(r.Emails) == 0 {
		r.Emails = []Email{{Value: r.Email, Primary: true}}
	}
	return json.Marshal(r)
}

// profileChangedV1ToV2 keeps the changes as they were: v2 only added keys and
// lists, so a v1 change set is a v2 one.
func profileChangedV1ToV2(data []byte) ([]byte, error) {
	var v1 struct {
		Changes map[string]Change `json:"changes"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	return json.Marshal(ProfileChanged{Changes: v1.Changes})
}
