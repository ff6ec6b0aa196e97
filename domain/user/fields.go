package user

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is a user's life-cycle state. An active user occupies one licence seat.
type Status string

// The statuses a user can have.
const (
	StatusActive      Status = "active"
	StatusDeactivated Status = "deactivated"
	// StatusDeleted is where a Deleted event leaves a user. No command sets
	// it (Valid rejects it as input) and no read shows it: a deleted user is
	// not found.
	StatusDeleted Status = "deleted"
)

// Valid reports whether s is a status a command may set.
func (s Status) Valid() bool { return s == StatusActive || s == StatusDeactivated }

// seats is how many licence seats a user of this status occupies.
func (s Status) seats() int {
	if s == StatusActive {
		return 1
	}
	return 0
}

// Field length limits, in characters: every free-text field has one, so
// every command and every event has a bounded size (README, "Field limits").
const (
	MaxEmailLen      = 254 // RFC 5321 path limit
	MaxUsernameLen   = 256
	MaxNameLen       = 100
	MaxDisplayLen    = 200
	MaxAttributeLen  = 100
	MaxExternalIDLen = 128
	MaxURLLen        = 1024
	MaxReasonLen     = 500
	MaxTypeLen       = 40  // the type of an e-mail, phone number or address
	MaxPhoneLen      = 64  // RFC 3966 numbers with extensions fit
	MaxAddressLen    = 200 // one part of an address
	MaxFormattedLen  = 500 // a whole address on several lines
)

// Limits on the multi-valued attributes.
const (
	MaxEmails       = 10
	MaxPhoneNumbers = 10
	MaxAddresses    = 5
)

// Field names as they appear in events, errors and the API.
const (
	FieldEmail             = "email"
	FieldUsername          = "username"
	FieldGivenName         = "given_name"
	FieldFamilyName        = "family_name"
	FieldMiddleName        = "middle_name"
	FieldHonorificPrefix   = "honorific_prefix"
	FieldHonorificSuffix   = "honorific_suffix"
	FieldFormattedName     = "formatted_name"
	FieldDisplayName       = "display_name"
	FieldNickName          = "nick_name"
	FieldProfileURL        = "profile_url"
	FieldUserType          = "user_type"
	FieldDepartment        = "department"
	FieldTitle             = "title"
	FieldManagerID         = "manager_id"
	FieldExternalID        = "external_id"
	FieldEmployeeNumber    = "employee_number"
	FieldCostCenter        = "cost_center"
	FieldOrganization      = "organization"
	FieldDivision          = "division"
	FieldPreferredLanguage = "preferred_language"
	FieldLocale            = "locale"
	FieldTimeZone          = "time_zone"
	FieldStatus            = "status"
	FieldReason            = "reason"
	FieldEmails            = "emails"
	FieldPhoneNumbers      = "phone_numbers"
	FieldAddresses         = "addresses"
)

// NormalizeEmail trims and lower-cases an address. Local parts are
// case-sensitive in theory and never in practice; one spelling per person is
// what uniqueness needs.
// Invalid UTF-8 is left as it is, for validation to reject: lower-casing would
// silently turn it into U+FFFD.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s
	}
	return strings.ToLower(s)
}

// validateEmail checks a normalised address: a bare addr-spec with a dotted domain.
func validateEmail(v *validation, field, email string) {
	switch {
	case email == "":
		v.add(field, "required", "is required")
	case !utf8.ValidString(email):
		v.add(field, "invalid_encoding", "must be valid UTF-8")
	case utf8.RuneCountInString(email) > MaxEmailLen:
		v.add(field, "too_long", "must be at most 254 characters")
	default:
		addr, err := mail.ParseAddress(email)
		at := strings.LastIndexByte(email, '@')
		if err != nil || addr.Address != email || at < 1 || !strings.Contains(email[at+1:], ".") {
			v.add(field, "invalid_format", "must be an e-mail address such as ada@example.com")
		}
	}
}

// validateText checks a free-text attribute: trimmed, printable, bounded.
func validateText(v *validation, field, value string, required bool, maxLen int) {
	switch {
	case value == "" && required:
		v.add(field, "required", "is required")
	case !utf8.ValidString(value):
		v.add(field, "invalid_encoding", "must be valid UTF-8")
	case utf8.RuneCountInString(value) > maxLen:
		v.add(field, "too_long", fmt.Sprintf("must be at most %d characters", maxLen))
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.add(field, "invalid_characters", "must not contain control characters")
	case value != strings.TrimSpace(value):
		v.add(field, "invalid_format", "must not start or end with white space")
	}
}

// localePattern is the shape of a BCP 47 tag (language, then subtags), or
// of the same with underscores, as Okta and Java spell locales ("en_US").
var localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$`)

func validateLocale(v *validation, field, locale string) {
	if locale != "" && (len(locale) > 35 || !localePattern.MatchString(locale)) {
		v.add(field, "invalid_format", "must be a BCP 47 language tag such as en-GB")
	}
}

// timeZonePattern is the shape of an IANA zone name ("Europe/Berlin",
// "America/Argentina/Buenos_Aires", "Etc/GMT+1"): it keeps out other spellings
// of a file path that LoadLocation would also open ("./UTC", "Europe//Berlin").
var timeZonePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$`)

func validateTimeZone(v *validation, tz string) {
	if tz != "" && !isTimeZone(tz) {
		v.add(FieldTimeZone, "invalid_format", "must be an IANA time zone such as Europe/Berlin")
	}
}

// knownTimeZones remembers the zone names found valid: LoadLocation opens
// and parses a zoneinfo file on every call, which was 3 to 8 % of the CPU of
// a create-user command. Only valid names are kept, so the set is bounded by
// the IANA database (about 600 names) whatever the input.
var knownTimeZones sync.Map

func isTimeZone(tz string) bool {
	if _, ok := knownTimeZones.Load(tz); ok {
		return true
	}
	// "Local" and the zoneinfo files "localtime" and "posixrules" name the
	// server's own setting, not a zone.
	if !timeZonePattern.MatchString(tz) || tz == "Local" || tz == "localtime" || tz == "posixrules" {
		return false
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return false
	}
	knownTimeZones.Store(tz, struct{}{})
	return true
}

// validateMultiline checks free text that may span lines (a postal address):
// as validateText, but line feeds are allowed.
func validateMultiline(v *validation, field, value string, maxLen int) {
	validateText(v, field, strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", " "), "\n", " "), false, maxLen)
}
