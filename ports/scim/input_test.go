package scim

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestPatchOperationsTouchOnlyWhatTheyName(t *testing.T) {
	start := fieldsOf(user.Snapshot{Email: "ada@x.io", Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace",
		Title: "Countess", Department: "R&D"}, Contacts: user.Contacts{Emails: []user.Email{{Value: "ada@x.io", Type: "work", Primary: true}}},
		Status: user.StatusActive})
	str := func(s string) *string { return &s }
	emails := func(list ...user.Email) *[]user.Email { return &list }
	phones := func(list ...user.PhoneNumber) *[]user.PhoneNumber { return &list }
	deactivated := user.StatusDeactivated
	work := user.Email{Value: "ada@x.io", Type: "work", Primary: true}
	cases := []struct {
		name string
		ops  []operation
		want user.Patch
	}{
		{"replace by path", []operation{{op: "replace", path: "name.givenName", value: "Augusta"}}, user.Patch{GivenName: str("Augusta")}},
		{"Entra's string boolean", []operation{{op: "replace", path: "active", value: "False"}}, user.Patch{Status: &deactivated}},
		{"no path, dotted and URN keys", []operation{{op: "add", value: map[string]any{
			"name.familyName": "King", enterpriseURN + ":department": "Ops", enterpriseURN + ":employeeNumber": "7"}}},
			user.Patch{FamilyName: str("King"), Department: str("Ops"), EmployeeNumber: str("7")}},
		{"remove", []operation{{op: "remove", path: "title"}}, user.Patch{Title: str("")}},
		{"userName apart from the e-mail", []operation{{op: "replace", path: "userName", value: "ada@corp.example"}},
			user.Patch{Username: str("ada@corp.example")}},
		{"manager as an object", []operation{{op: "add", path: enterpriseURN + ":manager", value: map[string]any{"value": "M"}}},
			user.Patch{ManagerID: str("M")}},
		{"value filter on the work e-mail", []operation{{op: "replace", path: `emails[type eq "work"].value`, value: "new@x.io"}},
			user.Patch{Emails: emails(user.Email{Value: "new@x.io", Type: "work", Primary: true})}},
		{"adding a home address keeps the work one", []operation{{op: "add", path: "emails",
			value: []any{map[string]any{"value": "home@x.io", "type": "home"}}}}, user.Patch{Emails: emails(work, user.Email{Value: "home@x.io", Type: "home"})}},
		{"a primary address takes over", []operation{{op: "add", path: "emails",
			value: []any{map[string]any{"value": "p@x.io", "primary": true}}}},
			user.Patch{Emails: emails(user.Email{Value: "ada@x.io", Type: "work"}, user.Email{Value: "p@x.io", Primary: true})}},
		{"Entra's phone number on a user who has none", []operation{{op: "add", path: `phoneNumbers[type eq "mobile"].value`, value: "+1 555"}},
			user.Patch{PhoneNumbers: phones(user.PhoneNumber{Value: "+1 555", Type: "mobile"})}},
		{"removing what a filter selects nothing of", []operation{{op: "remove", path: `phoneNumbers[type eq "fax"].value`}},
			user.Patch{}},
		{"an address part", []operation{{op: "add", path: `addresses[type eq "work"].locality`, value: "London"},
			{op: "replace", path: `addresses[type eq "work"].streetAddress`, value: "1 Main St"}},
			user.Patch{Addresses: &[]user.Address{{Type: "work", Locality: "London", StreetAddress: "1 Main St"}}}},
	}
	for _, c := range cases {
		in := newInput(cloneFields(start))
		for _, op := range c.ops {
			if err := applyOperation(in, op); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		got, err := patchOf(in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: patch %+v (%v), want %+v", c.name, got, err, c.want)
		}
	}
}

// Nothing is dropped in silence: an unknown path is invalidPath, a
// read-only one mutability.
func TestPatchRefusesWhatItCannotStore(t *testing.T) {
	for path, want := range map[string]string{
		"madeUp": "invalidPath", "name.nickname": "invalidPath", `foo[type eq "x"].value`: "invalidPath",
		`emails[type eq "work"].display2`: "invalidPath", enterpriseURN + ":badge": "invalidPath",
		"id": "mutability", "meta.created": "mutability", "groups": "mutability", enterpriseURN + ":manager.$ref": "mutability",
	} {
		in := newInput(fields{})
		err := applyOperation(in, operation{op: "replace", path: path, value: "x"})
		var se *scimError
		if !errors.As(err, &se) || se.status != 400 || se.scimType != want {
			t.Errorf("replace %s: %v, want 400 %s", path, err, want)
		}
	}
	// In a whole resource, read-only attributes are ignored and unknown ones refused.
	if _, err := fromResource(map[string]any{"userName": "a", "id": "x", "meta": map[string]any{}, "groups": []any{}, "password": "p"}, fields{}); err != nil {
		t.Errorf("read-only members and password: %v", err)
	}
	if _, err := fromResource(map[string]any{"userName": "a", "shoeSize": "9"}, fields{}); err == nil {
		t.Error("an unknown attribute was accepted")
	}
}

func cloneFields(f fields) fields {
	out := f
	out.multi = map[string][]element{}
	for k, list := range f.multi {
		for _, e := range list {
			c := element{}
			for kk, v := range e {
				c[kk] = v
			}
			out.multi[k] = append(out.multi[k], c)
		}
	}
	return out
}

func TestFromResourceTakesUserNameAndEmailsApart(t *testing.T) {
	body := map[string]any{"userName": "ada@corp.example", "emails": []any{map[string]any{"value": "b@x.io", "type": "work"}}}
	in, err := fromResource(body, fields{})
	if err != nil {
		t.Fatal(err)
	}
	in.defaultEmails()
	c, err := in.contacts()
	if err != nil || in.Username != "ada@corp.example" || !reflect.DeepEqual(c.Emails, []user.Email{{Value: "b@x.io", Type: "work"}}) {
		t.Fatalf("userName %q, emails %+v, %v", in.Username, c.Emails, err)
	}
	in, err = fromResource(map[string]any{"userName": "room-12"}, fields{})
	if err != nil || in.Username != "room-12" {
		t.Fatalf("a userName that is no address: %+v, %v", in, err)
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
			in := newInput(fieldsOf(user.Snapshot{Email: "a@x.io", Profile: user.Profile{GivenName: "A"}, Status: user.StatusActive}))
			for _, op := range ops {
				if err := applyOperation(in, op); err != nil {
					check(err)
					break
				}
			}
			_, err := patchOf(in)
			check(err)
		} else {
			check(err)
		}
		_, err = fromResource(body, fields{})
		check(err)
	})
}
