package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestSCIMUserLifecycle walks RFC 7644's required behaviours for one user:
// create, read, replace (a no-op writes nothing), every PATCH form, ETags
// and If-Match, delete; each write is a command with source scim.
func TestSCIMUserLifecycle(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 1)

	created := s.scimCall("POST", "/Users", tn.scim, scimUser("Ada@Example.com", "Ada", "Lovelace", map[string]any{
		"externalId": "E-1", "title": "Countess", "timezone": "Europe/London",
		"emails":      []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		enterpriseURN: map[string]any{"department": "Analytics", "employeeNumber": "42"},
	})).want(t, 201, "")
	id := created.str("id")
	if created.header.Get("Location") != created.str("meta|location") || !strings.HasSuffix(created.str("meta|location"), "/scim/v2/Users/"+id) ||
		created.header.Get("ETag") != `W/"1"` || created.str("meta|version") != `W/"1"` || created.str("meta|resourceType") != "User" ||
		created.str("userName") != "Ada@Example.com" || created.get("active") != true || created.str("externalId") != "E-1" ||
		created.str(enterpriseURN+"|department") != "Analytics" || created.str("emails|0|type") != "work" ||
		created.str("meta|created") == "" || created.str("meta|created") != created.str("meta|lastModified") {
		t.Fatalf("created: %v %s", created.header, created.raw)
	}

	// uniqueness: the same userName in another case, the same externalId.
	s.scimCall("POST", "/Users", tn.scim, scimUser("ADA@example.com", "A", "L", nil)).want(t, 409, "uniqueness")
	s.scimCall("POST", "/Users", tn.scim, scimUser("other@example.com", "A", "L", map[string]any{"externalId": "E-1"})).want(t, 409, "uniqueness")
	// validation, with the SCIM attribute named.
	bad := s.scimCall("POST", "/Users", tn.scim, scimUser("bad@example.com", " A", "L", map[string]any{
		"emails": []any{map[string]any{"value": "not-an-address"}}})).want(t, 400, "invalidValue")
	if !strings.Contains(bad.str("detail"), "emails") || !strings.Contains(bad.str("detail"), "name.givenName") {
		t.Fatalf("validation detail: %s", bad.raw)
	}
	s.scimCall("POST", "/Users", tn.scim, `{"userName":`).want(t, 400, "invalidSyntax")
	s.scimCall("POST", "/Users", tn.scim, `[]`).want(t, 400, "invalidSyntax")
	s.scimCall("POST", "/Users", tn.scim, "userName=x", "Content-Type", "application/x-www-form-urlencoded").want(t, 415, "")
	s.scimCall("POST", "/Users", tn.scim, `{"userName":"`+strings.Repeat("x", 2<<20)+`"}`).want(t, 413, "")
	if r := s.scimCall("PUT", "/Users", tn.scim, scimUser("x@example.com", "X", "Y", nil)).want(t, 405, ""); r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("Allow: %q", r.header.Get("Allow"))
	}
	// the one seat is taken
	s.scimCall("POST", "/Users", tn.scim, scimUser("b@example.com", "B", "B", nil)).want(t, 409, "")

	got := s.scimCall("GET", "/Users/"+id, tn.scim, nil).want(t, 200, "")
	if got.str("userName") != "Ada@Example.com" || got.header.Get("ETag") != `W/"1"` {
		t.Fatalf("get: %s", got.raw)
	}
	if r := s.scimCall("GET", "/Users/"+id, tn.scim, nil, "If-None-Match", `W/"1"`); r.status != 304 {
		t.Fatalf("If-None-Match of the current version: %d", r.status)
	}
	s.scimCall("GET", "/Users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", tn.scim, nil).want(t, 404, "")
	s.scimCall("GET", "/Users/not-a-uuid", tn.scim, nil).want(t, 404, "")

	// PUT of the same state: nothing written, same version.
	full := scimUser("Ada@Example.com", "Ada", "Lovelace", map[string]any{"externalId": "E-1", "title": "Countess",
		"timezone": "Europe/London", "active": true, enterpriseURN: map[string]any{"department": "Analytics", "employeeNumber": "42"},
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}}})
	same := s.scimCall("PUT", "/Users/"+id, tn.scim, full).want(t, 200, "")
	if same.str("meta|version") != `W/"1"` {
		t.Fatalf("a PUT that changes nothing moved the version: %s", same.raw)
	}
	// PUT replaces: title absent is cleared.
	delete(full, "title")
	replaced := s.scimCall("PUT", "/Users/"+id, tn.scim, full, "If-Match", `W/"1"`).want(t, 200, "")
	if replaced.get("title") != nil || replaced.str("meta|version") != `W/"2"` || replaced.header.Get("ETag") != `W/"2"` {
		t.Fatalf("replace: %s", replaced.raw)
	}
	s.scimCall("PUT", "/Users/"+id, tn.scim, full, "If-Match", `W/"1"`).want(t, 412, "")
	s.scimCall("PUT", "/Users/"+id, tn.scim, map[string]any{"name": map[string]any{"givenName": "A"}}).want(t, 400, "invalidValue")

	// PATCH, every form.
	patches := []struct {
		name  string
		body  map[string]any
		check func(r scimResponse) bool
	}{
		{"replace with a path", patchOp(map[string]any{"op": "replace", "path": "name.givenName", "value": "Augusta"}),
			func(r scimResponse) bool { return r.str("name|givenName") == "Augusta" }},
		{"add without a path, core and extension attributes", patchOp(map[string]any{"op": "add", "value": map[string]any{
			"title": "Analyst", enterpriseURN + ":department": "Engines", "name.familyName": "King"}}),
			func(r scimResponse) bool {
				return r.str("title") == "Analyst" && r.str(enterpriseURN+"|department") == "Engines" && r.str("name|familyName") == "King"
			}},
		{"replace without a path, nested objects", patchOp(map[string]any{"op": "replace", "value": map[string]any{
			"name": map[string]any{"givenName": "Ada"}, enterpriseURN: map[string]any{"department": "Maths"}}}),
			func(r scimResponse) bool {
				return r.str("name|givenName") == "Ada" && r.str("name|familyName") == "King" && r.str(enterpriseURN+"|department") == "Maths"
			}},
		{"replace through a value filter", patchOp(map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "ada@lovelace.org"}),
			func(r scimResponse) bool {
				// userName is the user's own, not the address: it stays.
				return r.str("userName") == "Ada@Example.com" && r.str("emails|0|value") == "ada@lovelace.org"
			}},
		{"remove with a path", patchOp(map[string]any{"op": "remove", "path": "title"}),
			func(r scimResponse) bool { return r.get("title") == nil }},
		{"remove the enterprise department by its URN path", patchOp(map[string]any{"op": "remove", "path": enterpriseURN + ":department"}),
			func(r scimResponse) bool { return r.get(enterpriseURN+"|department") == nil }},
		{"op names in any case, several operations in order", patchOp(
			map[string]any{"op": "Add", "path": "title", "value": "First"},
			map[string]any{"op": "REPLACE", "path": "title", "value": "Second"}),
			func(r scimResponse) bool { return r.str("title") == "Second" }},
	}
	version := 2
	for _, p := range patches {
		r := s.scimCall("PATCH", "/Users/"+id, tn.scim, p.body).want(t, 200, "")
		version = versionOf(t, r)
		if !p.check(r) {
			t.Fatalf("PATCH %s: %s", p.name, r.raw)
		}
	}
	// A PATCH that changes nothing writes nothing.
	noop := s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "Second"})).want(t, 200, "")
	if versionOf(t, noop) != version {
		t.Fatalf("a no-op PATCH moved the version: %s", noop.raw)
	}
	for _, bad := range []struct {
		body     any
		scimType string
	}{
		{patchOp(map[string]any{"op": "replace", "path": `emails[type eq "home"].value`, "value": "x@example.com"}), "noTarget"},
		{patchOp(map[string]any{"op": "remove"}), "noTarget"},
		{patchOp(map[string]any{"op": "merge", "path": "title", "value": "x"}), "invalidSyntax"},
		{patchOp(map[string]any{"op": "replace", "path": "title[", "value": "x"}), "invalidPath"},
		{patchOp(map[string]any{"op": "remove", "path": "userName"}), "invalidValue"},
		{patchOp(map[string]any{"op": "replace", "path": "active", "value": "maybe"}), "invalidValue"},
		{map[string]any{"Operations": []any{}}, "invalidSyntax"},
	} {
		s.scimCall("PATCH", "/Users/"+id, tn.scim, bad.body).want(t, 400, bad.scimType)
	}
	stale := fmt.Sprintf(`W/"%d"`, version-1)
	s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "x"}), "If-Match", stale).want(t, 412, "")
	s.scimCall("DELETE", "/Users/"+id, tn.scim, nil, "If-Match", stale).want(t, 412, "")

	// DELETE: 204, then gone; the seat is free again; the history stays.
	if r := s.scimCall("DELETE", "/Users/"+id, tn.scim, nil, "If-Match", fmt.Sprintf(`W/"%d"`, version)); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	s.scimCall("GET", "/Users/"+id, tn.scim, nil).want(t, 404, "")
	s.scimCall("DELETE", "/Users/"+id, tn.scim, nil).want(t, 404, "")
	s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "x"})).want(t, 404, "")
	s.scimCall("POST", "/Users", tn.scim, scimUser("ada@lovelace.org", "New", "Ada", map[string]any{"externalId": "E-1"})).want(t, 201, "")

	types, sources := s.eventTypesAndSources(t, tn.admin, id)
	if types[0] != "user.registered.v2" || types[len(types)-1] != "user.deleted.v1" || len(types) != version+1 {
		t.Fatalf("history %v, want registered ... deleted with %d events", types, version+1)
	}
	for _, src := range sources {
		if src != "scim" {
			t.Fatalf("sources %v, want scim for every event", sources)
		}
	}
}

func versionOf(t *testing.T, r scimResponse) int {
	t.Helper()
	var v int
	if _, err := fmt.Sscanf(r.str("meta|version"), `W/"%d"`, &v); err != nil {
		t.Fatalf("meta.version %q: %v", r.str("meta|version"), err)
	}
	return v
}
