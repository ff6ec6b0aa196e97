package scim

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestPatchOperationsTouchOnlyWhatTheyName(t *testing.T) {
	start := fields{Email: "ada@x.io", GivenName: "Ada", FamilyName: "Lovelace", Title: "Countess", Department: "R&D", Active: true}
	str := func(s string) *string { return &s }
	deactivated := user.StatusDeactivated
	cases := []struct {
		name string
		ops  []operation
		want user.Patch
	}{
		{"replace by path", []operation{{op: "replace", path: "name.givenName", value: "Augusta"}}, user.Patch{GivenName: str("Augusta")}},
		{"Entra's string boolean", []operation{{op: "replace", path: "active", value: "False"}}, user.Patch{Status: &deactivated}},
		{"no path, dotted and URN keys", []operation{{op: "add", value: map[string]any{
			"name.familyName": "King", enterpriseURN + ":department": "Ops", "employeeNumber": "7"}}},
			user.Patch{FamilyName: str("King"), Department: str("Ops")}},
		{"remove", []operation{{op: "remove", path: "title"}}, user.Patch{Title: str("")}},
		{"manager as an object", []operation{{op: "add", path: enterpriseURN + ":manager", value: map[string]any{"value": "M"}}},
			user.Patch{ManagerID: str("M")}},
		{"value filter on the work e-mail", []operation{{op: "replace", path: `emails[type eq "work"].value`, value: "new@x.io"}},
			user.Patch{Email: str("new@x.io")}},
		{"adding a home address keeps the work one", []operation{{op: "add", path: "emails",
			value: []any{map[string]any{"value": "home@x.io", "type": "home"}}}}, user.Patch{}},
		{"a primary address replaces it", []operation{{op: "add", path: "emails",
			value: []any{map[string]any{"value": "home@x.io", "type": "home"}, map[string]any{"value": "p@x.io", "primary": true}}}},
			user.Patch{Email: str("p@x.io")}},
		{"unknown multi-valued attributes are ignored", []operation{{op: "add", path: `phoneNumbers[type eq "work"].value`, value: "1"}}, user.Patch{}},
	}
	for _, c := range cases {
		in := newInput(start)
		for _, op := range c.ops {
			if err := applyOperation(in, op); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if in.set["emails"] {
			in.Email, in.set["email"] = in.emailsValue, true
		}
		if got := patchOf(in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: patch %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestFromResourceKeepsOneAddress(t *testing.T) {
	body := map[string]any{"userName": "a@x.io", "emails": []any{map[string]any{"value": "b@x.io", "type": "work"}}}
	if _, err := fromResource(body, fields{}); err == nil {
		t.Fatal("a userName and a different work e-mail were accepted")
	}
	body["emails"] = []any{map[string]any{"value": "A@X.io", "type": "work"}}
	if in, err := fromResource(body, fields{}); err != nil || in.Email != "a@x.io" {
		t.Fatalf("same address in another case: %+v, %v", in, err)
	}
	delete(body, "userName")
	if in, err := fromResource(body, fields{}); err != nil || in.Email != "A@X.io" {
		t.Fatalf("emails alone: %+v, %v", in, err)
	}
	if _, err := fromResource(map[string]any{"name": map[string]any{"givenName": "x"}}, fields{}); err == nil {
		t.Fatal("no userName accepted")
	}
}

func TestAttributeSelection(t *testing.T) {
	res := map[string]any{"schemas": []any{coreUserURN}, "id": "1", "userName": "a@x.io",
		"name":   map[string]any{"givenName": "A", "familyName": "B"},
		"emails": []any{map[string]any{"value": "a@x.io", "type": "work"}},
		"meta":   map[string]any{"version": `W/"1"`}, enterpriseURN: map[string]any{"department": "D", "manager": map[string]any{"value": "m"}}}
	got := projectRequested(res, "USERNAME,name.givenName,emails.value,"+enterpriseURN+":department", "")
	want := map[string]any{"schemas": []any{coreUserURN}, "id": "1", "userName": "a@x.io", "name": map[string]any{"givenName": "A"},
		"emails": []any{map[string]any{"value": "a@x.io"}}, enterpriseURN: map[string]any{"department": "D"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attributes:\n got %v\nwant %v", got, want)
	}
	got = projectRequested(res, "", "id,meta,name.familyName,"+enterpriseURN)
	if got["id"] != "1" || got["meta"] != nil || got[enterpriseURN] != nil || !reflect.DeepEqual(got["name"], map[string]any{"givenName": "A"}) {
		t.Errorf("excludedAttributes: %v", got)
	}
	if res["name"].(map[string]any)["familyName"] != "B" {
		t.Error("projection changed the resource it read")
	}
}

func TestBulkReferences(t *testing.T) {
	op := bulkOp{path: "/Users/bulkId:boss", data: map[string]any{"a": []any{"bulkId:boss2", map[string]any{"m": "bulkId:x"}}}}
	got := bulkRefs(op)
	sort.Strings(got)
	if !reflect.DeepEqual(got, []string{"boss", "boss2", "x"}) {
		t.Fatalf("refs %v", got)
	}
	created := map[string]string{"boss": "id-1", "boss2": "id-2"}
	if got := substitute("/Users/bulkId:boss", created); got != "/Users/id-1" {
		t.Errorf("path: %v", got)
	}
	if got := substitute("bulkId:boss2", created); got != "id-2" {
		t.Errorf("a longer id that shares a prefix: %v", got)
	}
	if got := substitute("bulkId:unknown", created); got != "bulkId:unknown" {
		t.Errorf("unknown: %v", got)
	}
}

// FuzzPatchAndResource: any JSON body, read as a PatchOp or as a whole User,
// either turns into a domain patch or is refused with a 400; nothing panics.
func FuzzPatchAndResource(f *testing.F) {
	for _, seed := range []string{
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"add","value":{"name.givenName":"A","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"x"}}}}]}`,
		`{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@x.io"}]}`,
		`{"userName":"a@x.io","emails":[{"value":"a@x.io","primary":true}],"name":{"givenName":"A","familyName":"B"}}`,
		`{"Operations":[{"op":"remove","path":"emails[value co \"@\"]"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		body, err := decodeObject(raw)
		if err != nil {
			return
		}
		check := func(err error) {
			var se *scimError
			if err != nil && (!errors.As(err, &se) || se.status != 400) {
				t.Fatalf("%s: %v", raw, err)
			}
		}
		if ops, err := patchOperations(body); err == nil {
			in := newInput(fields{Email: "a@x.io", GivenName: "A", FamilyName: "B", Active: true})
			for _, op := range ops {
				if err := applyOperation(in, op); err != nil {
					check(err)
					break
				}
			}
			_ = patchOf(in)
		} else {
			check(err)
		}
		_, err = fromResource(body, fields{})
		check(err)
	})
}
