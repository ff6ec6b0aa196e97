package directory

import (
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

func TestApply(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	ev := func(version int, data user.Event) eventcontract.Event {
		return eventcontract.Event{Envelope: eventcontract.Envelope{Type: data.EventType(), StreamVersion: version, Time: t1}, Data: data}
	}
	row := entry{Email: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada L.",
		Department: "R&D", Status: "active", Version: 3, UpdatedAt: t0}
	with := func(f func(*entry)) entry {
		e := row
		f(&e)
		e.Version, e.UpdatedAt = 4, t1
		return e
	}
	cases := []struct {
		name string
		cur  *entry
		ev   eventcontract.Event
		want entry
		o    outcome
	}{
		{"registration creates the row", nil, ev(1, user.Registered{Email: "g@x.io",
			Profile: user.Profile{GivenName: "G", FamilyName: "H", Department: "Navy", Title: "not kept"}}),
			entry{Email: "g@x.io", GivenName: "G", FamilyName: "H", Department: "Navy", Status: "active", Version: 1, UpdatedAt: t1}, outcomeApplied},
		{"a change without a row has nothing to change", nil, ev(2, user.Deactivated{}), entry{}, outcomeNoUser},
		{"kept profile fields change", &row, ev(4, user.ProfileChanged{Changes: map[string]user.Change{
			"department": {Old: "R&D", New: "Ops"}, "display_name": {Old: "Ada L.", New: ""}}}),
			with(func(e *entry) { e.Department, e.DisplayName = "Ops", "" }), outcomeApplied},
		{"other profile fields only move the version", &row, ev(4, user.ProfileChanged{Changes: map[string]user.Change{
			"title": {Old: "", New: "CTO"}}}), with(func(*entry) {}), outcomeApplied},
		{"e-mail", &row, ev(4, user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@example.org"}),
			with(func(e *entry) { e.Email = "ada@example.org" }), outcomeApplied},
		{"deactivation", &row, ev(4, user.Deactivated{Reason: "left"}), with(func(e *entry) { e.Status = "deactivated" }), outcomeApplied},
		{"reactivation", &entry{Status: "deactivated", Version: 3}, ev(4, user.Reactivated{}),
			entry{Status: "active", Version: 4, UpdatedAt: t1}, outcomeApplied},
		{"deletion leaves a tombstone", &row, ev(4, user.Deleted{Reason: "gdpr"}), with(func(e *entry) { e.Status = "deleted" }), outcomeApplied},
		{"an older event after the deletion is stale", &entry{Status: "deleted", Version: 5}, ev(4, user.Reactivated{}),
			entry{Status: "deleted", Version: 5}, outcomeStale},
		{"same version is stale", &row, ev(3, user.Deactivated{}), row, outcomeStale},
		{"older version is stale", &row, ev(2, user.EmailChanged{NewEmail: "old@x.io"}), row, outcomeStale},
		{"a replayed registration is stale", &row, ev(1, user.Registered{Email: "first@x.io"}), row, outcomeStale},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, o := apply(c.cur, c.ev)
			if o != c.o || got != c.want {
				t.Errorf("apply = %+v, %s\nwant    %+v, %s", got, o, c.want, c.o)
			}
		})
	}
}
