package user_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// chars builds a string of n characters of two bytes each: limits count
// characters, not bytes.
func chars(n int) string { return strings.Repeat("é", n) }

func TestRegisterAccepts(t *testing.T) {
	maxEmail := strings.Repeat("a", 254-len("@example.com")) + "@example.com"
	withProfile := func(mod func(*user.Profile)) user.Profile {
		p := minimalProfile()
		mod(&p)
		return p
	}
	tests := []struct {
		name       string
		reg        user.Registration
		wantEmail  string
		wantStatus user.Status
	}{
		{"minimal", user.Registration{Email: "ada@example.com", Profile: minimalProfile()}, "ada@example.com", user.StatusActive},
		{"full", user.Registration{Email: "ada@example.com", Profile: fullProfile(), Status: user.StatusActive}, "ada@example.com", user.StatusActive},
		{"email trimmed and lower-cased", user.Registration{Email: " \tAda.Lovelace@Example.COM\n", Profile: minimalProfile()}, "ada.lovelace@example.com", user.StatusActive},
		{"non-ASCII email lower-cased", user.Registration{Email: "ÄDA@BEISPIEL.DE", Profile: minimalProfile()}, "äda@beispiel.de", user.StatusActive},
		{"email of 254 characters", user.Registration{Email: maxEmail, Profile: minimalProfile()}, maxEmail, user.StatusActive},
		{"plus and subdomain", user.Registration{Email: "ada+tag@mail.example.co.uk", Profile: minimalProfile()}, "ada+tag@mail.example.co.uk", user.StatusActive},
		{"names at their limit", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) {
			p.GivenName, p.FamilyName = chars(100), chars(100)
		})}, "a@b.co", user.StatusActive},
		{"optional fields at their limit", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) {
			p.DisplayName, p.Department, p.Title, p.ExternalID = chars(200), chars(100), chars(100), chars(128)
		})}, "a@b.co", user.StatusActive},
		{"inner spaces and punctuation", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) {
			p.GivenName, p.FamilyName, p.DisplayName = "Mary Ann", "O'Brien-Smith", "Dr. Mary Ann O'Brien-Smith"
		})}, "a@b.co", user.StatusActive},
		{"two-letter locale", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) { p.Locale = "de" })}, "a@b.co", user.StatusActive},
		{"locale with script and region", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) { p.Locale = "zh-Hant-TW" })}, "a@b.co", user.StatusActive},
		{"three-letter locale with variant", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) { p.Locale = "gsw-CH-1996" })}, "a@b.co", user.StatusActive},
		{"time zone UTC", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) { p.TimeZone = "UTC" })}, "a@b.co", user.StatusActive},
		{"deep IANA time zone", user.Registration{Email: "a@b.co", Profile: withProfile(func(p *user.Profile) { p.TimeZone = "America/Argentina/Buenos_Aires" })}, "a@b.co", user.StatusActive},
		{"registered as deactivated", user.Registration{Email: "ada@example.com", Profile: minimalProfile(), Status: user.StatusDeactivated}, "ada@example.com", user.StatusDeactivated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrgChart()
			got, err := user.Register(selfID, tenant, tt.reg, org.lookup)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			wantProfile := tt.reg.Profile
			want := []user.Event{user.Registered{TenantID: tenant, Email: tt.wantEmail, Profile: wantProfile,
				Contacts: user.Contacts{Emails: []user.Email{{Value: tt.wantEmail, Primary: true}}}}}
			wantSeats := 1
			if tt.wantStatus == user.StatusDeactivated {
				want = append(want, user.Deactivated{Cause: user.CauseRegisteredInactive, Reason: "registered as deactivated"})
				wantSeats = 0
			}
			assertEvents(t, got, want)
			if d := user.SeatDelta("", got); d != wantSeats {
				t.Errorf("SeatDelta = %d, want %d", d, wantSeats)
			}
			var wantAsked []user.ID
			if tt.reg.Profile.ManagerID != "" {
				wantAsked = []user.ID{mustParseID(tt.reg.Profile.ManagerID)}
			}
			assertAsked(t, org.asked, wantAsked)

			u, err := user.FromHistory(selfID, got)
			if err != nil {
				t.Fatalf("FromHistory: %v", err)
			}
			wantSnap := user.Snapshot{ID: selfID, TenantID: tenant, Email: tt.wantEmail, Profile: wantProfile,
				Contacts: user.Contacts{Emails: []user.Email{{Value: tt.wantEmail, Primary: true}}}, Status: tt.wantStatus, Version: len(want)}
			if s := u.Snapshot(); !reflect.DeepEqual(s, wantSnap) {
				t.Errorf("snapshot = %+v, want %+v", s, wantSnap)
			}
		})
	}
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*user.Registration)
		want []string
	}{
		{"email missing", func(r *user.Registration) { r.Email = "" }, []string{"email:required"}},
		{"email only white space", func(r *user.Registration) { r.Email = " \t " }, []string{"email:required"}},
		{"email without @", func(r *user.Registration) { r.Email = "ada.example.com" }, []string{"email:invalid_format"}},
		{"email without local part", func(r *user.Registration) { r.Email = "@example.com" }, []string{"email:invalid_format"}},
		{"email without domain", func(r *user.Registration) { r.Email = "ada@" }, []string{"email:invalid_format"}},
		{"email without dot in domain", func(r *user.Registration) { r.Email = "ada@localhost" }, []string{"email:invalid_format"}},
		{"email domain ends with dot", func(r *user.Registration) { r.Email = "ada@example." }, []string{"email:invalid_format"}},
		{"email with two @", func(r *user.Registration) { r.Email = "ada@lovelace@example.com" }, []string{"email:invalid_format"}},
		{"email with inner space", func(r *user.Registration) { r.Email = "ada lovelace@example.com" }, []string{"email:invalid_format"}},
		{"email in display-name form", func(r *user.Registration) { r.Email = "Ada <a@b.c>" }, []string{"email:invalid_format"}},
		{"email in angle brackets", func(r *user.Registration) { r.Email = "<ada@example.com>" }, []string{"email:invalid_format"}},
		{"email with comment", func(r *user.Registration) { r.Email = "ada@example.com (Ada)" }, []string{"email:invalid_format"}},
		{"email list", func(r *user.Registration) { r.Email = "ada@example.com, bob@example.com" }, []string{"email:invalid_format"}},
		{"email of 255 characters", func(r *user.Registration) {
			r.Email = strings.Repeat("a", 255-len("@example.com")) + "@example.com"
		}, []string{"email:too_long"}},
		{"given name too long", func(r *user.Registration) { r.Profile.GivenName = chars(101) }, []string{"given_name:too_long"}},
		{"given name with control character", func(r *user.Registration) { r.Profile.GivenName = "A\x07da" }, []string{"given_name:invalid_characters"}},
		{"given name with newline", func(r *user.Registration) { r.Profile.GivenName = "Ada\nBob" }, []string{"given_name:invalid_characters"}},
		{"given name with leading space", func(r *user.Registration) { r.Profile.GivenName = " Ada" }, []string{"given_name:invalid_format"}},
		{"given name with trailing no-break space", func(r *user.Registration) { r.Profile.GivenName = "Ada\u00a0" }, []string{"given_name:invalid_format"}},
		{"given name only white space", func(r *user.Registration) { r.Profile.GivenName = "   " }, []string{"given_name:invalid_format"}},
		{"given name invalid UTF-8", func(r *user.Registration) { r.Profile.GivenName = "Ad\xffa" }, []string{"given_name:invalid_encoding"}},
		{"family name too long", func(r *user.Registration) { r.Profile.FamilyName = chars(101) }, []string{"family_name:too_long"}},
		{"family name with tab", func(r *user.Registration) { r.Profile.FamilyName = "Love\tlace" }, []string{"family_name:invalid_characters"}},
		{"family name with trailing space", func(r *user.Registration) { r.Profile.FamilyName = "Lovelace " }, []string{"family_name:invalid_format"}},
		{"family name invalid UTF-8", func(r *user.Registration) { r.Profile.FamilyName = "\xc3\x28" }, []string{"family_name:invalid_encoding"}},
		{"display name too long", func(r *user.Registration) { r.Profile.DisplayName = chars(201) }, []string{"display_name:too_long"}},
		{"display name with control character", func(r *user.Registration) { r.Profile.DisplayName = "Ada\x00" }, []string{"display_name:invalid_characters"}},
		{"department too long", func(r *user.Registration) { r.Profile.Department = chars(101) }, []string{"department:too_long"}},
		{"department with leading space", func(r *user.Registration) { r.Profile.Department = " R&D" }, []string{"department:invalid_format"}},
		{"title too long", func(r *user.Registration) { r.Profile.Title = chars(101) }, []string{"title:too_long"}},
		{"title invalid UTF-8", func(r *user.Registration) { r.Profile.Title = "\xff" }, []string{"title:invalid_encoding"}},
		{"external id too long", func(r *user.Registration) { r.Profile.ExternalID = chars(129) }, []string{"external_id:too_long"}},
		{"external id with control character", func(r *user.Registration) { r.Profile.ExternalID = "HR\x7f1" }, []string{"external_id:invalid_characters"}},
		{"locale one letter", func(r *user.Registration) { r.Profile.Locale = "e" }, []string{"locale:invalid_format"}},
		{"locale a word", func(r *user.Registration) { r.Profile.Locale = "english" }, []string{"locale:invalid_format"}},
		{"locale with empty subtag", func(r *user.Registration) { r.Profile.Locale = "en-" }, []string{"locale:invalid_format"}},
		{"locale with one-letter subtag", func(r *user.Registration) { r.Profile.Locale = "en-G" }, []string{"locale:invalid_format"}},
		{"locale with nine-letter subtag", func(r *user.Registration) { r.Profile.Locale = "en-abcdefghi" }, []string{"locale:invalid_format"}},
		{"locale starting with digit", func(r *user.Registration) { r.Profile.Locale = "1en" }, []string{"locale:invalid_format"}},
		{"locale with space", func(r *user.Registration) { r.Profile.Locale = "en GB" }, []string{"locale:invalid_format"}},
		{"time zone unknown", func(r *user.Registration) { r.Profile.TimeZone = "Mars/Olympus_Mons" }, []string{"time_zone:invalid_format"}},
		{"time zone Local", func(r *user.Registration) { r.Profile.TimeZone = "Local" }, []string{"time_zone:invalid_format"}},
		{"time zone wrong case", func(r *user.Registration) { r.Profile.TimeZone = "europe/berlin" }, []string{"time_zone:invalid_format"}},
		{"time zone with trailing space", func(r *user.Registration) { r.Profile.TimeZone = "Europe/Berlin " }, []string{"time_zone:invalid_format"}},
		{"time zone absolute path", func(r *user.Registration) { r.Profile.TimeZone = "/etc/localtime" }, []string{"time_zone:invalid_format"}},
		{"time zone path escape", func(r *user.Registration) { r.Profile.TimeZone = "../zoneinfo/UTC" }, []string{"time_zone:invalid_format"}},
		{"manager id not a UUID", func(r *user.Registration) { r.Profile.ManagerID = "boss" }, []string{"manager_id:invalid_format"}},
		{"manager id without dashes", func(r *user.Registration) { r.Profile.ManagerID = "0190a1b2c3d47e5f8a9b00000000b055" }, []string{"manager_id:invalid_format"}},
		{"manager is self", func(r *user.Registration) { r.Profile.ManagerID = selfID.String() }, []string{"manager_id:self_reference"}},
		{"manager is self in upper case", func(r *user.Registration) { r.Profile.ManagerID = strings.ToUpper(selfID.String()) }, []string{"manager_id:self_reference"}},
		{"username with control character", func(r *user.Registration) { r.Profile.Username = "ada\x00" }, []string{"username:invalid_characters"}},
		{"username too long", func(r *user.Registration) { r.Profile.Username = chars(257) }, []string{"username:too_long"}},
		{"nick name too long", func(r *user.Registration) { r.Profile.NickName = chars(101) }, []string{"nick_name:too_long"}},
		{"employee number with newline", func(r *user.Registration) { r.Profile.EmployeeNumber = "1\n2" }, []string{"employee_number:invalid_characters"}},
		{"cost center too long", func(r *user.Registration) { r.Profile.CostCenter = chars(101) }, []string{"cost_center:too_long"}},
		{"second e-mail invalid", func(r *user.Registration) {
			r.Contacts.Emails = []user.Email{{Value: "ada@example.com", Primary: true}, {Value: "nope"}}
		}, []string{"emails[1].value:invalid_format"}},
		{"e-mail listed twice", func(r *user.Registration) {
			r.Contacts.Emails = []user.Email{{Value: "b@example.com", Type: "home"}, {Value: "B@example.com", Type: "Home"}}
		}, []string{"emails[2]:duplicate"}},
		{"too many e-mails", func(r *user.Registration) {
			for i := 0; i < 11; i++ {
				r.Contacts.Emails = append(r.Contacts.Emails, user.Email{Value: strings.Repeat("b", i+1) + "@example.com"})
			}
		}, []string{"emails:too_many"}},
		{"phone number with control character", func(r *user.Registration) {
			r.Contacts.PhoneNumbers = []user.PhoneNumber{{Value: "+1\x00"}}
		}, []string{"phone_numbers[0].value:invalid_characters"}},
		{"two primary phone numbers", func(r *user.Registration) {
			r.Contacts.PhoneNumbers = []user.PhoneNumber{{Value: "1", Primary: true}, {Value: "2", Primary: true}}
		}, []string{"phone_numbers:multiple_primary"}},
		{"empty address", func(r *user.Registration) { r.Contacts.Addresses = []user.Address{{Type: "work"}} }, []string{"addresses[0]:required"}},
		{"address part too long", func(r *user.Registration) {
			r.Contacts.Addresses = []user.Address{{Locality: chars(201)}}
		}, []string{"addresses[0].locality:too_long"}},
		{"status unknown", func(r *user.Registration) { r.Status = "suspended" }, []string{"status:invalid_value"}},
		{"status wrong case", func(r *user.Registration) { r.Status = "ACTIVE" }, []string{"status:invalid_value"}},
		{"every field at once", func(r *user.Registration) {
			r.Email, r.Status = "Ada <a@b.c>", "gone"
			r.Profile = user.Profile{
				GivenName: "A\x01", FamilyName: " Lovelace", DisplayName: chars(201), Department: "R\nD",
				Title: "\xff", ExternalID: chars(129), Locale: "english", TimeZone: "Local", ManagerID: "boss",
			}
		}, []string{
			"email:invalid_format", "given_name:invalid_characters", "family_name:invalid_format", "display_name:too_long",
			"title:invalid_encoding", "department:invalid_characters", "external_id:too_long",
			"locale:invalid_format", "time_zone:invalid_format", "manager_id:invalid_format", "status:invalid_value",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := user.Registration{Email: "ada@example.com", Profile: minimalProfile()}
			tt.mod(&r)
			got, err := user.Register(selfID, tenant, r, noLookup(t))
			if got != nil {
				t.Errorf("events = %#v, want none", got)
			}
			if codes := fieldCodes(t, err); !reflect.DeepEqual(codes, tt.want) {
				t.Errorf("field errors = %q, want %q", codes, tt.want)
			}
		})
	}
}

func TestValidationErrorMessageListsEveryField(t *testing.T) {
	_, err := user.Register(selfID, tenant, user.Registration{Status: "x"}, noLookup(t))
	want := "invalid user: email: is required; status: must be active or deactivated"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
