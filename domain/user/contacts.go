package user

import (
	"fmt"
	"slices"
	"strings"
)

// Email is one of a user's e-mail addresses. Exactly one of a user's
// addresses is primary: the one that is unique in the tenant, that notices
// go to and that the username defaults to.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// PhoneNumber is one of a user's phone numbers; at most one is primary.
type PhoneNumber struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is one of a user's postal addresses; at most one is primary.
type Address struct {
	Type          string `json:"type,omitempty"`
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// Contacts are a user's multi-valued attributes. Emails always holds the
// primary address (see EmailList for snapshots older than this field).
type Contacts struct {
	Emails       []Email       `json:"emails,omitempty"`
	PhoneNumbers []PhoneNumber `json:"phone_numbers,omitempty"`
	Addresses    []Address     `json:"addresses,omitempty"`
}

// clone copies the lists, so a state never shares an array with an event or
// a caller's input.
func (c Contacts) clone() Contacts {
	return Contacts{Emails: slices.Clone(c.Emails), PhoneNumbers: slices.Clone(c.PhoneNumbers),
		Addresses: slices.Clone(c.Addresses)}
}

// EmailList returns the user's e-mail addresses, the primary one first in
// the stored order; a snapshot recorded before addresses were a list has the
// primary address only.
func (s Snapshot) EmailList() []Email {
	if len(s.Emails) == 0 && s.Email != "" {
		return []Email{{Value: s.Email, Primary: true}}
	}
	return s.Emails
}

// normalizeEmails returns the list with every value normalised, types
// lower-cased and exactly one primary: primary when given (added in front if
// the list lacks it), else the one marked, else the first. It returns the
// primary address ("" for an empty list).
func normalizeEmails(primary string, list []Email) (string, []Email) {
	out := make([]Email, 0, len(list)+1)
	marked := -1
	for _, e := range list {
		e.Value, e.Type = NormalizeEmail(e.Value), normalizeType(e.Type)
		if e.Primary && marked < 0 {
			marked = len(out)
		}
		e.Primary = false
		out = append(out, e)
	}
	switch {
	case primary != "":
		i := slices.IndexFunc(out, func(e Email) bool { return e.Value == primary })
		if i < 0 {
			typ := ""
			if marked >= 0 {
				typ = out[marked].Type // a replaced primary keeps its type
				out = slices.Delete(out, marked, marked+1)
			}
			out = slices.Insert(out, 0, Email{Value: primary, Type: typ})
			i = 0
		}
		marked = i
	case marked < 0 && len(out) > 0:
		marked = 0
	}
	if marked < 0 {
		return "", out
	}
	out[marked].Primary = true
	return out[marked].Value, out
}

// replacePrimary is what an EmailChanged does to the list: the primary
// address's value becomes next (an entry that already had next goes, so the
// address is not listed twice).
func replacePrimary(list []Email, next string) []Email {
	out := make([]Email, 0, len(list)+1)
	found := false
	for _, e := range list {
		switch {
		case e.Primary:
			e.Value, found = next, true
		case e.Value == next:
			continue
		}
		out = append(out, e)
	}
	if !found {
		out = slices.Insert(out, 0, Email{Value: next, Primary: true})
	}
	return out
}

func normalizeType(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// validateContacts checks every entry of every list and reports all problems
// at once, each under its list's field name with the entry's index.
func (c Contacts) validate(v *validation) {
	if len(c.Emails) > MaxEmails {
		v.add(FieldEmails, "too_many", fmt.Sprintf("at most %d e-mail addresses", MaxEmails))
	}
	seen := map[Email]bool{}
	for i, e := range c.Emails {
		f := fmt.Sprintf("%s[%d]", FieldEmails, i)
		if !e.Primary { // the primary address is checked as FieldEmail
			validateEmail(v, f+".value", e.Value)
		}
		validateText(v, f+".type", e.Type, false, MaxTypeLen)
		key := Email{Value: e.Value, Type: e.Type}
		if seen[key] {
			v.add(f, "duplicate", "lists the same address with the same type twice")
		}
		seen[key] = true
	}
	if len(c.PhoneNumbers) > MaxPhoneNumbers {
		v.add(FieldPhoneNumbers, "too_many", fmt.Sprintf("at most %d phone numbers", MaxPhoneNumbers))
	}
	primaries := 0
	for i, p := range c.PhoneNumbers {
		f := fmt.Sprintf("%s[%d]", FieldPhoneNumbers, i)
		validateText(v, f+".value", p.Value, true, MaxPhoneLen)
		validateText(v, f+".type", p.Type, false, MaxTypeLen)
		if p.Primary {
			primaries++
		}
	}
	if primaries > 1 {
		v.add(FieldPhoneNumbers, "multiple_primary", "at most one phone number can be primary")
	}
	if len(c.Addresses) > MaxAddresses {
		v.add(FieldAddresses, "too_many", fmt.Sprintf("at most %d addresses", MaxAddresses))
	}
	primaries = 0
	for i, a := range c.Addresses {
		f := fmt.Sprintf("%s[%d]", FieldAddresses, i)
		validateText(v, f+".type", a.Type, false, MaxTypeLen)
		validateMultiline(v, f+".formatted", a.Formatted, MaxFormattedLen)
		for _, part := range []struct{ name, value string }{
			{"street_address", a.StreetAddress}, {"locality", a.Locality}, {"region", a.Region},
			{"postal_code", a.PostalCode}, {"country", a.Country},
		} {
			if part.name == "street_address" {
				validateMultiline(v, f+"."+part.name, part.value, MaxAddressLen)
				continue
			}
			validateText(v, f+"."+part.name, part.value, false, MaxAddressLen)
		}
		if a == (Address{Type: a.Type, Primary: a.Primary}) {
			v.add(f, "required", "an address needs at least one part")
		}
		if a.Primary {
			primaries++
		}
	}
	if primaries > 1 {
		v.add(FieldAddresses, "multiple_primary", "at most one address can be primary")
	}
}

// normalize trims the types of phone numbers and addresses, as
// normalizeEmails does for e-mail addresses.
func (c Contacts) normalize() Contacts {
	c = c.clone()
	for i := range c.PhoneNumbers {
		c.PhoneNumbers[i].Type = normalizeType(c.PhoneNumbers[i].Type)
		c.PhoneNumbers[i].Value = strings.TrimSpace(c.PhoneNumbers[i].Value)
	}
	for i := range c.Addresses {
		c.Addresses[i].Type = normalizeType(c.Addresses[i].Type)
	}
	return c
}

// ListChange is a multi-valued attribute's whole value before and after a
// change: lists are small (see MaxEmails...), and a subscriber then needs no
// merge rule of its own.
type ListChange[T any] struct {
	Old []T `json:"old"`
	New []T `json:"new"`
}
