package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestSCIMOktaFlow replays how Okta provisions: it looks the user up by
// userName (in whatever case it has) before creating, expects 409 when the
// user exists, and deactivates with active=false instead of deleting.
func TestSCIMOktaFlow(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 10)
	lookup := "/Users?filter=" + url.QueryEscape(`userName eq "Jane.Doe@Example.com"`) + "&startIndex=1&count=100"

	if r := s.scimCall("GET", lookup, tn.scim, nil).want(t, 200, ""); r.body["totalResults"].(float64) != 0 {
		t.Fatalf("lookup before create: %s", r.raw)
	}
	body := scimUser("jane.doe@example.com", "Jane", "Doe", map[string]any{"active": true, "locale": "en-US",
		"emails": []any{map[string]any{"value": "jane.doe@example.com", "primary": true, "type": "work"}}})
	id := s.scimCall("POST", "/Users", tn.scim, body).want(t, 201, "").str("id")
	found := s.scimCall("GET", lookup, tn.scim, nil).want(t, 200, "")
	if found.body["totalResults"].(float64) != 1 || found.str("Resources|0|id") != id {
		t.Fatalf("lookup after create: %s", found.raw)
	}
	s.scimCall("POST", "/Users", tn.scim, body).want(t, 409, "uniqueness")

	// Okta deactivates with a PATCH (or a PUT) of active=false.
	off := s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": false}})).want(t, 200, "")
	if off.get("active") != false {
		t.Fatalf("deactivate: %s", off.raw)
	}
	// ... and a deactivated user is still found by the lookup, so Okta does not create a duplicate.
	if r := s.scimCall("GET", lookup, tn.scim, nil).want(t, 200, ""); r.str("Resources|0|id") != id || r.get("Resources|0|active") != false {
		t.Fatalf("lookup of a deactivated user: %s", r.raw)
	}
	body["active"] = true
	if r := s.scimCall("PUT", "/Users/"+id, tn.scim, body).want(t, 200, ""); r.get("active") != true {
		t.Fatalf("reactivate by PUT: %s", r.raw)
	}
	types, _ := s.eventTypesAndSources(t, tn.admin, id)
	if strings.Join(types, " ") != "user.registered.v2 user.deactivated.v2 user.reactivated.v1" {
		t.Fatalf("history: %v", types)
	}
}

// TestSCIMEntraFlow replays Microsoft Entra ID's habits: lookups by
// externalId and by the work e-mail, capitalised op names, "active" as the
// string "False", the manager set by id, inactive users still returned.
func TestSCIMEntraFlow(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 10)
	boss := s.scimCall("POST", "/Users", tn.scim, scimUser("boss@contoso.test", "Big", "Boss", map[string]any{"externalId": "boss"})).want(t, 201, "").str("id")

	byExternalID := "/Users?filter=" + url.QueryEscape(`externalId eq "8a3f-entra-object-id"`)
	if r := s.scimCall("GET", byExternalID, tn.scim, nil).want(t, 200, ""); r.body["totalResults"].(float64) != 0 {
		t.Fatalf("lookup before create: %s", r.raw)
	}
	id := s.scimCall("POST", "/Users", tn.scim, map[string]any{
		"schemas": []any{coreURN, enterpriseURN}, "externalId": "8a3f-entra-object-id", "userName": "Alex.Wilber@contoso.test",
		"active": "True", "displayName": "Alex Wilber",
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": "Alex.Wilber@contoso.test"}},
		"name":   map[string]any{"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
		"meta":   map[string]any{"resourceType": "User"},
		"roles":  []any{}, enterpriseURN: map[string]any{"employeeNumber": "E77", "department": "Retail"},
	}).want(t, 201, "").str("id")
	byEmail := "/Users?filter=" + url.QueryEscape(`emails[type eq "work"].value eq "alex.wilber@contoso.test"`)
	for _, q := range []string{byExternalID, byEmail} {
		if r := s.scimCall("GET", q, tn.scim, nil).want(t, 200, ""); r.str("Resources|0|id") != id {
			t.Fatalf("lookup %s: %s", q, r.raw)
		}
	}

	r := s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(
		map[string]any{"op": "Replace", "path": "active", "value": "False"},
		map[string]any{"op": "Add", "path": enterpriseURN + ":manager", "value": boss},
		map[string]any{"op": "Replace", "path": "displayName", "value": "Alex W."},
		map[string]any{"op": "Add", "path": `phoneNumbers[type eq "work"].value`, "value": "+1 555 0100"},
	)).want(t, 200, "")
	if r.get("active") != false || r.str(enterpriseURN+"|manager|value") != boss || r.str("displayName") != "Alex W." {
		t.Fatalf("Entra PATCH: %s", r.raw)
	}
	// Entra reads deactivated users back and expects them, not a 404.
	if r := s.scimCall("GET", byExternalID, tn.scim, nil).want(t, 200, ""); r.get("Resources|0|active") != false {
		t.Fatalf("deactivated user by externalId: %s", r.raw)
	}
	s.scimCall("GET", "/Users/"+id, tn.scim, nil).want(t, 200, "")
	// The manager cleared the way Entra does it: remove by path.
	r = s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "Remove", "path": enterpriseURN + ":manager"})).want(t, 200, "")
	if r.get(enterpriseURN+"|manager") != nil {
		t.Fatalf("manager removal: %s", r.raw)
	}
	// A manager that is no user of the tenant is refused.
	s.scimCall("PATCH", "/Users/"+id, tn.scim, patchOp(map[string]any{"op": "Add", "path": enterpriseURN + ":manager",
		"value": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"})).want(t, 400, "invalidValue")
}
