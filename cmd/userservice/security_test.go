package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/httpapi"
	"github.com/userservice/userservice/ports/scim"
)

// secRequest is one request of the security tests.
type secRequest struct {
	method, path string
	body         any // nil, a string (sent as is) or a value (sent as JSON)
	contentType  string
}

// routeCase says how the security tests call one route of the admin API.
type routeCase struct {
	// allowed are the roles that may call it; nil means public (no token).
	allowed []auth.Role
	// ok is the status an allowed caller gets on its own tenant's resources.
	ok int
	// build aims the request at tn's resources.
	build func(f *secFixture, tn *secTenant) secRequest
	// crossTenant, for routes that name no resource in their path (they act
	// on the caller's tenant), shows that a token of mine cannot reach
	// theirs through the body or the query. Routes with an {id} need none:
	// mine aiming at their id must get 404, checked for every such route.
	crossTenant func(t *testing.T, f *secFixture, mine, theirs *secTenant)
}

var (
	reader   = auth.RoleReader
	importer = auth.RoleImporter
	admin    = auth.RoleAdmin
	scimRole = auth.RoleSCIM

	allRoles  = []auth.Role{reader, importer, admin, scimRole}
	readers   = []auth.Role{reader, importer, admin}
	importers = []auth.Role{importer, admin}
	admins    = []auth.Role{admin}
	scimUsers = []auth.Role{scimRole, admin}
)

// routeCases has one entry per route of httpapi.Routes() and scim.Routes():
// a new route without one fails TestEverySecurityCaseMatchesARoute. Another
// port on the same server joins with its own Routes() in allRoutes and one
// entry per route here.
var routeCases = merged(apiRouteCases, scimRouteCases)

// apiRouteCases are the admin API's routes (ports/httpapi).
var apiRouteCases = map[string]routeCase{
	"GET /openapi.yaml":  {ok: 200, build: fixed("GET", "/openapi.yaml")},
	"HEAD /openapi.yaml": {ok: 200, build: fixed("HEAD", "/openapi.yaml")},

	"POST /v1/users": {allowed: admins, ok: 201, build: func(f *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/users", body: newUser(f.unique("new") + "@example.com")}
	}, crossTenant: createCannotReachTheirs},
	"POST /v1/groups": {allowed: admins, ok: 201, build: func(f *secFixture, _ *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/groups", body: map[string]any{"display_name": f.unique("g")}}
	}, crossTenant: groupCannotHaveTheirUser},
	"GET /v1/groups": {allowed: readers, ok: 200, build: fixed("GET", "/v1/groups"), crossTenant: groupListShowsOnlyMine},
	"GET /v1/groups/{id}": {allowed: readers, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: "/v1/groups/" + tn.groupID}
	}},
	"PATCH /v1/groups/{id}": {allowed: admins, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "PATCH", path: "/v1/groups/" + tn.groupID, body: map[string]any{"display_name": f.unique("g")}}
	}},
	"DELETE /v1/groups/{id}": {allowed: admins, ok: 204, build: func(f *secFixture, tn *secTenant) secRequest {
		id := f.s.call("POST", "/v1/groups", tn.token[auth.RoleAdmin], map[string]any{"display_name": f.unique("doomed")}).want(f.t, 201, "").str("id")
		return secRequest{method: "DELETE", path: "/v1/groups/" + id}
	}},
	"GET /v1/users": {allowed: readers, ok: 200, build: fixed("GET", "/v1/users"), crossTenant: listShowsOnlyMine},
	"GET /v1/users/{id}": {allowed: readers, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: "/v1/users/" + tn.userID}
	}},
	"PATCH /v1/users/{id}": {allowed: admins, ok: 200, build: func(f *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "PATCH", path: "/v1/users/" + tn.userID, body: map[string]any{"title": f.unique("t")},
			contentType: "application/merge-patch+json"}
	}},
	"DELETE /v1/users/{id}": {allowed: admins, ok: 204, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "DELETE", path: "/v1/users/" + tn.doomed()}
	}},
	"POST /v1/users/{id}/deactivate": {allowed: admins, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/users/" + tn.userID + "/deactivate", body: map[string]any{"reason": "test"}}
	}},
	"POST /v1/users/{id}/reactivate": {allowed: admins, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/users/" + tn.userID + "/reactivate"}
	}},
	"GET /v1/users/{id}/events": {allowed: readers, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: "/v1/users/" + tn.userID + "/events"}
	}},
	// Erasure and a person's data export are the admin's alone: the export
	// holds everything kept about the person, so readers do not get it.
	"POST /v1/users/{id}/erase": {allowed: admins, ok: 204, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/users/" + tn.doomed() + "/erase", body: map[string]any{"basis": "gdpr_art17"}}
	}},
	"GET /v1/users/{id}/export": {allowed: admins, ok: 200, build: func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "GET", path: "/v1/users/" + tn.userID + "/export"}
	}},

	"POST /v1/imports": {allowed: importers, ok: 202, build: func(f *secFixture, tn *secTenant) secRequest {
		// No rows, so no importer of another test changes the tenant later.
		return secRequest{method: "POST", path: "/v1/imports", contentType: "text/csv", body: "external_id,email,given_name,family_name\n"}
	}, crossTenant: importJobIsMine},
	"GET /v1/imports/{id}":          {allowed: importers, ok: 200, build: jobRoute("GET", "")},
	"GET /v1/imports/{id}/failures": {allowed: importers, ok: 200, build: jobRoute("GET", "/failures")},
	"GET /v1/imports/{id}/parked":   {allowed: importers, ok: 200, build: jobRoute("GET", "/parked")},
	"POST /v1/imports/{id}/retry":   {allowed: importers, ok: 202, build: jobRoute("POST", "/retry")},

	"GET /v1/notification-settings": {allowed: admins, ok: 200, build: fixed("GET", "/v1/notification-settings"),
		crossTenant: settingsReadAreMine},
	"PUT /v1/notification-settings": {allowed: admins, ok: 204, build: func(f *secFixture, tn *secTenant) secRequest {
		return secRequest{method: "PUT", path: "/v1/notification-settings", body: map[string]any{
			"emails": []string{f.unique("ops") + "@example.com"}, "webhook_url": tn.webhook, "webhook_secret": "0123456789abcdef"}}
	}, crossTenant: settingsAreMine},

	"GET /v1/tenant": {allowed: readers, ok: 200, build: fixed("GET", "/v1/tenant"), crossTenant: tenantIsMine},
	"GET /v1/tokens": {allowed: admins, ok: 200, build: fixed("GET", "/v1/tokens"), crossTenant: tokensAreMine},
	"POST /v1/tokens": {allowed: admins, ok: 201, build: func(_ *secFixture, _ *secTenant) secRequest {
		return secRequest{method: "POST", path: "/v1/tokens", body: map[string]any{"role": "reader", "ttl_hours": 1}}
	}, crossTenant: tokensAreMine},
	"GET /v1/me": {allowed: readers, ok: 200, build: fixed("GET", "/v1/me"), crossTenant: meIsMine},

	"DELETE /v1/tokens/{id}": {allowed: admins, ok: 204, build: func(f *secFixture, tn *secTenant) secRequest {
		_, spare := f.issue(tn.id, auth.RoleReader) // revoke a spare one, not the caller's
		return secRequest{method: "DELETE", path: "/v1/tokens/" + spare}
	}},
}

// allRoutes is every route the userservice process serves on HTTP_ADDR
// besides the ops endpoints (/healthz, /readyz, /metrics: no tenant data).
func allRoutes(t *testing.T) []httpapi.Route {
	t.Helper()
	api, err := httpapi.Routes()
	if err != nil {
		t.Fatal(err)
	}
	scimRoutes, err := scim.Routes()
	if err != nil {
		t.Fatal(err)
	}
	return append(api, scimRoutes...)
}

func merged(sets ...map[string]routeCase) map[string]routeCase {
	all := map[string]routeCase{}
	for _, set := range sets {
		for k, v := range set {
			all[k] = v
		}
	}
	return all
}

func fixed(method, path string) func(*secFixture, *secTenant) secRequest {
	return func(*secFixture, *secTenant) secRequest { return secRequest{method: method, path: path} }
}

func jobRoute(method, suffix string) func(*secFixture, *secTenant) secRequest {
	return func(_ *secFixture, tn *secTenant) secRequest {
		return secRequest{method: method, path: "/v1/imports/" + tn.jobID + suffix}
	}
}

func (f *secFixture) send(token string, r secRequest) response {
	f.t.Helper()
	var headers []string
	if r.contentType != "" {
		headers = []string{"Content-Type", r.contentType}
	}
	return f.s.call(r.method, r.path, token, r.body, headers...)
}

// TestEverySecurityCaseMatchesARoute is the guard: every route the router
// serves has a case (so a new endpoint must say who may call it and how it
// stays inside its tenant), and every case names a real route.
func TestEverySecurityCaseMatchesARoute(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range allRoutes(t) {
		key := r.String()
		seen[key] = true
		c, ok := routeCases[key]
		if !ok {
			t.Errorf("route %s has no security case in routeCases: say which role may call it and how it stays in its tenant", key)
			continue
		}
		if c.allowed != nil && !strings.Contains(r.Path, "{") && c.crossTenant == nil {
			t.Errorf("route %s names no resource in its path, so it needs a crossTenant check", key)
		}
	}
	for key := range routeCases {
		if !seen[key] {
			t.Errorf("routeCases has %s, which the router does not serve", key)
		}
	}
}

// TestTenantIsolationOnEveryRoute aims a token of one tenant, of every role,
// at the other tenant's user, manager, import job and token through every
// route, then checks that nothing of the other tenant changed.
func TestTenantIsolationOnEveryRoute(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	f := newSecFixture(t, s)
	mine, theirs := f.newSecTenant("mine"), f.newSecTenant("theirs")
	before := readTenantState(t, theirs.id)

	for _, r := range allRoutes(t) {
		c := routeCases[r.String()]
		if c.build == nil || c.allowed == nil {
			continue // no case (reported by the guard test) or public
		}
		t.Run(r.String(), func(t *testing.T) {
			if c.crossTenant != nil {
				c.crossTenant(t, f, mine, theirs)
			}
			if !strings.Contains(r.Path, "{") {
				return
			}
			for _, role := range allRoles {
				req := c.build(f, theirs)
				got := f.send(mine.token[role], req)
				// A role not allowed on the route may learn that (403) but
				// nothing about the other tenant's resource.
				if slices.Contains(c.allowed, role) {
					wantRefused(t, r, got, 404)
				} else if got.status != 403 && got.status != 404 {
					t.Fatalf("%s with mine's %s token: status %d: %s", req.path, role, got.status, got.raw)
				}
				for _, secret := range []string{theirs.email, "theirs-"} {
					if strings.Contains(got.raw, secret) {
						t.Fatalf("%s %s leaked %q: %s", req.method, req.path, secret, got.raw)
					}
				}
			}
		})
	}

	if after := readTenantState(t, theirs.id); after != before {
		t.Fatalf("the other tenant changed:\nbefore %+v\nafter  %+v", before, after)
	}
	for role, token := range theirs.token { // none of their tokens was revoked
		path := "/v1/users/"
		if role == scimRole {
			path = scim.Prefix + "/Users/"
		}
		s.call("GET", path+theirs.userID, token, nil).want(t, 200, "")
	}
}

// wantRefused checks a refusal in the route's port's error format: a problem
// with a stable code for the admin API, a SCIM error for SCIM.
func wantRefused(t *testing.T, r httpapi.Route, got response, status int) {
	t.Helper()
	if strings.HasPrefix(r.Path, scim.Prefix) {
		scimResponse(got).want(t, status, "")
		return
	}
	code := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found"}[status]
	got.want(t, status, code)
}

// createCannotReachTheirs: a new user of mine may not name their user as
// manager; their e-mail and external id are free in my tenant (uniqueness is
// per tenant) and make a new user of mine, leaving theirs alone.
func createCannotReachTheirs(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	tok := mine.token[admin]
	f.s.call("POST", "/v1/users", tok, map[string]any{"email": f.unique("m") + "@example.com", "given_name": "M",
		"family_name": "M", "manager_id": theirs.userID}).want(t, 422, "manager_not_found")
	twin := f.s.call("POST", "/v1/users", tok, map[string]any{"email": theirs.email, "given_name": "Twin",
		"family_name": "Mine", "external_id": "theirs-VIC"}).want(t, 201, "")
	if twin.str("id") == theirs.userID {
		t.Fatalf("creating with their e-mail returned their user %s", theirs.userID)
	}
	f.s.call("PATCH", "/v1/users/"+twin.str("id"), tok, map[string]any{"manager_id": theirs.managerID}).
		want(t, 422, "manager_not_found")
}

// listShowsOnlyMine: no filter lists a user of theirs.
func listShowsOnlyMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	for _, q := range []string{"", "?email=" + theirs.email, "?external_id=theirs-VIC", "?department=theirs", "?limit=500"} {
		list := f.s.call("GET", "/v1/users"+q, mine.token[reader], nil).want(t, 200, "")
		for _, u := range list.body["users"].([]any) {
			id := u.(map[string]any)["id"]
			if id == theirs.userID || id == theirs.managerID {
				t.Fatalf("GET /v1/users%s listed their user %v", q, id)
			}
		}
	}
}

// importJobIsMine: an upload naming their people makes a job of mine, which
// they cannot see.
func importJobIsMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	job := f.s.call("POST", "/v1/imports", mine.token[importer], "external_id,email,given_name,family_name,manager_external_id\n"+
		"theirs-VIC,"+theirs.email+",Vic,Mine,theirs-BOSS\n", "Content-Type", "text/csv").want(t, 202, "")
	f.s.call("GET", "/v1/imports/"+job.str("id"), theirs.token[admin], nil).want(t, 404, "not_found")
	f.s.call("GET", "/v1/imports/"+job.str("id"), mine.token[importer], nil).want(t, 200, "")
}

// settingsAreMine: PUT replaces the caller's settings only.
func settingsAreMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	f.s.call("PUT", "/v1/notification-settings", mine.token[admin], map[string]any{"emails": []string{theirs.email},
		"webhook_url": "http://127.0.0.1:9/mine-other", "webhook_secret": "fedcba9876543210"}).want(t, 204, "")
}

// settingsReadAreMine: theirs has settings of its own (the fixture stores
// them); mine reads only mine.
func settingsReadAreMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	f.s.call("PUT", "/v1/notification-settings", mine.token[admin], map[string]any{"emails": []string{"mine@example.com"}}).want(t, 204, "")
	got := f.s.call("GET", "/v1/notification-settings", mine.token[admin], nil).want(t, 200, "")
	if strings.Contains(got.raw, "theirs") || !strings.Contains(got.raw, "mine@") {
		t.Fatalf("GET /v1/notification-settings: %s", got.raw)
	}
}

// meIsMine: /v1/me names the caller's own tenant, never theirs.
func meIsMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	me := f.s.call("GET", "/v1/me", mine.token[reader], nil).want(t, 200, "")
	if me.str("tenant_id") != mine.id || me.str("tenant_id") == theirs.id || me.str("role") != "reader" {
		t.Fatalf("GET /v1/me: %s", me.raw)
	}
}

// tenantIsMine: /v1/tenant shows the caller's tenant only.
func tenantIsMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	tn := f.s.call("GET", "/v1/tenant", mine.token[reader], nil).want(t, 200, "")
	if tn.str("id") != mine.id || tn.str("id") == theirs.id {
		t.Fatalf("GET /v1/tenant: %s", tn.raw)
	}
}

// tokensAreMine: a token created by mine authenticates as mine, and the list
// of mine holds none of theirs.
func tokensAreMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	created := f.s.call("POST", "/v1/tokens", mine.token[admin], map[string]any{"role": "reader"}).want(t, 201, "")
	me := f.s.call("GET", "/v1/me", created.str("token"), nil).want(t, 200, "")
	if me.str("tenant_id") != mine.id {
		t.Fatalf("a token created by mine belongs to %s", me.str("tenant_id"))
	}
	list := f.s.call("GET", "/v1/tokens", mine.token[admin], nil).want(t, 200, "")
	for _, tok := range list.body["tokens"].([]any) {
		id := tok.(map[string]any)["id"]
		for _, theirID := range theirs.tokenID {
			if id == theirID {
				t.Fatalf("GET /v1/tokens lists their token %v", id)
			}
		}
	}
}

// TestRolesOnEveryRoute calls every route with no token, with each role and
// with a revoked token, on the caller's own tenant: a role below the route's
// is 403 and changes nothing, an allowed one gets the route's success status.
func TestRolesOnEveryRoute(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	f := newSecFixture(t, s)
	tn := f.newSecTenant("roles")
	revoked, revokedID := f.issue(tn.id, admin)
	s.call("DELETE", "/v1/tokens/"+revokedID, tn.token[admin], nil).want(t, 204, "")
	s.call("DELETE", "/v1/tokens/"+revokedID, tn.token[admin], nil).want(t, 204, "") // again: harmless

	for _, r := range allRoutes(t) {
		c, ok := routeCases[r.String()]
		if !ok {
			continue // reported by the guard test
		}
		t.Run(r.String(), func(t *testing.T) {
			if c.allowed == nil {
				f.send("", c.build(f, tn)).want(t, c.ok, "")
				return
			}
			wantRefused(t, r, f.send("", c.build(f, tn)), http.StatusUnauthorized)
			wantRefused(t, r, f.send(revoked, c.build(f, tn)), http.StatusUnauthorized)
			wantRefused(t, r, f.send("usr_"+strings.Repeat("A", 43), c.build(f, tn)), http.StatusUnauthorized)
			for _, role := range allRoles {
				before := readTenantState(t, tn.id)
				got := f.send(tn.token[role], c.build(f, tn))
				if slices.Contains(c.allowed, role) {
					got.want(t, c.ok, "")
					continue
				}
				wantRefused(t, r, got, http.StatusForbidden)
				if after := readTenantState(t, tn.id); after != before {
					t.Fatalf("a forbidden %s by %s changed the tenant:\nbefore %+v\nafter  %+v", r, role, before, after)
				}
			}
		})
	}
}

// groupListShowsOnlyMine: no group list or filter shows a group of theirs.
func groupListShowsOnlyMine(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	for _, q := range []string{"", "?display_name=theirs-group", "?external_id=theirs-GRP"} {
		r := f.s.call("GET", "/v1/groups"+q, mine.token[auth.RoleReader], nil).want(t, 200, "")
		for _, g := range r.body["groups"].([]any) {
			if g.(map[string]any)["id"] == theirs.groupID {
				t.Fatalf("GET /v1/groups%s showed their group", q)
			}
		}
	}
}

// groupCannotHaveTheirUser: a group of mine cannot get their user as a member.
func groupCannotHaveTheirUser(t *testing.T, f *secFixture, mine, theirs *secTenant) {
	f.s.call("POST", "/v1/groups", mine.token[auth.RoleAdmin], map[string]any{"display_name": f.unique("x"),
		"members": []string{theirs.userID}}).want(t, 422, "member_not_found")
	f.s.call("PATCH", "/v1/groups/"+mine.groupID, mine.token[auth.RoleAdmin], map[string]any{
		"add_members": []string{theirs.userID}}).want(t, 422, "member_not_found")
}
