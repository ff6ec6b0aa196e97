package main

import (
	"strings"
	"testing"
)

// TestTenantSeatsAndTokensOverHTTP: GET /v1/tenant counts seats as users come
// and go; POST /v1/tokens shows the secret once, the list never does, and a
// revoked token is listed as revoked and stops working.
func TestTenantSeatsAndTokensOverHTTP(t *testing.T) {
	s := startService(t, "api")
	tn := newTenant(t, 2)
	seats := func() (int, int) {
		r := s.call("GET", "/v1/tenant", tn.reader, nil).want(t, 200, "")
		return r.num("seats_used"), r.num("seat_limit")
	}
	if used, limit := seats(); used != 0 || limit != 2 {
		t.Fatalf("seats %d/%d, want 0/2", used, limit)
	}
	u := s.call("POST", "/v1/users", tn.admin, newUser("seat@example.com")).want(t, 201, "")
	if used, _ := seats(); used != 1 {
		t.Fatalf("seats used %d after a registration, want 1", used)
	}
	s.call("POST", "/v1/users/"+u.str("id")+"/deactivate", tn.admin, map[string]any{}).want(t, 200, "")
	if used, _ := seats(); used != 0 {
		t.Fatalf("seats used %d after a deactivation, want 0", used)
	}

	s.call("POST", "/v1/tokens", tn.admin, map[string]any{"role": "owner"}).want(t, 400, "malformed_request")
	s.call("POST", "/v1/tokens", tn.admin, map[string]any{"role": "reader", "ttl_hours": 0}).want(t, 400, "malformed_request")
	// Hours that overflow a Duration are refused, not turned into a wrapped TTL.
	s.call("POST", "/v1/tokens", tn.admin, map[string]any{"role": "reader", "ttl_hours": 18810786}).want(t, 400, "malformed_request")
	s.call("POST", "/v1/tokens", tn.admin, map[string]any{"role": "reader", "extra": 1}).want(t, 400, "malformed_request")
	created := s.call("POST", "/v1/tokens", tn.admin, map[string]any{"role": "importer", "ttl_hours": 2}).want(t, 201, "")
	secret, id := created.str("token"), created.str("id")
	if secret == "" || id == "" || created.str("expires_at") == "" {
		t.Fatalf("created token: %s", created.raw)
	}
	me := s.call("GET", "/v1/me", secret, nil).want(t, 200, "")
	if me.str("role") != "importer" {
		t.Fatalf("new token: %s", me.raw)
	}
	s.call("DELETE", "/v1/tokens/"+id, tn.admin, nil).want(t, 204, "")
	s.call("GET", "/v1/me", secret, nil).want(t, 401, "unauthorized")
	list := s.call("GET", "/v1/tokens", tn.admin, nil).want(t, 200, "")
	var found bool
	for _, raw := range list.body["tokens"].([]any) {
		tok := raw.(map[string]any)
		if _, ok := tok["token"]; ok {
			t.Fatalf("the list shows a secret: %s", list.raw)
		}
		if tok["id"] == id {
			found = true
			if tok["revoked_at"] == nil || tok["role"] != "importer" {
				t.Fatalf("revoked token listed as %v", tok)
			}
		}
	}
	if !found || len(list.body["tokens"].([]any)) != 4 { // newTenant's admin, reader and importer, and the new one; no refused one
		t.Fatalf("tokens listed: %s", list.raw)
	}
}

// TestNotificationSettingsReadBack: GET shows what PUT stored, never the
// secret; a tenant without settings gets none.
func TestNotificationSettingsReadBack(t *testing.T) {
	s := startService(t, "api")
	tn := newTenant(t, 1)
	empty := s.call("GET", "/v1/notification-settings", tn.admin, nil).want(t, 200, "")
	if empty.raw != `{"emails":[],"webhook_url":null,"webhook_secret_set":false,"updated_at":null}`+"\n" {
		t.Fatalf("no settings: %q", empty.raw)
	}
	s.call("PUT", "/v1/notification-settings", tn.admin, map[string]any{"emails": []string{"Ops@Example.com"},
		"webhook_url": "https://hooks.example.com/x", "webhook_secret": "0123456789abcdef-secret"}).want(t, 204, "")
	got := s.call("GET", "/v1/notification-settings", tn.admin, nil).want(t, 200, "")
	if strings.Contains(got.raw, "0123456789abcdef") || got.str("webhook_url") != "https://hooks.example.com/x" ||
		got.body["webhook_secret_set"] != true || !strings.Contains(got.raw, "ops@example.com") {
		t.Fatalf("settings: %s", got.raw)
	}
	s.call("GET", "/v1/notification-settings", tn.reader, nil).want(t, 403, "forbidden")
}
