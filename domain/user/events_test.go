package user_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// TestEventWireFormat pins the stored JSON of every event type: stored
// history is never rewritten, so a changed shape needs a new version.
func TestEventWireFormat(t *testing.T) {
	tests := []struct {
		event    user.Event
		wantType string
		wantJSON string
	}{
		{user.Registered{TenantID: "t1", Email: "ada@example.com", Profile: minimalProfile()}, "user.registered.v2",
			`{"tenant_id":"t1","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace"}`},
		{user.Registered{TenantID: "t1", Email: "ada@example.com", Profile: fullProfile()}, "user.registered.v2",
			`{"tenant_id":"t1","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace","display_name":"Ada Lovelace",` +
				`"department":"Analytical Engines","title":"Countess","manager_id":"` + bossID.String() + `","external_id":"HR-1815",` +
				`"locale":"en-GB","time_zone":"Europe/London"}`},
		{user.Registered{TenantID: "t1", Email: "ada@example.com", Profile: user.Profile{Username: "ada", NickName: "A",
			EmployeeNumber: "7", CostCenter: "C", Organization: "O", Division: "D", PreferredLanguage: "en"},
			Contacts: user.Contacts{Emails: []user.Email{{Value: "ada@example.com", Type: "work", Primary: true}},
				PhoneNumbers: []user.PhoneNumber{{Value: "+44 1", Type: "mobile"}}, Addresses: []user.Address{{Locality: "London", Primary: true}}}},
			"user.registered.v2",
			`{"tenant_id":"t1","email":"ada@example.com","username":"ada","given_name":"","family_name":"","nick_name":"A",` +
				`"employee_number":"7","cost_center":"C","organization":"O","division":"D","preferred_language":"en",` +
				`"emails":[{"value":"ada@example.com","type":"work","primary":true}],"phone_numbers":[{"value":"+44 1","type":"mobile"}],` +
				`"addresses":[{"locality":"London","primary":true}]}`},
		{user.ProfileChanged{Changes: map[string]user.Change{"title": {Old: "", New: "CTO"}}}, "user.profile_changed.v2",
			`{"changes":{"title":{"old":"","new":"CTO"}}}`},
		{user.ProfileChanged{PhoneNumbers: &user.ListChange[user.PhoneNumber]{New: []user.PhoneNumber{{Value: "1"}}}}, "user.profile_changed.v2",
			`{"phone_numbers":{"old":null,"new":[{"value":"1"}]}}`},
		{user.EmailChanged{OldEmail: "a@b.co", NewEmail: "c@d.co"}, "user.email_changed.v1", `{"old_email":"a@b.co","new_email":"c@d.co"}`},
		{user.Deactivated{Cause: user.CauseRequested, Reason: "left"}, "user.deactivated.v2", `{"cause":"requested","reason":"left"}`},
		{user.Deactivated{Cause: user.CauseStatusChanged}, "user.deactivated.v2", `{"cause":"status_changed"}`},
		{user.Reactivated{}, "user.reactivated.v1", `{}`},
		{user.Deleted{Reason: "left"}, "user.deleted.v1", `{"reason":"left"}`},
	}
	for _, tt := range tests {
		t.Run(tt.wantJSON, func(t *testing.T) {
			if got := tt.event.EventType(); got != tt.wantType {
				t.Errorf("EventType = %q, want %q", got, tt.wantType)
			}
			data, err := json.Marshal(tt.event)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(data) != tt.wantJSON {
				t.Errorf("JSON:\n got %s\nwant %s", data, tt.wantJSON)
			}
		})
	}
}

func TestDecodeEventRoundTrip(t *testing.T) {
	events := []user.Event{
		user.Registered{TenantID: tenant, Email: "ada@example.com", Profile: minimalProfile()},
		user.Registered{TenantID: tenant, Email: "äda@beispiel.de", Profile: fullProfile()},
		user.ProfileChanged{Changes: map[string]user.Change{
			"title": {Old: "Countess", New: "Programmer <&>"}, "manager_id": {Old: bossID.String(), New: ""},
		}},
		user.ProfileChanged{},
		user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@lovelace.org"},
		user.Deactivated{Cause: user.CauseRequested, Reason: "left \u2028 the company"},
		user.Deactivated{Cause: user.CauseStatusChanged},
		user.Reactivated{},
	}
	for _, e := range events {
		t.Run(e.EventType(), func(t *testing.T) {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := user.DecodeEvent(e.EventType(), data)
			if err != nil {
				t.Fatalf("DecodeEvent(%s): %v", data, err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, e)
			}
		})
	}
}

func TestDecodeEventRejects(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		data      string
		unknown   bool
	}{
		{"empty type", "", `{}`, true},
		{"unknown type", "user.archived.v1", `{}`, true},
		{"older version", "user.registered.v0", `{}`, true},
		{"a version that must be upcast first", user.TypeDeactivatedV1, `{}`, true},
		{"wrong case", "User.Registered.V1", `{}`, true},
		{"registered: truncated JSON", user.TypeRegistered, `{"email":`, false},
		{"registered: not an object", user.TypeRegistered, `[]`, false},
		{"registered: wrong field type", user.TypeRegistered, `{"email":42}`, false},
		{"profile changed: changes not a map", user.TypeProfileChanged, `{"changes":"title"}`, false},
		{"profile changed: change not an object", user.TypeProfileChanged, `{"changes":{"title":"x"}}`, false},
		{"email changed: empty data", user.TypeEmailChanged, ``, false},
		{"deactivated: bad JSON", user.TypeDeactivated, `{reason}`, false},
		{"reactivated: bad JSON", user.TypeReactivated, `nope`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := user.DecodeEvent(tt.eventType, []byte(tt.data))
			if got != nil || err == nil {
				t.Fatalf("DecodeEvent = %#v, %v; want an error", got, err)
			}
			if errors.Is(err, user.ErrUnknownEventType) != tt.unknown {
				t.Errorf("errors.Is(%v, ErrUnknownEventType) = %t, want %t", err, !tt.unknown, tt.unknown)
			}
			if tt.unknown && !strings.Contains(err.Error(), `"`+tt.eventType+`"`) {
				t.Errorf("error %q should quote the type", err)
			}
			if !tt.unknown && !strings.Contains(err.Error(), tt.eventType) {
				t.Errorf("error %q should name the type", err)
			}
		})
	}
}
