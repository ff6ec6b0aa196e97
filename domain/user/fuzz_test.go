package user_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// FuzzUpdateNeverPanicsAndNoOpIsStable drives Update with arbitrary patches.
// Bit i of set says whether patch field i is present. Update must not panic
// nor change the state; it either fails with a domain error and no events, or
// decides well-formed events that survive the JSON store; once those are
// applied, the same patch decides nothing (change detection is idempotent).
func FuzzUpdateNeverPanicsAndNoOpIsStable(f *testing.F) {
	full := fullProfile()
	f.Add(uint16(0), "", "", "", "", "", "", "", "", "", "", "")
	f.Add(uint16(0x7ff), "ADA@Example.com ", full.GivenName, full.FamilyName, full.DisplayName, full.Department,
		full.Title, full.ManagerID, full.ExternalID, full.Locale, full.TimeZone, "active")
	f.Add(uint16(0x7ff), "grace@example.org", "Grace", "Hopper", "", "Navy", "", otherID.String(), "", "en-US", "America/New_York", "deactivated")
	f.Add(uint16(0x441), " X@Y.Z", "", "", "", "", "", "0190A1B2-C3D4-7E5F-8A9B-0000000000C0", "", "", "", "")
	f.Add(uint16(0x0c2), "", "\xff", "", "", "", "", strayID.String(), "", "", "Local", "")

	f.Fuzz(func(t *testing.T, set uint16, email, given, family, display, department, title, manager, external, locale, tz, status string) {
		field := func(bit int, v string) *string {
			if set&(1<<bit) == 0 {
				return nil
			}
			return &v
		}
		p := user.Patch{
			Email: field(0, email), GivenName: field(1, given), FamilyName: field(2, family),
			DisplayName: field(3, display), Department: field(4, department), Title: field(5, title),
			ManagerID: field(6, manager), ExternalID: field(7, external), Locale: field(8, locale),
			TimeZone: field(9, tz),
		}
		if set&(1<<10) != 0 {
			p.Status = ptr(user.Status(status))
		}
		lookup := func(id user.ID) ([]user.ID, error) {
			if id == strayID {
				return nil, user.ErrManagerNotFound
			}
			return nil, nil
		}

		u := existing(t, selfID, "ada@example.com", fullProfile())
		before := u.Snapshot()
		events, err := u.Update(p, lookup)
		if s := u.Snapshot(); !reflect.DeepEqual(s, before) {
			t.Fatalf("Update changed the state: %+v", s)
		}
		if again, againErr := u.Update(p, lookup); !reflect.DeepEqual(again, events) || !reflect.DeepEqual(againErr, err) {
			t.Fatalf("Update is not deterministic: %#v, %v then %#v, %v", events, err, again, againErr)
		}
		if err != nil {
			var ve *user.ValidationError
			if !errors.As(err, &ve) && !errors.Is(err, user.ErrManagerNotFound) {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
			if events != nil {
				t.Fatalf("events %#v with error %v", events, err)
			}
			return
		}

		checkShape(t, events)
		for _, e := range events {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("Marshal(%#v): %v", e, err)
			}
			stored, err := user.DecodeEvent(e.EventType(), data)
			if err != nil || !reflect.DeepEqual(stored, e) {
				t.Fatalf("JSON round trip of %#v = %#v, %v", e, stored, err)
			}
			u.Apply(stored)
		}
		if u.Version() != before.Version+len(events) {
			t.Fatalf("version %d after %d events on %d", u.Version(), len(events), before.Version)
		}
		if again, err := u.Update(p, noLookup(t)); err != nil || again != nil {
			t.Fatalf("re-applying the patch decided %#v, %v; want no events", again, err)
		}
	})
}

// checkShape asserts the documented order (EmailChanged, ProfileChanged,
// status event, each at most once) and that a ProfileChanged names only
// real changes.
func checkShape(t *testing.T, events []user.Event) {
	t.Helper()
	rank := func(e user.Event) int {
		switch e := e.(type) {
		case user.EmailChanged:
			if e.OldEmail == e.NewEmail {
				t.Fatalf("EmailChanged without a change: %#v", e)
			}
			return 0
		case user.ProfileChanged:
			if len(e.Changes) == 0 {
				t.Fatalf("empty ProfileChanged")
			}
			for name, c := range e.Changes {
				if c.Old == c.New {
					t.Fatalf("ProfileChanged lists unchanged field %s: %#v", name, c)
				}
			}
			return 1
		case user.Deactivated, user.Reactivated:
			return 2
		}
		t.Fatalf("Update decided unexpected event %#v", e)
		return -1
	}
	last := -1
	for _, e := range events {
		r := rank(e)
		if r <= last {
			t.Fatalf("events out of order or repeated: %#v", events)
		}
		last = r
	}
}
