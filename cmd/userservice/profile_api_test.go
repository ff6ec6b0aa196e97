package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestAPIRefusesAnOversizeReason: a deactivation reason has a documented
// maximum (500 characters, no control characters), so no event and no
// Kafka message can grow without bound; beyond it the API answers a
// problem+json naming the field, and nothing is written.
func TestAPIRefusesAnOversizeReason(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 5)
	id := s.call("POST", "/v1/users", tn.admin, newUser("reason@example.com")).want(t, 201, "").str("id")
	for _, reason := range []string{strings.Repeat("é", 501), strings.Repeat("\\\"", 100_000), "left\x00"} {
		r := s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, map[string]any{"reason": reason}).want(t, 422, "validation_failed")
		errs, _ := r.body["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "reason" {
			t.Fatalf("oversize reason: %s", r.raw)
		}
		if code := errs[0].(map[string]any)["code"]; code != "too_long" && code != "invalid_characters" {
			t.Fatalf("reason refused with %v: %s", code, r.raw)
		}
	}
	if got := s.call("GET", "/v1/users/"+id, tn.admin, nil).want(t, 200, ""); got.str("status") != "active" || got.num("version") != 1 {
		t.Fatalf("after refused deactivations: %s", got.raw)
	}
	s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, map[string]any{"reason": strings.Repeat("é", 500)}).want(t, 200, "")
}

// TestAPIProfileRoundTrip: every field of the user resource is stored and
// returned as sent; a username apart from the e-mail; a single-name user.
func TestAPIProfileRoundTrip(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 5)
	full := map[string]any{
		"email": "ada@example.com", "username": "ada.lovelace@corp.example", "given_name": "Ada", "family_name": "Lovelace",
		"middle_name": "Augusta", "honorific_prefix": "Countess", "honorific_suffix": "FRS", "formatted_name": "Ada King",
		"display_name": "Ada", "nick_name": "Enchantress", "profile_url": "https://example.com/ada", "user_type": "Employee",
		"title": "Analyst", "department": "Engines", "external_id": "E-1", "employee_number": "1815", "cost_center": "CC-1",
		"organization": "Babbage & Co", "division": "R&D", "preferred_language": "en-GB", "locale": "en_GB", "time_zone": "Europe/London",
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true},
			map[string]any{"value": "ada@home.example", "type": "home"}},
		"phone_numbers": []any{map[string]any{"value": "+44 20 7946 0000", "type": "work", "primary": true}},
		"addresses": []any{map[string]any{"type": "work", "street_address": "1 Main St\nFloor 2", "locality": "London",
			"region": "Greater London", "postal_code": "N1", "country": "GB", "formatted": "1 Main St\nLondon", "primary": true}},
	}
	created := s.call("POST", "/v1/users", tn.admin, full).want(t, 201, "")
	got := s.call("GET", "/v1/users/"+created.str("id"), tn.admin, nil).want(t, 200, "")
	for k, v := range full {
		if fmt.Sprint(got.body[k]) != fmt.Sprint(v) {
			t.Errorf("%s: got %v, want %v", k, got.body[k], v)
		}
	}
	// One name only, and no username: it is the e-mail address.
	room := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "room-12@example.com", "display_name": "Room 12"}).want(t, 201, "")
	if room.str("username") != "room-12@example.com" || room.body["given_name"] != nil {
		t.Fatalf("single-name user: %s", room.raw)
	}
	s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "x@example.com", "username": "ADA.LOVELACE@corp.example"}).want(t, 409, "username_taken")
	s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "y@example.com", "shoe_size": 9}).want(t, 400, "malformed_request")
	// Lists are replaced whole by a merge patch; null clears.
	p := s.call("PATCH", "/v1/users/"+created.str("id"), tn.admin, map[string]any{"phone_numbers": nil, "username": nil}).want(t, 200, "")
	if fmt.Sprint(p.body["phone_numbers"]) != "[]" || p.str("username") != "ada@example.com" {
		t.Fatalf("patch: %s", p.raw)
	}
}

// TestAPIGroups: /v1/groups creates, changes (members replaced, added,
// removed), lists, reads and deletes groups; a no-op change writes nothing.
func TestAPIGroups(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 5)
	a := s.call("POST", "/v1/users", tn.admin, newUser("ga@example.com")).want(t, 201, "").str("id")
	b := s.call("POST", "/v1/users", tn.admin, newUser("gb@example.com")).want(t, 201, "").str("id")
	g := s.call("POST", "/v1/groups", tn.admin, map[string]any{"display_name": "Ops", "external_id": "OPS", "members": []string{a}}).want(t, 201, "")
	id := g.str("id")
	p := s.call("PATCH", "/v1/groups/"+id, tn.admin, map[string]any{"add_members": []string{b}, "remove_members": []string{a},
		"display_name": "Operations"}).want(t, 200, "")
	if ms := p.body["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["id"] != b || p.str("display_name") != "Operations" {
		t.Fatalf("patch: %s", p.raw)
	}
	if same := s.call("PATCH", "/v1/groups/"+id, tn.admin, map[string]any{"display_name": "Operations"}).want(t, 200, ""); same.header.Get("X-Changed") != "false" {
		t.Fatalf("no-op patch: %v", same.header)
	}
	if l := s.call("GET", "/v1/groups?display_name=operations", tn.admin, nil).want(t, 200, ""); l.num("total") != 1 {
		t.Fatalf("list: %s", l.raw)
	}
	s.call("POST", "/v1/groups", tn.admin, map[string]any{"display_name": strings.Repeat("x", 257)}).want(t, 422, "validation_failed")
	s.call("POST", "/v1/groups", tn.admin, map[string]any{"display_name": "Dup", "external_id": "OPS"}).want(t, 409, "external_id_taken")
	// Member lists are arrays: [] is none, null is refused (not read as absent).
	s.call("POST", "/v1/groups", tn.admin, map[string]any{"display_name": "Nulls", "members": nil}).want(t, 400, "malformed_request")
	s.call("PATCH", "/v1/groups/"+id, tn.admin, map[string]any{"members": nil}).want(t, 400, "malformed_request")
	if cleared := s.call("PATCH", "/v1/groups/"+id, tn.admin, map[string]any{"members": []string{}}).want(t, 200, ""); len(cleared.body["members"].([]any)) != 0 {
		t.Fatalf("members [] did not clear the list: %s", cleared.raw)
	}
	s.call("DELETE", "/v1/groups/"+id, tn.admin, nil).want(t, 204, "")
	s.call("GET", "/v1/groups/"+id, tn.admin, nil).want(t, 404, "not_found")
}
