package main

import (
	"net/url"
	"testing"

	"github.com/userservice/userservice/ports/scim"
)

// scimRouteCases are the SCIM port's routes (ports/scim): the discovery
// endpoints are public, the rest need a scim or admin token.
var scimRouteCases = map[string]routeCase{
	"GET /scim/v2/ServiceProviderConfig": {ok: 200, build: fixed("GET", scim.Prefix+"/ServiceProviderConfig")},
	"GET /scim/v2/Schemas":               {ok: 200, build: fixed("GET", scim.Prefix+"/Schemas")},
	"GET /scim/v2/Schemas/{id}":          {ok: 200, build: fixed("GET", scim.Prefix+"/Schemas/"+coreURN)},
	"GET /scim/v2/ResourceTypes":         {ok: 200, build: fixed("GET", scim.Prefix+"/ResourceTypes")},
	"GET /scim/v2/ResourceTypes/{id}":    {ok: 200, build: fixed("GET", scim.Prefix+"/ResourceTypes/User")},

	"GET /scim/v2/Users": {allowed: scimUsers, ok: 200, build: fixed("GET", scim.Prefix+"/Users"), crossTenant: scimFindsOnlyMine},
	"POST /scim/v2/Users": {allowed: scimUsers, ok: 201, build: func(f *secFixture, _ *secTenant) secRequest {
		return scimRequest("POST", "/Users", scimUser(f.unique("scim")+"@example.com", "S", "Cim", nil))
	}, crossTenant: scimCreateCannotReachTheirs},
	"POST /scim/v2/Users/.search": {allowed: scimUsers, ok: 200, build: func(*secFixture, *secTenant) secRequest {
		return scimRequest("POST", "/Users/.search", map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}})
	}, crossTenant: scimFindsOnlyMine},
	"GET /scim/v2/Users/{id}": {allowed: scimUsers, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: scim.Prefix + "/Users/" + tn.userID}
	}},
	"PUT /scim/v2/Users/{id}": {allowed: scimUsers, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return scimRequest("PUT", "/Users/"+tn.userID, scimUser(tn.email, "Vic", f.unique("Put"), nil))
	}},
	"PATCH /scim/v2/Users/{id}": {allowed: scimUsers, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return scimRequest("PATCH", "/Users/"+tn.userID, patchOp(map[string]any{"op": "replace", "path": "title", "value": f.unique("t")}))
	}},
	"DELETE /scim/v2/Users/{id}": {allowed: scimUsers, ok: 204, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "DELETE", path: scim.Prefix + "/Users/" + tn.doomed()}
	}},
	"GET /scim/v2/Groups": {allowed: scimUsers, ok: 200, build: fixed("GET", scim.Prefix+"/Groups"), crossTenant: scimFindsOnlyMyGroups},
	"POST /scim/v2/Groups": {allowed: scimUsers, ok: 201, build: func(f *secFixture, _ *secTenant) secRequest {
		return scimRequest("POST", "/Groups", map[string]any{"displayName": f.unique("grp")})
	}, crossTenant: scimGroupCannotHaveTheirUser},
	"GET /scim/v2/Groups/{id}": {allowed: scimUsers, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: scim.Prefix + "/Groups/" + tn.groupID}
	}},
	"PUT /scim/v2/Groups/{id}": {allowed: scimUsers, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return scimRequest("PUT", "/Groups/"+tn.groupID, map[string]any{"displayName": f.unique("put"),
			"members": []any{map[string]any{"value": tn.userID}}})
	}},
	"PATCH /scim/v2/Groups/{id}": {allowed: scimUsers, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return scimRequest("PATCH", "/Groups/"+tn.groupID, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": f.unique("g")}))
	}},
	"DELETE /scim/v2/Groups/{id}": {allowed: scimUsers, ok: 204, build: func(f *secFixture, tn *secTenant) secRequest {
		id := f.s.call("POST", scim.Prefix+"/Groups", tn.token[scimRole], map[string]any{"displayName": f.unique("doomed")},
			"Content-Type", "application/scim+json").want(f.t, 201, "").str("id")
		return secRequest{method: "DELETE", path: scim.Prefix + "/Groups/" + id}
	}},
	"POST /scim/v2/Bulk": {allowed: scimUsers, ok: 200, build: func(f *secFixture, _ *secTenant) secRequest {
		return scimRequest("POST", "/Bulk", map[string]any{"Operations": []any{map[string]any{"method": "POST", "path": "/Users",
			"bulkId": "b1", "data": scimUser(f.unique("bulk")+"@example.com", "B", "Ulk", nil)}}})
	}, crossTenant: scimBulkCannotReachTheirs},
}

func scimRequest(method, path string, body any) secRequest {
	return secRequest{method: method, path: scim.Prefix + path, body: body, contentType: "application/scim+json"}
}

// scimFindsOnlyMine: no filter of a list or search finds a user of theirs.
func scimFindsOnlyMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	for _, filter := range []string{`id eq "` + theirs.userID + `"`, `userName eq "` + theirs.email + `"`,
		`externalId eq "theirs-VIC"`, `userName pr`} {
		lists := []response{
			f.s.call("GET", scim.Prefix+"/Users?filter="+url.QueryEscape(filter), mine.token[scimRole], nil),
			f.send(mine.token[scimRole], scimRequest("POST", "/Users/.search", map[string]any{
				"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": filter})),
		}
		for _, list := range lists {
			list.want(t, 200, "")
			resources, _ := list.body["Resources"].([]any)
			for _, res := range resources {
				if id := res.(map[string]any)["id"]; id == theirs.userID || id == theirs.managerID {
					t.Fatalf("SCIM filter %s found their user %v", filter, id)
				}
			}
		}
	}
}

// scimCreateCannotReachTheirs: a SCIM user of mine cannot have their user as
// manager.
func scimCreateCannotReachTheirs(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	r := f.send(mine.token[scimRole], scimRequest("POST", "/Users", scimUser(f.unique("m")+"@example.com", "M", "M",
		map[string]any{enterpriseURN: map[string]any{"manager": theirs.managerID}})))
	scimResponse(r).want(t, 400, "invalidValue")
}

// scimBulkCannotReachTheirs: every operation of a Bulk request on their user
// is not found.
func scimBulkCannotReachTheirs(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	r := f.send(mine.token[scimRole], scimRequest("POST", "/Bulk", map[string]any{"Operations": []any{
		map[string]any{"method": "PATCH", "path": "/Users/" + theirs.userID,
			"data": patchOp(map[string]any{"op": "replace", "path": "title", "value": "pwned"})},
		map[string]any{"method": "PUT", "path": "/Users/" + theirs.userID, "data": scimUser(theirs.email, "P", "Wned", nil)},
		map[string]any{"method": "DELETE", "path": "/Users/" + theirs.userID},
	}})).want(t, 200, "")
	for i, op := range r.body["Operations"].([]any) {
		if status := op.(map[string]any)["status"]; status != "404" {
			t.Fatalf("bulk operation %d on their user: status %v: %s", i, status, r.raw)
		}
	}
}

// scimFindsOnlyMyGroups: no group filter finds a group of theirs.
func scimFindsOnlyMyGroups(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	for _, filter := range []string{`displayName eq "theirs-group"`, `externalId eq "theirs-GRP"`, ``} {
		list := f.s.call("GET", scim.Prefix+"/Groups?filter="+url.QueryEscape(filter), mine.token[scimRole], nil).want(t, 200, "")
		resources, _ := list.body["Resources"].([]any)
		for _, res := range resources {
			if id := res.(map[string]any)["id"]; id == theirs.groupID {
				t.Fatalf("group filter %q found their group", filter)
			}
		}
	}
}

// scimGroupCannotHaveTheirUser: a group of mine cannot get their user as a member.
func scimGroupCannotHaveTheirUser(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	r := f.send(mine.token[scimRole], scimRequest("POST", "/Groups", map[string]any{"displayName": f.unique("x"),
		"members": []any{map[string]any{"value": theirs.userID}}}))
	scimResponse(r).want(t, 400, "invalidValue")
	r = f.send(mine.token[scimRole], scimRequest("PATCH", "/Groups/"+mine.groupID, patchOp(map[string]any{"op": "add",
		"path": "members", "value": []any{map[string]any{"value": theirs.userID}}})))
	scimResponse(r).want(t, 400, "invalidValue")
}
