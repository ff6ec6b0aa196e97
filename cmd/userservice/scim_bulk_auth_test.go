package main

import (
	"net/url"
	"testing"
)

// TestSCIMBulk: a manager created in the same request is referenced by
// bulkId (before its own operation, so the order must not matter), a PATCH
// addresses a created user by bulkId, and failOnErrors stops the rest.
func TestSCIMBulk(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 10)
	bulk := func(failOnErrors int, ops ...map[string]any) scimResponse {
		list := make([]any, len(ops))
		for i, op := range ops {
			list[i] = op
		}
		return s.scimCall("POST", "/Bulk", tn.scim, map[string]any{
			"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "failOnErrors": failOnErrors, "Operations": list,
		}).want(t, 200, "")
	}
	r := bulk(0,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "report", "data": scimUser("report@example.com", "Re", "Port",
			map[string]any{enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:boss"}}})},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "boss", "data": scimUser("boss@example.com", "Bo", "Ss", nil)},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:boss", "data": patchOp(map[string]any{"op": "replace", "path": "title", "value": "CEO"})},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup", "data": scimUser("BOSS@example.com", "Du", "Plicate", nil)},
	)
	ops := r.body["Operations"].([]any)
	if len(ops) != 4 {
		t.Fatalf("operations: %s", r.raw)
	}
	status := func(i int) string { return ops[i].(map[string]any)["status"].(string) }
	if status(0) != "201" || status(1) != "201" || status(2) != "200" || status(3) != "409" {
		t.Fatalf("statuses %s %s %s %s: %s", status(0), status(1), status(2), status(3), r.raw)
	}
	if resp := ops[3].(map[string]any)["response"].(map[string]any); resp["scimType"] != "uniqueness" {
		t.Fatalf("failed operation's response: %v", resp)
	}
	bossLoc := ops[1].(map[string]any)["location"].(string)
	boss := s.scimCall("GET", bossLoc[len(s.base+"/scim/v2"):], tn.scim, nil).want(t, 200, "")
	if boss.str("title") != "CEO" || ops[2].(map[string]any)["version"] != boss.str("meta|version") {
		t.Fatalf("boss after bulk: %s", boss.raw)
	}
	report := s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName eq "report@example.com"`), tn.scim, nil).want(t, 200, "")
	if report.str("Resources|0|"+enterpriseURN+"|manager|value") != boss.str("id") {
		t.Fatalf("bulkId reference not resolved: %s", report.raw)
	}

	// failOnErrors 1: the first failure stops the request.
	r = bulk(1,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "bad", "data": scimUser("not-an-address", "A", "B", nil)},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "never", "data": scimUser("never@example.com", "N", "Ever", nil)},
	)
	if ops := r.body["Operations"].([]any); len(ops) != 1 || ops[0].(map[string]any)["status"] != "400" {
		t.Fatalf("failOnErrors: %s", r.raw)
	}
	s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName eq "never@example.com"`), tn.scim, nil).want(t, 200, "")
	if n := s.scimCall("GET", "/Users?count=0", tn.scim, nil).body["totalResults"].(float64); n != 2 {
		t.Fatalf("%v users after the bulk requests, want 2", n)
	}
	// A reference to a failed operation fails too; one to nothing is refused up front.
	r = bulk(0,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "x", "data": scimUser("bad address", "A", "B", nil)},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:x", "data": patchOp(map[string]any{"op": "replace", "path": "title", "value": "t"})},
	)
	if ops := r.body["Operations"].([]any); len(ops) != 2 || ops[1].(map[string]any)["status"] != "409" {
		t.Fatalf("reference to a failed operation: %s", r.raw)
	}
	s.scimCall("POST", "/Bulk", tn.scim, map[string]any{"Operations": []any{map[string]any{"method": "DELETE", "path": "/Users/bulkId:nobody"}}}).
		want(t, 400, "invalidSyntax")
}

// TestSCIMAuthAndTenantIsolation: only scim (and admin) tokens reach SCIM, a
// scim token reaches nothing else, and a tenant's token never sees, changes
// or references another tenant's users.
func TestSCIMAuthAndTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	mine, theirs := newSCIMTenant(t, 10), newSCIMTenant(t, 10)
	victim := s.scimCall("POST", "/Users", theirs.scim, scimUser("victim@example.com", "Vic", "Tim", map[string]any{"externalId": "V-1"})).want(t, 201, "").str("id")
	me := s.scimCall("POST", "/Users", mine.scim, scimUser("me@example.com", "Me", "Me", nil)).want(t, 201, "").str("id")

	s.scimCall("GET", "/Users", "", nil).want(t, 401, "")
	if r := s.scimCall("GET", "/Users", "usr_bogus", nil).want(t, 401, ""); r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	reader := newTenant(t, 1).reader
	s.scimCall("GET", "/Users", reader, nil).want(t, 403, "")
	s.call("GET", "/v1/users", mine.scim, nil).want(t, 403, "forbidden")
	s.scimCall("GET", "/Users/"+me, mine.admin, nil).want(t, 200, "") // admin tokens may use SCIM too

	patch := patchOp(map[string]any{"op": "replace", "path": "title", "value": "pwned"})
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PUT", scimUser("victim@example.com", "P", "Wned", nil)}, {"PATCH", patch}, {"DELETE", nil}} {
		s.scimCall(c.method, "/Users/"+victim, mine.scim, c.body).want(t, 404, "")
	}
	for _, f := range []string{`id eq "` + victim + `"`, `userName eq "victim@example.com"`, `externalId eq "V-1"`, `userName pr`} {
		r := s.scimCall("GET", "/Users?filter="+url.QueryEscape(f), mine.scim, nil).want(t, 200, "")
		for _, res := range r.body["Resources"].([]any) {
			if res.(map[string]any)["id"] == victim {
				t.Fatalf("filter %s found the other tenant's user", f)
			}
		}
	}
	// Not as a manager either, directly or in a Bulk operation.
	s.scimCall("PATCH", "/Users/"+me, mine.scim, patchOp(map[string]any{"op": "add", "path": enterpriseURN + ":manager", "value": victim})).
		want(t, 400, "invalidValue")
	r := s.scimCall("POST", "/Bulk", mine.scim, map[string]any{"Operations": []any{
		map[string]any{"method": "DELETE", "path": "/Users/" + victim},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": scimUser("b@example.com", "B", "B",
			map[string]any{enterpriseURN: map[string]any{"manager": victim}})},
	}}).want(t, 200, "")
	ops := r.body["Operations"].([]any)
	if ops[0].(map[string]any)["status"] != "404" || ops[1].(map[string]any)["status"] != "400" {
		t.Fatalf("bulk across tenants: %s", r.raw)
	}
	// The other tenant's user is untouched.
	if v := s.scimCall("GET", "/Users/"+victim, theirs.scim, nil).want(t, 200, ""); v.get("title") != nil || v.str("meta|version") != `W/"1"` {
		t.Fatalf("victim changed: %s", v.raw)
	}
}

// TestSCIMDiscovery: the discovery endpoints say what is supported.
func TestSCIMDiscovery(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	spc := s.scimCall("GET", "/ServiceProviderConfig", "", nil).want(t, 200, "")
	for path, want := range map[string]any{"patch|supported": true, "bulk|supported": true, "filter|supported": true,
		"etag|supported": true, "sort|supported": false, "changePassword|supported": false, "filter|maxResults": 1000.0,
		"bulk|maxOperations": 1000.0, "authenticationSchemes|0|type": "oauthbearertoken"} {
		if spc.get(path) != want {
			t.Errorf("ServiceProviderConfig %s = %v, want %v", path, spc.get(path), want)
		}
	}
	schemas := s.scimCall("GET", "/Schemas", "", nil).want(t, 200, "")
	if schemas.body["totalResults"].(float64) != 3 {
		t.Fatalf("schemas: %s", schemas.raw)
	}
	core := s.scimCall("GET", "/Schemas/"+coreURN, "", nil).want(t, 200, "")
	names := map[string]bool{}
	for _, a := range core.body["attributes"].([]any) {
		names[a.(map[string]any)["name"].(string)] = true
	}
	for _, n := range []string{"userName", "name", "emails", "active", "externalId", "phoneNumbers", "addresses", "groups"} {
		if !names[n] {
			t.Errorf("core schema lacks %s", n)
		}
	}
	if names["password"] || names["roles"] {
		t.Errorf("core schema lists attributes the service does not keep: %v", names)
	}
	rt := s.scimCall("GET", "/ResourceTypes/User", "", nil).want(t, 200, "")
	if rt.str("endpoint") != "/Users" || rt.str("schemaExtensions|0|schema") != enterpriseURN {
		t.Fatalf("resource type: %s", rt.raw)
	}
	if g := s.scimCall("GET", "/ResourceTypes/Group", "", nil).want(t, 200, ""); g.str("endpoint") != "/Groups" {
		t.Fatalf("group resource type: %s", g.raw)
	}
	s.scimCall("GET", "/Groups", "", nil).want(t, 401, "")
}

// TestSCIMRateLimit: SCIM tokens are rate limited like the admin API's.
func TestSCIMRateLimit(t *testing.T) {
	t.Parallel()
	s := startService(t, "api", "API_RATE_LIMIT", "1", "API_RATE_BURST", "2")
	tn := newSCIMTenant(t, 1)
	s.scimCall("GET", "/Users", tn.scim, nil).want(t, 200, "")
	s.scimCall("GET", "/Users", tn.scim, nil).want(t, 200, "")
	if r := s.scimCall("GET", "/Users", tn.scim, nil).want(t, 429, ""); r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}
