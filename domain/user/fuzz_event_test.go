package user_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// FuzzUpcastAndDecodeEvent reads arbitrary stored events the way every reader
// of the event store does (upcast, then decode). Seeds are events of each
// type as the service stores them. It must not panic; a stored type it does
// not know is ErrUnknownEventType; a decoded event must survive the JSON
// store unchanged and decode to a current type.
func FuzzUpcastAndDecodeEvent(f *testing.F) {
	for typ, data := range map[string]string{
		user.TypeRegisteredV1: `{"tenant_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","email":"ada@example.com",` +
			`"given_name":"Ada","family_name":"Lovelace","department":"Engineering","manager_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"}`,
		user.TypeRegistered: `{"tenant_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","email":"ada@example.com","username":"Ada",` +
			`"given_name":"","family_name":"","emails":[{"value":"ada@example.com","type":"work","primary":true}],` +
			`"phone_numbers":[{"value":"+1 555","type":"mobile"}],"addresses":[{"locality":"London"}]}`,
		user.TypeProfileChangedV1: `{"changes":{"title":{"old":"","new":"Analyst"}}}`,
		user.TypeProfileChanged:   `{"changes":{"title":{"old":"","new":"Analyst"},"department":{"old":"Navy","new":""}}}`,
		user.TypeEmailChanged:     `{"old_email":"ada@example.com","new_email":"ada@example.org"}`,
		user.TypeDeactivated:      `{"cause":"admin","reason":"left the company"}`,
		user.TypeDeactivatedV1:    `{"reason":"left the company"}`,
		user.TypeReactivated:      `{}`,
		"user.registered.v9":      `{}`,
	} {
		f.Add(typ, []byte(data))
	}
	upcasters := user.EventUpcasters()
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		current, currentData, err := upcasters.Upcast(typ, data)
		if err != nil {
			if typ != user.TypeDeactivatedV1 && typ != user.TypeRegisteredV1 && typ != user.TypeProfileChangedV1 {
				t.Fatalf("upcast of %q failed, but only v1 events have an upcaster: %v", typ, err)
			}
			return
		}
		e, err := user.DecodeEvent(current, currentData)
		if err != nil {
			var syntaxErr *json.SyntaxError
			var typeErr *json.UnmarshalTypeError
			if !errors.Is(err, user.ErrUnknownEventType) && !errors.As(err, &syntaxErr) && !errors.As(err, &typeErr) {
				t.Fatalf("DecodeEvent(%q) failed with an unexpected kind %T: %v", current, errors.Unwrap(err), err)
			}
			return
		}
		if e.EventType() != current || current == user.TypeDeactivatedV1 || current == user.TypeRegisteredV1 || current == user.TypeProfileChangedV1 {
			t.Fatalf("decoded %q as %T (%s)", current, e, e.EventType())
		}
		stored, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", e, err)
		}
		back, err := user.DecodeEvent(current, stored)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip of %#v = %#v, %v", e, back, err)
		}
	})
}
