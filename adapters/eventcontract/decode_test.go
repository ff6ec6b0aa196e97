package eventcontract_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

// envelope returns a valid published envelope of type t with data, with the
// given attributes replaced (a nil value removes the attribute).
func envelope(t *testing.T, typ, data string, replace map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"specversion": "1.0", "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "source": "urn:userservice",
		"type": typ, "subject": "0190a1b2-c3d4-7e5f-8a9b-aaaaaaaaaaaa", "time": "2025-03-01T10:00:00.123456Z",
		"datacontenttype": "application/json", "data": json.RawMessage(data),
		"tenantid": "0190a1b2-c3d4-7e5f-8a9b-bbbbbbbbbbbb", "streamversion": 3,
		"correlationid": "req-1", "causationid": "cmd-1",
	}
	for k, v := range replace {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		payload  func(t *testing.T) []byte
		wantErr  error // nil: success
		wantData user.Event
		// envelopeKept: the attributes are returned even with the error.
		envelopeKept bool
		errMentions  string
	}{
		{name: "registered", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeRegistered, `{"tenant_id":"t","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace","department":"R&D"}`, nil)
		}, wantData: user.Registered{TenantID: "t", Email: "ada@example.com",
			Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace", Department: "R&D"}}, envelopeKept: true},
		{name: "profile changed", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeProfileChanged, `{"changes":{"title":{"old":"","new":"CTO"}}}`, nil)
		}, wantData: user.ProfileChanged{Changes: map[string]user.Change{"title": {Old: "", New: "CTO"}}}, envelopeKept: true},
		{name: "email changed", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeEmailChanged, `{"old_email":"a@x.io","new_email":"b@x.io"}`, nil)
		}, wantData: user.EmailChanged{OldEmail: "a@x.io", NewEmail: "b@x.io"}, envelopeKept: true},
		{name: "deactivated", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeDeactivated, `{"cause":"requested","reason":"left"}`, nil)
		}, wantData: user.Deactivated{Cause: user.CauseRequested, Reason: "left"}, envelopeKept: true},
		{name: "an older version is upcast", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeDeactivatedV1, `{"reason":"left"}`, nil)
		}, wantData: user.Deactivated{Cause: user.CauseUnspecified, Reason: "left"}, envelopeKept: true},
		{name: "reactivated", payload: func(t *testing.T) []byte { return envelope(t, user.TypeReactivated, `{}`, nil) },
			wantData: user.Reactivated{}, envelopeKept: true},
		{name: "unknown data fields are ignored", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeDeactivated, `{"cause":"requested","reason":"left","by":"hr"}`, nil)
		}, wantData: user.Deactivated{Cause: user.CauseRequested, Reason: "left"}, envelopeKept: true},
		{name: "unknown extension attributes are ignored", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"traceparent": "00-abc"})
		}, wantData: user.Reactivated{}, envelopeKept: true},

		{name: "unknown type", payload: func(t *testing.T) []byte {
			return envelope(t, "user.merged.v1", `{"into":"x"}`, nil)
		}, wantErr: eventcontract.ErrUnknownType, envelopeKept: true, errMentions: `"user.merged.v1"`},
		{name: "newer version of a known type", payload: func(t *testing.T) []byte {
			return envelope(t, "user.registered.v3", `{"emails":["a@x.io"]}`, nil)
		}, wantErr: eventcontract.ErrUnknownType, envelopeKept: true, errMentions: "newer than the v2"},
		{name: "unversioned type", payload: func(t *testing.T) []byte {
			return envelope(t, "user.registered", `{}`, nil)
		}, wantErr: eventcontract.ErrUnknownType, envelopeKept: true},

		{name: "malformed JSON", payload: func(*testing.T) []byte { return []byte(`{"specversion":"1.0",`) },
			wantErr: eventcontract.ErrMalformed},
		{name: "not an object", payload: func(*testing.T) []byte { return []byte(`["user.registered.v1"]`) },
			wantErr: eventcontract.ErrMalformed},
		{name: "attribute of the wrong JSON type", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"streamversion": "3"})
		}, wantErr: eventcontract.ErrMalformed},
		{name: "time not RFC 3339", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"time": "yesterday"})
		}, wantErr: eventcontract.ErrMalformed},

		{name: "missing id and subject", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"id": nil, "subject": nil})
		}, wantErr: eventcontract.ErrInvalidEnvelope, errMentions: "id is missing, subject is missing"},
		{name: "missing tenant, time and stream version", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"tenantid": nil, "time": nil, "streamversion": nil})
		}, wantErr: eventcontract.ErrInvalidEnvelope, errMentions: "time is missing, tenantid is missing"},
		{name: "missing data", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `null`, nil)
		}, wantErr: eventcontract.ErrInvalidEnvelope, errMentions: "data is missing"},
		{name: "empty object", payload: func(*testing.T) []byte { return []byte(`{}`) },
			wantErr: eventcontract.ErrInvalidEnvelope, errMentions: "specversion is missing"},
		{name: "CloudEvents 2.0", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeReactivated, `{}`, map[string]any{"specversion": "2.0"})
		}, wantErr: eventcontract.ErrInvalidEnvelope, errMentions: `"2.0"`},

		{name: "known type with broken data", payload: func(t *testing.T) []byte {
			return envelope(t, user.TypeEmailChanged, `{"new_email":42}`, nil)
		}, wantErr: eventcontract.ErrInvalidData, envelopeKept: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ev, err := eventcontract.Decode(c.payload(t))
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), c.errMentions) {
				t.Errorf("err = %q, want it to mention %q", err, c.errMentions)
			}
			if !reflect.DeepEqual(ev.Data, c.wantData) {
				t.Errorf("Data = %#v, want %#v", ev.Data, c.wantData)
			}
			if !c.envelopeKept {
				return
			}
			if ev.ID != "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" || ev.StreamVersion != 3 || ev.TenantID == "" ||
				ev.Time.IsZero() || len(ev.RawData()) == 0 {
				t.Errorf("envelope not kept: %+v", ev.Envelope)
			}
		})
	}
}

func TestUnknownTypeErrorIsInspectable(t *testing.T) {
	t.Parallel()
	_, err := eventcontract.Decode(envelope(t, "user.reactivated.v7", `{}`, nil))
	var ute *eventcontract.UnknownTypeError
	if !errors.As(err, &ute) || ute.Type != "user.reactivated.v7" || ute.KnownVersion != 1 {
		t.Fatalf("err = %#v, want an UnknownTypeError for v7 knowing v1", err)
	}
	// The newest known version counts, not the first.
	_, current, _ := eventcontract.ParseType(user.TypeDeactivated)
	_, err = eventcontract.Decode(envelope(t, "user.deactivated.v99", `{}`, nil))
	if !errors.As(err, &ute) || ute.KnownVersion != current {
		t.Fatalf("err = %#v, want an UnknownTypeError knowing v%d", err, current)
	}
}

func TestParseTypeAndMatchesType(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in      string
		name    string
		version int
		ok      bool
	}{
		{"user.registered.v1", "user.registered", 1, true},
		{"user.profile_changed.v12", "user.profile_changed", 12, true},
		{"user.registered", "", 0, false},
		{"user.registered.v", "", 0, false},
		{"user.registered.v0", "", 0, false},
		{"user.registered.vx", "", 0, false},
		{".v1", "", 0, false},
		{"", "", 0, false},
	} {
		name, version, ok := eventcontract.ParseType(c.in)
		if name != c.name || version != c.version || ok != c.ok {
			t.Errorf("ParseType(%q) = %q, %d, %v; want %q, %d, %v", c.in, name, version, ok, c.name, c.version, c.ok)
		}
	}
	for _, c := range []struct {
		typ, filter string
		want        bool
	}{
		{"user.registered.v1", "user.registered.v1", true},
		{"user.registered.v2", "user.registered", true},
		{"user.registered.v1", "user.registered.v2", false},
		{"user.registered.v1", "user.reg", false},
		{"user.reactivated.v1", "user.deactivated", false},
	} {
		if got := eventcontract.MatchesType(c.typ, c.filter); got != c.want {
			t.Errorf("MatchesType(%q, %q) = %v, want %v", c.typ, c.filter, got, c.want)
		}
	}
}
