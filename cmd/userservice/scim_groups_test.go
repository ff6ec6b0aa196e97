package main

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// TestSCIMGroupPush replays how Okta and Entra push groups: look up by
// displayName (Okta) or externalId (Entra), create with members, rename,
// add and remove members in batches (Entra's several operations in one
// PATCH, Okta's members[value eq] remove), list without members, delete.
// Each user's read-only groups attribute follows; deleting a user takes
// them out of their groups with an event each.
func TestSCIMGroupPush(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 20)
	var ids []string
	for i := range 6 {
		ids = append(ids, s.scimCall("POST", "/Users", tn.scim, scimUser(fmt.Sprintf("member%d@example.com", i), "M", fmt.Sprint(i), nil)).want(t, 201, "").str("id"))
	}
	byName := "/Groups?filter=" + url.QueryEscape(`displayName eq "Engineering"`)
	if r := s.scimCall("GET", byName, tn.scim, nil).want(t, 200, ""); r.body["totalResults"].(float64) != 0 {
		t.Fatalf("lookup before create: %s", r.raw)
	}
	created := s.scimCall("POST", "/Groups", tn.scim, map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering", "externalId": "entra-g-1",
		"members": []any{map[string]any{"value": ids[0]}, map[string]any{"value": ids[1]}},
	}).want(t, 201, "")
	gid := created.str("id")
	if created.header.Get("ETag") != `W/"1"` || members(created) != sorted(ids[0], ids[1]) {
		t.Fatalf("created: %s", created.raw)
	}
	for _, q := range []string{byName, "/Groups?filter=" + url.QueryEscape(`externalId eq "entra-g-1"`)} {
		if r := s.scimCall("GET", q, tn.scim, nil).want(t, 200, ""); r.str("Resources|0|id") != gid {
			t.Fatalf("lookup %s: %s", q, r.raw)
		}
	}
	// Entra: rename and batched member adds and removes in one PATCH.
	r := s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(
		map[string]any{"op": "Replace", "path": "displayName", "value": "Engineering (all)"},
		map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": ids[2]}, map[string]any{"value": ids[3]}}},
		map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": ids[4]}}},
		map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": ids[0]}}},
	)).want(t, 200, "")
	if r.str("displayName") != "Engineering (all)" || members(r) != sorted(ids[1], ids[2], ids[3], ids[4]) {
		t.Fatalf("Entra PATCH: %s", r.raw)
	}
	// Okta: remove one member by filter, replace with the id echoed back.
	r = s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(
		map[string]any{"op": "remove", "path": `members[value eq "` + ids[1] + `"]`},
		map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Eng"}},
	)).want(t, 200, "")
	if r.str("displayName") != "Eng" || members(r) != sorted(ids[2], ids[3], ids[4]) {
		t.Fatalf("Okta PATCH: %s", r.raw)
	}
	// The same PATCH again changes nothing: same version.
	v := r.str("meta|version")
	if again := s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Eng"})).want(t, 200, ""); again.str("meta|version") != v {
		t.Fatalf("a no-op PATCH moved the version: %s", again.raw)
	}
	// A user's groups attribute is read-only and follows.
	u := s.scimCall("GET", "/Users/"+ids[2], tn.scim, nil).want(t, 200, "")
	if u.str("groups|0|value") != gid || u.str("groups|0|display") != "Eng" {
		t.Fatalf("user's groups: %s", u.raw)
	}
	s.scimCall("PATCH", "/Users/"+ids[2], tn.scim, patchOp(map[string]any{"op": "add", "path": "groups", "value": []any{map[string]any{"value": gid}}})).want(t, 400, "mutability")
	list := s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName eq "member3@example.com"`), tn.scim, nil).want(t, 200, "")
	if list.str("Resources|0|groups|0|value") != gid {
		t.Fatalf("groups in a list: %s", list.raw)
	}
	// Deleting a member takes them out, with a group event of its own.
	s.scimCall("DELETE", "/Users/"+ids[3], tn.scim, nil).want(t, 204, "")
	g := s.scimCall("GET", "/Groups/"+gid, tn.scim, nil).want(t, 200, "")
	if members(g) != sorted(ids[2], ids[4]) {
		t.Fatalf("after a member's deletion: %s", g.raw)
	}
	// Bad input: an unknown member, a user of nobody, an unknown path, a stale If-Match.
	s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(map[string]any{"op": "add", "path": "members",
		"value": []any{map[string]any{"value": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}}})).want(t, 400, "invalidValue")
	s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(map[string]any{"op": "replace", "path": "owner", "value": "x"})).want(t, 400, "invalidPath")
	s.scimCall("PATCH", "/Groups/"+gid, tn.scim, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "x"}), "If-Match", `W/"1"`).want(t, 412, "")
	// Lists without members (Entra's excludedAttributes=members).
	if l := s.scimCall("GET", "/Groups?excludedAttributes=members", tn.scim, nil).want(t, 200, ""); l.get("Resources|0|members") != nil || l.str("Resources|0|id") != gid {
		t.Fatalf("list without members: %s", l.raw)
	}
	// PUT replaces.
	put := s.scimCall("PUT", "/Groups/"+gid, tn.scim, map[string]any{"displayName": "Eng", "members": []any{map[string]any{"value": ids[5]}}}).want(t, 200, "")
	if members(put) != sorted(ids[5]) || put.get("externalId") != nil {
		t.Fatalf("PUT: %s", put.raw)
	}
	// A user's id names no group, for reads and writes alike.
	s.scimCall("GET", "/Groups/"+ids[5], tn.scim, nil).want(t, 404, "")
	s.scimCall("PATCH", "/Groups/"+ids[5], tn.scim, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "x"})).want(t, 404, "")
	s.scimCall("DELETE", "/Groups/"+ids[5], tn.scim, nil).want(t, 404, "")
	// Delete; gone.
	s.scimCall("DELETE", "/Groups/"+gid, tn.scim, nil).want(t, 204, "")
	s.scimCall("GET", "/Groups/"+gid, tn.scim, nil).want(t, 404, "")
	if u := s.scimCall("GET", "/Users/"+ids[5], tn.scim, nil).want(t, 200, ""); len(u.get("groups").([]any)) != 0 {
		t.Fatalf("groups of a member of a deleted group: %s", u.raw)
	}
	s.call("GET", "/v1/users/"+gid+"/events", tn.admin, nil).want(t, 404, "") // a group is no user
	s.call("PATCH", "/v1/users/"+gid, tn.admin, map[string]any{"title": "x"}).want(t, 404, "not_found")
	s.call("DELETE", "/v1/users/"+gid, tn.admin, nil).want(t, 404, "not_found")
}

func members(r scimResponse) string {
	list, _ := r.get("members").([]any)
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i], _ = m.(map[string]any)["value"].(string)
	}
	return sorted(ids...)
}

func sorted(ids ...string) string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return strings.Join(out, " ")
}
