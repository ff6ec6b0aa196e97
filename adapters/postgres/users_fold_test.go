package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// A bulk load folds each whole stream once (foldStreams); the catch-up and
// the inline path fold event by event from the row (applyAll). Both must
// give the same rows, whatever the streams hold.
func TestFoldStreamsEqualsApplyAll(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	tenant := "01a24f46-a2c7-709a-951d-d02534411290"
	var events []projection.Event
	stream := func(n byte, payloads ...user.Event) {
		id := user.ID{15: n}
		for i, p := range payloads {
			events = append(events, projection.Event{StreamID: id, Version: i + 1, Type: p.EventType(), Payload: p,
				OccurredAt: at.Add(time.Duration(len(events)) * time.Second)})
		}
	}
	reg := func(email string) user.Registered {
		return user.Registered{TenantID: tenant, Email: email, Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace",
			Department: "bench", Locale: "en-GB", TimeZone: "Europe/London"}}
	}
	change := func(field, from, to string) user.ProfileChanged {
		return user.ProfileChanged{Changes: map[string]user.Change{field: {Old: from, New: to}}}
	}
	stream(1, reg("a@example.com"))
	stream(2, reg("b@example.com"), change(user.FieldDepartment, "bench", "research"),
		user.ProfileChanged{Changes: map[string]user.Change{user.FieldTitle: {New: "Engineer"}, user.FieldGivenName: {Old: "Ada", New: "Augusta"}}},
		user.EmailChanged{OldEmail: "b@example.com", NewEmail: "b2@example.com"})
	stream(3, reg("c@example.com"), user.Deactivated{Cause: user.CauseUnspecified, Reason: "left"}, user.Reactivated{},
		change(user.FieldExternalID, "", "E-3"))
	stream(4, reg("d@example.com"), change(user.FieldLocale, "en-GB", "fr-FR"), user.Deleted{Reason: "gone"})
	stream(5, reg("e@example.com"), change(user.FieldTitle, "", "CTO"), user.Erased{Basis: "request"})

	folded, err := foldStreams(events)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := applyAll(map[user.ID]*userRow{}, events)
	if err != nil {
		t.Fatal(err)
	}
	if len(folded) != len(applied) {
		t.Fatalf("%d folded rows, %d applied", len(folded), len(applied))
	}
	for i := range folded {
		if !reflect.DeepEqual(folded[i], *applied[i]) {
			t.Errorf("stream %s:\nfolded  %+v\napplied %+v", folded[i].ID, folded[i], *applied[i])
		}
	}

	// A stream given out of order, or not from its start, is refused.
	gap := append([]projection.Event(nil), events[2:]...) // stream 2 from its version 2
	if _, err := foldStreams(gap); err == nil {
		t.Error("a stream without its version 1: no error")
	}
}
