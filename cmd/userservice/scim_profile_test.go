package main

import (
	"fmt"
	"net/url"
	"testing"
)

// TestSCIMEveryAdvertisedAttributeRoundTrips reads /Schemas and, for every
// writable attribute (and sub-attribute) it advertises, checks that a user
// created with a value for it returns that value: nothing the service
// advertises is dropped. Then Entra's habits on that user: userName = UPN,
// not the mail; PATCH of phone numbers and address parts by filter.
func TestSCIMEveryAdvertisedAttributeRoundTrips(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 10)
	boss := s.scimCall("POST", "/Users", tn.scim, scimUser("boss@contoso.test", "Big", "Boss", nil)).want(t, 201, "").str("id")
	values := map[string]any{
		"userName": "alex.wilber@contoso.onmicrosoft.test", "externalId": "entra-obj-1", "displayName": "Alex W",
		"nickName": "Al", "profileUrl": "https://contoso.test/alex", "title": "Buyer", "userType": "Employee",
		"preferredLanguage": "en-US", "locale": "en_US", "timezone": "America/New_York", "active": true,
		"name": map[string]any{"givenName": "Alex", "familyName": "Wilber", "middleName": "J", "honorificPrefix": "Mr",
			"honorificSuffix": "Jr", "formatted": "Mr Alex J Wilber Jr"},
		"emails": []any{map[string]any{"value": "alexw@contoso.test", "type": "work", "primary": true},
			map[string]any{"value": "alex@home.test", "type": "home"}},
		"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work", "primary": true},
			map[string]any{"value": "+1 555 0101", "type": "mobile"}},
		"addresses": []any{map[string]any{"type": "work", "formatted": "1 Main St\nRedmond", "streetAddress": "1 Main St",
			"locality": "Redmond", "region": "WA", "postalCode": "98052", "country": "US", "primary": true}},
		enterpriseURN: map[string]any{"employeeNumber": "E77", "costCenter": "CC-9", "organization": "Contoso",
			"division": "Retail", "department": "Buying", "manager": map[string]any{"value": boss}},
	}
	body := map[string]any{"schemas": []any{coreURN, enterpriseURN}}
	for k, v := range values {
		body[k] = v
	}
	created := s.scimCall("POST", "/Users", tn.scim, body).want(t, 201, "")
	got := s.scimCall("GET", "/Users/"+created.str("id"), tn.scim, nil).want(t, 200, "")

	for _, id := range []string{coreURN, enterpriseURN} {
		schema := s.scimCall("GET", "/Schemas/"+id, "", nil).want(t, 200, "")
		for _, raw := range schema.body["attributes"].([]any) {
			a := raw.(map[string]any)
			name := a["name"].(string)
			if a["mutability"] == "readOnly" {
				continue
			}
			path, want := name, values[name]
			if id == enterpriseURN {
				path, want = enterpriseURN+"|"+name, values[enterpriseURN].(map[string]any)[name]
			}
			if want == nil {
				t.Errorf("the test gives no value for advertised attribute %s", name)
				continue
			}
			if fmt.Sprint(got.get(path)) != fmt.Sprint(want) && !(name == "manager" && got.str(path+"|value") == boss) {
				t.Errorf("%s: sent %v, got %v", name, want, got.get(path))
			}
		}
	}
	if got.str("userName") == got.str("emails|0|value") {
		t.Fatalf("userName and mail merged: %s", got.raw)
	}
	// Entra's lookups: by userName (the UPN) and by the work mail.
	for _, filter := range []string{`userName eq "Alex.Wilber@contoso.onmicrosoft.test"`, `emails[type eq "work"].value eq "alexw@contoso.test"`} {
		if r := s.scimCall("GET", "/Users?filter="+url.QueryEscape(filter), tn.scim, nil).want(t, 200, ""); r.str("Resources|0|id") != created.str("id") {
			t.Fatalf("lookup %s: %s", filter, r.raw)
		}
	}
	// Entra's PATCH of list parts by filter: a new fax number, a changed mobile, a city.
	r := s.scimCall("PATCH", "/Users/"+created.str("id"), tn.scim, patchOp(
		map[string]any{"op": "Add", "path": `phoneNumbers[type eq "fax"].value`, "value": "+1 555 0199"},
		map[string]any{"op": "Replace", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+1 555 0102"},
		map[string]any{"op": "Replace", "path": `addresses[type eq "work"].locality`, "value": "Seattle"},
		map[string]any{"op": "Replace", "path": "name.formatted", "value": "Alex Wilber"},
	)).want(t, 200, "")
	if r.str("phoneNumbers|1|value") != "+1 555 0102" || r.str("phoneNumbers|2|type") != "fax" ||
		r.str("addresses|0|locality") != "Seattle" || r.str("name|formatted") != "Alex Wilber" {
		t.Fatalf("Entra list PATCH: %s", r.raw)
	}
	// A user with one name, and a room with none (userName not an e-mail, an address given).
	one := s.scimCall("POST", "/Users", tn.scim, map[string]any{"userName": "cher@contoso.test", "name": map[string]any{"givenName": "Cher"}}).want(t, 201, "")
	if one.str("name|givenName") != "Cher" || one.get("name|familyName") != nil || one.str("emails|0|value") != "cher@contoso.test" {
		t.Fatalf("single-name user: %s", one.raw)
	}
	room := s.scimCall("POST", "/Users", tn.scim, map[string]any{"userName": "room-12", "displayName": "Room 12",
		"emails": []any{map[string]any{"value": "room12@contoso.test"}}}).want(t, 201, "")
	if room.str("userName") != "room-12" || room.get("name") != nil {
		t.Fatalf("room: %s", room.raw)
	}
	// Nothing dropped in silence.
	s.scimCall("POST", "/Users", tn.scim, map[string]any{"userName": "x@contoso.test", "shoeSize": 9}).want(t, 400, "invalidValue")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "madeUp", "value": "x"})).want(t, 400, "invalidPath")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "id", "value": "x"})).want(t, 400, "mutability")
	// If-Match: a list with the current tag, "*", a strong tag, a foreign one.
	v := room.str("meta|version")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "a"}),
		"If-Match", `"nope", `+v).want(t, 200, "")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "b"}),
		"If-Match", "*").want(t, 200, "")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "c"}),
		"If-Match", `"3"`).want(t, 200, "")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "d"}),
		"If-Match", `"abc"`).want(t, 412, "")
	s.scimCall("PATCH", "/Users/"+room.str("id"), tn.scim, patchOp(map[string]any{"op": "replace", "path": "title", "value": "d"}),
		"If-Match", `W/"1", W/"2"`).want(t, 412, "")
}
