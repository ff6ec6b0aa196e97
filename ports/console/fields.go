package console

import (
	"sort"
)

// field is one user attribute the console shows and edits. A new attribute of
// the API's user resource appears on the detail page without any change here
// (see extraFields); listing it here gives it a label, a place and a form
// input.
type field struct {
	Key      string
	Label    string
	Input    string // HTML input type, or listInput; "" means shown, not edited
	Required bool
	Hint     string
	// Create offers the field on the creation form. The detail page and the
	// edit form show a field only when the API's user resource has it, so a
	// field listed here before the API serves it stays hidden.
	Create bool
}

// userFields are the attributes in the order pages show them.
var userFields = []field{
	{Key: "email", Label: "E-mail", Input: "email", Required: true, Create: true},
	{Key: "username", Label: "Username", Input: "text", Create: true, Hint: "Unique in the tenant; the e-mail address when not set"},
	// Names are not marked required: whether they are is the API's rule
	// (optional since the richer profile); its message shows next to the field.
	{Key: "given_name", Label: "Given name", Input: "text", Create: true},
	{Key: "middle_name", Label: "Middle name", Input: "text"},
	{Key: "family_name", Label: "Family name", Input: "text", Create: true},
	{Key: "honorific_prefix", Label: "Honorific prefix", Input: "text"},
	{Key: "honorific_suffix", Label: "Honorific suffix", Input: "text"},
	{Key: "formatted_name", Label: "Formatted name", Input: "text"},
	{Key: "display_name", Label: "Display name", Input: "text", Create: true},
	{Key: "nick_name", Label: "Nickname", Input: "text"},
	{Key: "department", Label: "Department", Input: "text", Create: true},
	{Key: "title", Label: "Title", Input: "text", Create: true},
	{Key: "employee_number", Label: "Employee number", Input: "text", Create: true},
	{Key: "cost_center", Label: "Cost center", Input: "text"},
	{Key: "organization", Label: "Organization", Input: "text"},
	{Key: "division", Label: "Division", Input: "text"},
	{Key: "user_type", Label: "User type", Input: "text"},
	{Key: "external_id", Label: "External id", Input: "text", Create: true, Hint: "The id in your HR system or identity provider"},
	{Key: "manager_id", Label: "Manager (user id)", Input: "text", Create: true},
	{Key: "profile_url", Label: "Profile URL", Input: "url"},
	{Key: "preferred_language", Label: "Preferred language", Input: "text"},
	{Key: "locale", Label: "Locale", Input: "text", Create: true, Hint: "BCP 47, e.g. en-GB"},
	{Key: "time_zone", Label: "Time zone", Input: "text", Create: true, Hint: "IANA, e.g. Europe/Paris"},
	{Key: "emails", Label: "E-mail addresses", Input: listInput, Hint: "One a line: address (type, primary)"},
	{Key: "phone_numbers", Label: "Phone numbers", Input: listInput, Hint: "One a line: number (type, primary)"},
	{Key: "addresses", Label: "Addresses"},
}

// shownElsewhere are resource keys the pages show in their own place.
var shownElsewhere = map[string]bool{"id": true, "tenant_id": true, "version": true, "status": true}

// labelOf names a key for people, falling back to the key itself.
func labelOf(key string) string {
	for _, f := range userFields {
		if f.Key == key {
			return f.Label
		}
	}
	return key
}

// fieldValue is one attribute with its value, as a page shows it.
type fieldValue struct {
	field
	Value string
	// Orig is the value the edit form was loaded with: only fields whose
	// value differs from it are sent, so a field nobody touched is never
	// written (nor sent to an API that does not know it).
	Orig  string
	Error string
}

// userView splits a user resource (decoded as a map, so unknown attributes
// survive) into the known fields it has, in order, and the rest. creating
// lists the creation form's fields instead (there is no resource yet).
func userView(u map[string]any, errs map[string]string, creating bool) (known []fieldValue, extra []fieldValue) {
	for _, f := range userFields {
		if _, has := u[f.Key]; has && !creating || creating && f.Create {
			v := displayValue(u[f.Key])
			if f.Input == listInput {
				v = listLines(u[f.Key])
			}
			known = append(known, fieldValue{field: f, Value: v, Orig: v, Error: errs[f.Key]})
		}
	}
	for _, k := range extraFields(u) {
		extra = append(extra, fieldValue{field: field{Key: k, Label: k}, Value: displayValue(u[k]), Error: errs[k]})
	}
	return known, extra
}

// extraFields are the resource's keys the console has no entry for, sorted.
func extraFields(u map[string]any) []string {
	var keys []string
	for k := range u {
		if shownElsewhere[k] {
			continue
		}
		known := false
		for _, f := range userFields {
			known = known || f.Key == k
		}
		if !known {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
