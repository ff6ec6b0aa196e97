package user_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// unknownEvent stands for an event type this version of Apply does not know.
type unknownEvent struct{}

func (unknownEvent) EventType() string { return "user.something_new.v1" }

func TestFromHistory(t *testing.T) {
	reg := user.Registered{TenantID: tenant, Email: "ada@example.com", Profile: fullProfile()}
	withFull := func(mod func(*user.Profile)) user.Profile {
		p := fullProfile()
		mod(&p)
		return p
	}
	snap := func(email string, p user.Profile, s user.Status, version int) user.Snapshot {
		// A Registered without a list (the v1 shape) gets what the
		// upcaster gives it: the registered address, as the one entry.
		return user.Snapshot{ID: selfID, TenantID: tenant, Email: email, Profile: p,
			Contacts: user.Contacts{Emails: []user.Email{{Value: email, Primary: true}}}, Status: s, Version: version}
	}
	tests := []struct {
		name    string
		history []user.Event
		want    user.Snapshot
	}{
		{"registered", []user.Event{reg}, snap("ada@example.com", fullProfile(), user.StatusActive, 1)},
		{"registered as deactivated", []user.Event{reg, user.Deactivated{Reason: "registered as deactivated"}},
			snap("ada@example.com", fullProfile(), user.StatusDeactivated, 2)},
		{"email changed twice", []user.Event{reg,
			user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "a@b.co"},
			user.EmailChanged{OldEmail: "a@b.co", NewEmail: "c@d.co"}},
			snap("c@d.co", fullProfile(), user.StatusActive, 3)},
		{"profile change sets and clears fields", []user.Event{reg, user.ProfileChanged{Changes: map[string]user.Change{
			"title": {Old: "Countess", New: "Programmer"}, "manager_id": {Old: bossID.String(), New: ""},
		}}}, snap("ada@example.com", withFull(func(p *user.Profile) { p.Title, p.ManagerID = "Programmer", "" }), user.StatusActive, 2)},
		{"every profile field changed", []user.Event{reg, user.ProfileChanged{Changes: map[string]user.Change{
			"given_name": {New: "G"}, "family_name": {New: "F"}, "display_name": {New: "D"}, "department": {New: "Dep"},
			"title": {New: "T"}, "manager_id": {New: otherID.String()}, "external_id": {New: "X"}, "locale": {New: "fr"}, "time_zone": {New: "UTC"},
		}}}, snap("ada@example.com", user.Profile{
			GivenName: "G", FamilyName: "F", DisplayName: "D", Department: "Dep", Title: "T",
			ManagerID: otherID.String(), ExternalID: "X", Locale: "fr", TimeZone: "UTC",
		}, user.StatusActive, 2)},
		{"unknown profile field is ignored", []user.Event{reg, user.ProfileChanged{Changes: map[string]user.Change{
			"nickname": {Old: "", New: "Ada"}, "title": {Old: "Countess", New: "Dr"},
		}}}, snap("ada@example.com", withFull(func(p *user.Profile) { p.Title = "Dr" }), user.StatusActive, 2)},
		{"only unknown profile fields", []user.Event{reg, user.ProfileChanged{Changes: map[string]user.Change{"nickname": {New: "Ada"}}}},
			snap("ada@example.com", fullProfile(), user.StatusActive, 2)},
		{"empty profile change", []user.Event{reg, user.ProfileChanged{}}, snap("ada@example.com", fullProfile(), user.StatusActive, 2)},
		{"unknown event only bumps the version", []user.Event{reg, unknownEvent{}}, snap("ada@example.com", fullProfile(), user.StatusActive, 2)},
		{"deactivated and reactivated", []user.Event{reg, user.Deactivated{}, user.Reactivated{}},
			snap("ada@example.com", fullProfile(), user.StatusActive, 3)},
		{"full life cycle", []user.Event{reg,
			user.Deactivated{Reason: "leave"},
			user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@lovelace.org"},
			user.ProfileChanged{Changes: map[string]user.Change{"department": {Old: "Analytical Engines", New: "Maths"}}},
			user.Reactivated{},
			user.Deactivated{Reason: "left"}},
			snap("ada@lovelace.org", withFull(func(p *user.Profile) { p.Department = "Maths" }), user.StatusDeactivated, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := user.FromHistory(selfID, tt.history)
			if err != nil {
				t.Fatalf("FromHistory: %v", err)
			}
			if got := u.Snapshot(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("snapshot:\n got %+v\nwant %+v", got, tt.want)
			}
			if u.ID() != selfID || u.TenantID() != tenant || u.Version() != tt.want.Version || u.Status() != tt.want.Status {
				t.Errorf("accessors: id %s tenant %q version %d status %s", u.ID(), u.TenantID(), u.Version(), u.Status())
			}

			// Folding one event at a time onto the first gives the same state.
			step, err := user.FromHistory(selfID, tt.history[:1])
			if err != nil {
				t.Fatalf("FromHistory(first): %v", err)
			}
			for _, e := range tt.history[1:] {
				step.Apply(e)
			}
			if got := step.Snapshot(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("step-by-step snapshot:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFromHistoryRejects(t *testing.T) {
	reg := user.Registered{TenantID: tenant, Email: "ada@example.com", Profile: minimalProfile()}
	tests := []struct {
		name     string
		history  []user.Event
		notFound bool
		mention  string
	}{
		{name: "nil history", notFound: true},
		{name: "empty history", history: []user.Event{}, notFound: true},
		{name: "starts with profile change", history: []user.Event{user.ProfileChanged{}, reg}, mention: user.TypeProfileChanged},
		{name: "starts with email change", history: []user.Event{user.EmailChanged{}}, mention: user.TypeEmailChanged},
		{name: "starts with deactivation", history: []user.Event{user.Deactivated{}, reg}, mention: user.TypeDeactivated},
		{name: "starts with reactivation", history: []user.Event{user.Reactivated{}}, mention: user.TypeReactivated},
		{name: "starts with unknown event", history: []user.Event{unknownEvent{}, reg}, mention: "user.something_new.v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := user.FromHistory(selfID, tt.history)
			if u != nil || err == nil {
				t.Fatalf("FromHistory = %v, %v; want an error", u, err)
			}
			if errors.Is(err, user.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %t, want %t", err, !tt.notFound, tt.notFound)
			}
			if !tt.notFound && (!strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), selfID.String())) {
				t.Errorf("error %q should name the stream and the event type %s", err, tt.mention)
			}
		})
	}
}
