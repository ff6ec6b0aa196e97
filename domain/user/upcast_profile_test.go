package user_test

import (
	"reflect"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// A registration stored before usernames and address lists reads as one
// made today would be: no username of its own (so it is the address), the
// list has the address as its one primary entry, the rest is kept.
func TestRegisteredV1IsUpcastToTheCurrentVersion(t *testing.T) {
	stored := `{"tenant_id":"t1","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace","title":"Countess"}`
	up := user.EventUpcasters()
	typ, data, err := up.Upcast(user.TypeRegisteredV1, []byte(stored))
	if err != nil || typ != user.TypeRegistered {
		t.Fatalf("Upcast = %q, %v; want %q", typ, err, user.TypeRegistered)
	}
	got, err := user.DecodeEvent(typ, data)
	want := user.Registered{TenantID: "t1", Email: "ada@example.com",
		Profile:  user.Profile{GivenName: "Ada", FamilyName: "Lovelace", Title: "Countess"},
		Contacts: user.Contacts{Emails: []user.Email{{Value: "ada@example.com", Primary: true}}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %s as %#v, %v; want %#v", data, got, err, want)
	}
}

// A v1 profile change is a v2 one with the same changes.
func TestProfileChangedV1IsUpcastToTheCurrentVersion(t *testing.T) {
	up := user.EventUpcasters()
	typ, data, err := up.Upcast(user.TypeProfileChangedV1, []byte(`{"changes":{"given_name":{"old":"Ada","new":"Augusta"}}}`))
	if err != nil || typ != user.TypeProfileChanged {
		t.Fatalf("Upcast = %q, %v; want %q", typ, err, user.TypeProfileChanged)
	}
	got, err := user.DecodeEvent(typ, data)
	want := user.ProfileChanged{Changes: map[string]user.Change{"given_name": {Old: "Ada", New: "Augusta"}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %s as %#v, %v; want %#v", data, got, err, want)
	}
}

// A stream stored in the old shapes replays into the new one: the
// username stays the registered address, the list follows the primary.
func TestOldStreamReplaysIntoTheNewShape(t *testing.T) {
	up := user.EventUpcasters()
	stored := []struct{ typ, data string }{
		{user.TypeRegisteredV1, `{"tenant_id":"t1","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace"}`},
		{user.TypeProfileChangedV1, `{"changes":{"title":{"old":"","new":"Countess"}}}`},
		{user.TypeEmailChanged, `{"old_email":"ada@example.com","new_email":"ada@lovelace.org"}`},
		{user.TypeDeactivatedV1, `{"reason":"left"}`},
	}
	var events []user.Event
	for _, s := range stored {
		typ, data, err := up.Upcast(s.typ, []byte(s.data))
		if err != nil {
			t.Fatal(err)
		}
		e, err := user.DecodeEvent(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	u, err := user.FromHistory(selfID, events)
	if err != nil {
		t.Fatal(err)
	}
	s := u.Snapshot()
	if s.UserName() != "ada@lovelace.org" || s.Email != "ada@lovelace.org" || s.Title != "Countess" || s.Status != user.StatusDeactivated ||
		!reflect.DeepEqual(s.Emails, []user.Email{{Value: "ada@lovelace.org", Primary: true}}) {
		t.Fatalf("replayed %+v", s)
	}
	// And it can be changed with the new fields.
	got, err := u.Update(user.Patch{NickName: ptr("Ada"), Emails: &[]user.Email{{Value: "ada@lovelace.org", Type: "work"}, {Value: "ada@home.org", Type: "home"}}}, noLookup(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []user.Event{user.ProfileChanged{Changes: map[string]user.Change{"nick_name": {New: "Ada"}},
		Emails: &user.ListChange[user.Email]{Old: []user.Email{{Value: "ada@lovelace.org", Primary: true}},
			New: []user.Email{{Value: "ada@lovelace.org", Type: "work", Primary: true}, {Value: "ada@home.org", Type: "home"}}}}}
	assertEvents(t, got, want)
}

func TestUpdateOfThePrimaryAddress(t *testing.T) {
	u := existing(t, selfID, "ada@example.com", minimalProfile())
	// The primary address alone: one EmailChanged, the list follows.
	got, err := u.Update(user.Patch{Email: ptr("ada@lovelace.org")}, noLookup(t))
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, got, []user.Event{user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@lovelace.org"}})
	// A list whose primary is another address: the EmailChanged, then the list.
	list := []user.Email{{Value: "a@example.com", Type: "home"}, {Value: "Work@Example.com", Type: "Work", Primary: true}}
	got, err = u.Update(user.Patch{Emails: &list}, noLookup(t))
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, got, []user.Event{
		user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "work@example.com"},
		user.ProfileChanged{Emails: &user.ListChange[user.Email]{Old: []user.Email{{Value: "ada@example.com", Primary: true}},
			New: []user.Email{{Value: "a@example.com", Type: "home"}, {Value: "work@example.com", Type: "work", Primary: true}}}},
	})
	for _, e := range got {
		u.Apply(e)
	}
	if s := u.Snapshot(); s.Email != "work@example.com" || len(s.Emails) != 2 {
		t.Fatalf("after: %+v", s)
	}
	// The same list again changes nothing.
	if got, err := u.Update(user.Patch{Emails: &list}, noLookup(t)); err != nil || got != nil {
		t.Fatalf("same list again = %#v, %v", got, err)
	}
}

func TestReasonHasAMaximum(t *testing.T) {
	u := existing(t, selfID, "ada@example.com", minimalProfile())
	if _, err := u.Deactivate(chars(user.MaxReasonLen + 1)); !reflect.DeepEqual(fieldCodes(t, err), []string{"reason:too_long"}) {
		t.Fatalf("oversize reason: %v", err)
	}
	if _, err := u.Delete("a\x00b"); !reflect.DeepEqual(fieldCodes(t, err), []string{"reason:invalid_characters"}) {
		t.Fatalf("control character: %v", err)
	}
	if got, err := u.Deactivate(chars(user.MaxReasonLen)); err != nil || len(got) != 1 {
		t.Fatalf("reason at the limit: %v", err)
	}
}
