package user_test

import (
	"reflect"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func changed(field, oldV, newV string) user.Event {
	return user.ProfileChanged{Changes: map[string]user.Change{field: {Old: oldV, New: newV}}}
}

// TestUpdateSingleField changes one field of a full, active user at a time:
// exactly one event, carrying only that field with its old and new value.
func TestUpdateSingleField(t *testing.T) {
	full := fullProfile()
	tests := []struct {
		name  string
		start user.Profile // fullProfile() when zero
		patch user.Patch
		want  user.Event
	}{
		{name: "email", patch: user.Patch{Email: ptr("grace@example.org")}, want: user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "grace@example.org"}},
		{name: "email normalised", patch: user.Patch{Email: ptr("  Grace@Example.ORG ")}, want: user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "grace@example.org"}},
		{name: "given name", patch: user.Patch{GivenName: ptr("Augusta")}, want: changed("given_name", "Ada", "Augusta")},
		{name: "family name", patch: user.Patch{FamilyName: ptr("King")}, want: changed("family_name", "Lovelace", "King")},
		{name: "given name case only", patch: user.Patch{GivenName: ptr("ADA")}, want: changed("given_name", "Ada", "ADA")},
		{name: "display name", patch: user.Patch{DisplayName: ptr("Countess of Lovelace")}, want: changed("display_name", full.DisplayName, "Countess of Lovelace")},
		{name: "department", patch: user.Patch{Department: ptr("Mathematics")}, want: changed("department", full.Department, "Mathematics")},
		{name: "title", patch: user.Patch{Title: ptr("Programmer")}, want: changed("title", full.Title, "Programmer")},
		{name: "manager", patch: user.Patch{ManagerID: ptr(otherID.String())}, want: changed("manager_id", bossID.String(), otherID.String())},
		{name: "external id", patch: user.Patch{ExternalID: ptr("HR-1852")}, want: changed("external_id", full.ExternalID, "HR-1852")},
		{name: "locale", patch: user.Patch{Locale: ptr("fr-FR")}, want: changed("locale", full.Locale, "fr-FR")},
		{name: "time zone", patch: user.Patch{TimeZone: ptr("Europe/Paris")}, want: changed("time_zone", full.TimeZone, "Europe/Paris")},
		{name: "status deactivated", patch: user.Patch{Status: ptr(user.StatusDeactivated)}, want: user.Deactivated{Cause: user.CauseStatusChanged}},
		{name: "clear display name", patch: user.Patch{DisplayName: ptr("")}, want: changed("display_name", full.DisplayName, "")},
		{name: "clear department", patch: user.Patch{Department: ptr("")}, want: changed("department", full.Department, "")},
		{name: "clear title", patch: user.Patch{Title: ptr("")}, want: changed("title", full.Title, "")},
		{name: "clear manager", patch: user.Patch{ManagerID: ptr("")}, want: changed("manager_id", bossID.String(), "")},
		{name: "clear external id", patch: user.Patch{ExternalID: ptr("")}, want: changed("external_id", full.ExternalID, "")},
		{name: "clear locale", patch: user.Patch{Locale: ptr("")}, want: changed("locale", full.Locale, "")},
		{name: "clear time zone", patch: user.Patch{TimeZone: ptr("")}, want: changed("time_zone", full.TimeZone, "")},
		{name: "set display name", start: minimalProfile(), patch: user.Patch{DisplayName: ptr("Ada")}, want: changed("display_name", "", "Ada")},
		{name: "set manager", start: minimalProfile(), patch: user.Patch{ManagerID: ptr(bossID.String())}, want: changed("manager_id", "", bossID.String())},
		{name: "set time zone", start: minimalProfile(), patch: user.Patch{TimeZone: ptr("Asia/Kolkata")}, want: changed("time_zone", "", "Asia/Kolkata")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := tt.start
			if start == (user.Profile{}) {
				start = full
			}
			u := existing(t, selfID, "ada@example.com", start)
			before := u.Snapshot()
			org := newOrgChart()
			got, err := u.Update(tt.patch, org.lookup)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			assertEvents(t, got, []user.Event{tt.want})
			if s := u.Snapshot(); !reflect.DeepEqual(s, before) {
				t.Errorf("Update changed the state: %+v, was %+v", s, before)
			}
			var wantAsked []user.ID
			if tt.patch.ManagerID != nil && *tt.patch.ManagerID != "" {
				wantAsked = []user.ID{mustParseID(*tt.patch.ManagerID)}
			}
			assertAsked(t, org.asked, wantAsked)
		})
	}
}

// TestUpdateNoOp: a patch that leaves the state as it is decides no events
// and reads no manager.
func TestUpdateNoOp(t *testing.T) {
	full := fullProfile()
	everyField := user.Patch{
		Email: ptr("ada@example.com"), GivenName: &full.GivenName, FamilyName: &full.FamilyName,
		DisplayName: &full.DisplayName, Department: &full.Department, Title: &full.Title,
		ManagerID: &full.ManagerID, ExternalID: &full.ExternalID, Locale: &full.Locale,
		TimeZone: &full.TimeZone, Status: ptr(user.StatusActive),
	}
	tests := []struct {
		name        string
		start       user.Profile
		deactivated bool
		patch       user.Patch
	}{
		{name: "empty patch", start: full},
		{name: "empty patch on deactivated user", start: full, deactivated: true},
		{name: "every field equal", start: full, patch: everyField},
		{name: "email differs in case only", start: full, patch: user.Patch{Email: ptr("ADA@Example.Com")}},
		{name: "email differs in surrounding space only", start: full, patch: user.Patch{Email: ptr(" ada@example.com\t")}},
		{name: "same manager", start: full, patch: user.Patch{ManagerID: ptr(bossID.String())}},
		{name: "active stays active", start: full, patch: user.Patch{Status: ptr(user.StatusActive)}},
		{name: "deactivated stays deactivated", start: full, deactivated: true, patch: user.Patch{Status: ptr(user.StatusDeactivated)}},
		{name: "clear fields that are not set", start: minimalProfile(), patch: user.Patch{
			DisplayName: ptr(""), Department: ptr(""), Title: ptr(""), ManagerID: ptr(""),
			ExternalID: ptr(""), Locale: ptr(""), TimeZone: ptr(""),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var more []user.Event
			if tt.deactivated {
				more = append(more, user.Deactivated{})
			}
			u := existing(t, selfID, "ada@example.com", tt.start, more...)
			got, err := u.Update(tt.patch, noLookup(t))
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if got != nil {
				t.Errorf("events = %#v, want nil", got)
			}
		})
	}
}

func TestUpdateOrdersEvents(t *testing.T) {
	tests := []struct {
		name        string
		deactivated bool
		patch       user.Patch
		want        []user.Event
	}{
		{name: "email, profile and deactivation", patch: user.Patch{
			Status: ptr(user.StatusDeactivated), Title: ptr("Programmer"), Email: ptr("ADA@lovelace.org"),
			GivenName: ptr("Augusta"), ManagerID: ptr(""), Locale: ptr("en-GB"),
		}, want: []user.Event{
			user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@lovelace.org"},
			user.ProfileChanged{Changes: map[string]user.Change{
				"given_name": {Old: "Ada", New: "Augusta"},
				"title":      {Old: "Countess", New: "Programmer"},
				"manager_id": {Old: bossID.String(), New: ""},
			}},
			user.Deactivated{Cause: user.CauseStatusChanged},
		}},
		{name: "email and reactivation", deactivated: true, patch: user.Patch{
			Status: ptr(user.StatusActive), Email: ptr("grace@example.org"),
		}, want: []user.Event{
			user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "grace@example.org"},
			user.Reactivated{},
		}},
		{name: "profile and reactivation", deactivated: true, patch: user.Patch{
			Status: ptr(user.StatusActive), Department: ptr("Mathematics"),
		}, want: []user.Event{changed("department", "Analytical Engines", "Mathematics"), user.Reactivated{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var more []user.Event
			if tt.deactivated {
				more = append(more, user.Deactivated{})
			}
			u := existing(t, selfID, "ada@example.com", fullProfile(), more...)
			got, err := u.Update(tt.patch, noLookup(t))
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			assertEvents(t, got, tt.want)
		})
	}
}

func TestUpdateRejects(t *testing.T) {
	tests := []struct {
		name  string
		patch user.Patch
		want  []string
	}{
		{"username with trailing space", user.Patch{Username: ptr("ada ")}, []string{"username:invalid_format"}},
		{"reason-sized title", user.Patch{Title: ptr(chars(101))}, []string{"title:too_long"}},
		{"clear email", user.Patch{Email: ptr("")}, []string{"email:required"}},
		{"email only white space", user.Patch{Email: ptr("  ")}, []string{"email:required"}},
		{"email in display-name form", user.Patch{Email: ptr("Grace <grace@example.org>")}, []string{"email:invalid_format"}},
		{"email without dot in domain", user.Patch{Email: ptr("grace@example")}, []string{"email:invalid_format"}},
		{"given name with leading space", user.Patch{GivenName: ptr(" Ada")}, []string{"given_name:invalid_format"}},
		{"family name with control character", user.Patch{FamilyName: ptr("Love\x1blace")}, []string{"family_name:invalid_characters"}},
		{"display name too long", user.Patch{DisplayName: ptr(chars(201))}, []string{"display_name:too_long"}},
		{"external id invalid UTF-8", user.Patch{ExternalID: ptr("\xfe")}, []string{"external_id:invalid_encoding"}},
		{"locale invalid", user.Patch{Locale: ptr("en GB")}, []string{"locale:invalid_format"}},
		{"time zone Local", user.Patch{TimeZone: ptr("Local")}, []string{"time_zone:invalid_format"}},
		{"manager is self", user.Patch{ManagerID: ptr(selfID.String())}, []string{"manager_id:self_reference"}},
		{"manager not a UUID", user.Patch{ManagerID: ptr("boss")}, []string{"manager_id:invalid_format"}},
		{"status cleared", user.Patch{Status: ptr(user.Status(""))}, []string{"status:invalid_value"}},
		{"status unknown", user.Patch{Status: ptr(user.Status("archived"))}, []string{"status:invalid_value"}},
		{"several fields at once", user.Patch{
			Email: ptr("nope"), GivenName: ptr(" x"), Title: ptr(chars(101)), TimeZone: ptr("Nowhere"), Status: ptr(user.Status("x")),
		}, []string{"email:invalid_format", "given_name:invalid_format", "title:too_long", "time_zone:invalid_format", "status:invalid_value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := existing(t, selfID, "ada@example.com", fullProfile())
			before := u.Snapshot()
			got, err := u.Update(tt.patch, noLookup(t))
			if got != nil {
				t.Errorf("events = %#v, want none", got)
			}
			if codes := fieldCodes(t, err); !reflect.DeepEqual(codes, tt.want) {
				t.Errorf("field errors = %q, want %q", codes, tt.want)
			}
			if s := u.Snapshot(); !reflect.DeepEqual(s, before) {
				t.Errorf("rejected Update changed the state: %+v", s)
			}
		})
	}
}
