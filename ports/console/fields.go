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
	Input    string // HTML input type; "" means shown, not edited
	Required bool
	Hint     string
}

// userFields are the attributes in the order pages show them.
var userFields = []field{
	{Key: "email", Label: "E-mail", Input: "email", Required: true},
	{Key: "given_name", Label: "Given name", Input: "text", Required: true},
	{Key: "family_name", Label: "Family name", Input: "text", Required: true},
	{Key: "display_name", Label: "Display name", Input: "text"},
	{Key: "department", Label: "Department", Input: "text"},
	{Key: "title", Label: "Title", Input: "text"},
	{Key: "external_id", Label: "External id", Input: "text", Hint: "The id in your HR system or identity provider"},
	{Key: "manager_id", Label: "Manager (user id)", Input: "text"},
	{Key: "locale", Label: "Locale", Input: "text", Hint: "BCP 47, e.g. en-GB"},
	{Key: "time_zone", Label: "Time zone", Input: "text", Hint: "IANA, e.g. Europe/Paris"},
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
	Error string
}

// userView splits a user resource (decoded as a map, so unknown attributes
// survive) into the known fields, in order, and the rest.
func userView(u map[string]any, errs map[string]string) (known []fieldValue, extra []fieldValue) {
	for _, f := range userFields {
		known = append(known, fieldValue{field: f, Value: displayValue(u[f.Key]), Error: errs[f.Key]})
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
