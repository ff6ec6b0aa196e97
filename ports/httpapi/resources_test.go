package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

func TestUserResourceJSON(t *testing.T) {
	id, _ := user.ParseID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	s := user.Snapshot{ID: id, TenantID: "t1", Email: "ada@example.com",
		Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace", Department: "R&D"},
		Status:  user.StatusActive, Version: 3}
	got, err := json.Marshal(newUserResource(s))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","tenant_id":"t1","email":"ada@example.com",` +
		`"username":"ada@example.com","given_name":"Ada","family_name":"Lovelace","middle_name":null,` +
		`"honorific_prefix":null,"honorific_suffix":null,"formatted_name":null,"display_name":null,"nick_name":null,` +
		`"profile_url":null,"user_type":null,"department":"R\u0026D","title":null,"manager_id":null,"external_id":null,` +
		`"employee_number":null,"cost_center":null,"organization":null,"division":null,"preferred_language":null,` +
		`"locale":null,"time_zone":null,"emails":[{"value":"ada@example.com","primary":true}],"phone_numbers":[],` +
		`"addresses":[],"status":"active","version":3}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestUserPageJSON(t *testing.T) {
	got, _ := json.Marshal(newUserPage(query.UserPage{}))
	if string(got) != `{"users":[]}` {
		t.Fatalf("empty last page = %s", got)
	}
	got, _ = json.Marshal(newUserPage(query.UserPage{Users: []user.Snapshot{{}}, NextCursor: "c2"}))
	var page struct {
		Users      []map[string]any `json:"users"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := json.Unmarshal(got, &page); err != nil || len(page.Users) != 1 || page.NextCursor != "c2" {
		t.Fatalf("page = %s (%v)", got, err)
	}
}

func TestEventListJSON(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	list := newEventList([]query.RecordedEvent{
		{ID: "e1", Type: user.TypeRegistered, Version: 1, OccurredAt: at, Data: json.RawMessage(`{"email":"a@b.co"}`),
			CorrelationID: "c1", Actor: "token:k", Source: "api"},
		{ID: "e2", Type: user.TypeReactivated, Version: 2, OccurredAt: at},
	})
	got, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"events":[` +
		`{"id":"e1","type":"user.registered.v2","version":1,"occurred_at":"2025-03-01T11:00:00.000000005Z",` +
		`"data":{"email":"a@b.co"},"correlation_id":"c1","causation_id":null,"actor":"token:k","source":"api"},` +
		`{"id":"e2","type":"user.reactivated.v1","version":2,"occurred_at":"2025-03-01T11:00:00.000000005Z",` +
		`"data":{},"correlation_id":null,"causation_id":null,"actor":null,"source":null}]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
