package scim

import (
	"fmt"
	"strings"
)

// input collects the attribute values a request sets, by canonical path.
// Attributes this service does not keep (employeeNumber, phoneNumbers, ...)
// and read-only ones (id, meta, groups) are ignored, as RFC 7644 allows; the
// discovery endpoints list what is kept.
type input struct {
	fields
	// set records which fields were given ("email", "active", ...).
	set map[string]bool
	// emailsValue is the address given in "emails", when any: the service
	// keeps one address, so it must agree with userName.
	emailsValue string
}

func newInput(start fields) *input { return &input{fields: start, set: map[string]bool{}} }

// apply sets one attribute (path canonical, see canonicalPath) to value;
// remove clears it instead.
func (in *input) apply(path string, value any, remove bool) error {
	switch path {
	case "username":
		return in.str(&in.Email, "email", path, value, remove)
	case "externalid":
		return in.str(&in.ExternalID, "external_id", path, value, remove)
	case "displayname":
		return in.str(&in.DisplayName, "display_name", path, value, remove)
	case "title":
		return in.str(&in.Title, "title", path, value, remove)
	case "locale", "preferredlanguage":
		return in.str(&in.Locale, "locale", path, value, remove)
	case "timezone":
		return in.str(&in.TimeZone, "time_zone", path, value, remove)
	case "name.givenname":
		return in.str(&in.GivenName, "given_name", path, value, remove)
	case "name.familyname":
		return in.str(&in.FamilyName, "family_name", path, value, remove)
	case enterpriseURNLower + ":department":
		return in.str(&in.Department, "department", path, value, remove)
	case enterpriseURNLower + ":manager", enterpriseURNLower + ":manager.value":
		if m, ok := value.(map[string]any); ok && !remove {
			value, _ = lookup(m, "value")
		}
		return in.str(&in.ManagerID, "manager_id", path, value, remove)
	case "active":
		if remove {
			return badValue(`"active" cannot be removed`)
		}
		b, ok := boolValue(value)
		if !ok {
			return badValue(`"active" must be true or false`)
		}
		in.Active, in.set["active"] = b, true
		return nil
	case "name", enterpriseURNLower:
		return in.object(path, value, remove)
	case "emails":
		return in.emails(value, remove)
	}
	return nil // not kept by this service, or read-only: ignored
}

// object applies each member of a complex attribute (name, the enterprise
// extension) as its own path; removing it clears what it holds.
func (in *input) object(path string, value any, remove bool) error {
	sep := "."
	if path == enterpriseURNLower {
		sep = ":"
	}
	if remove || value == nil {
		subs := []string{"givenname", "familyname"}
		if path == enterpriseURNLower {
			subs = []string{"department", "manager"}
		}
		for _, s := range subs {
			if err := in.apply(path+sep+s, nil, true); err != nil {
				return err
			}
		}
		return nil
	}
	m, ok := value.(map[string]any)
	if !ok {
		return badValue("%q must be an object", path)
	}
	for k, v := range m {
		if err := in.apply(path+sep+strings.ToLower(k), v, false); err != nil {
			return err
		}
	}
	return nil
}

// emails takes the primary address, else the work one, else the first one
// without a type. Addresses of other types (home, other) are not kept: adding
// a home address must not replace the work one.
func (in *input) emails(value any, remove bool) error {
	if remove {
		return badValue("the e-mail address is required and cannot be removed")
	}
	list, ok := value.([]any)
	if !ok {
		list = []any{value}
	}
	var untyped, work, primary string
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return badValue(`"emails" must be a list of objects with a "value"`)
		}
		v, _ := lookup(m, "value")
		s, ok := v.(string)
		if !ok {
			return badValue(`every "emails" entry needs a string "value"`)
		}
		p, _ := lookup(m, "primary")
		t, _ := lookup(m, "type")
		typ, _ := t.(string)
		isPrimary, _ := boolValue(p)
		switch {
		case isPrimary && primary == "":
			primary = s
		case strings.EqualFold(typ, "work") && work == "":
			work = s
		case typ == "" && untyped == "":
			untyped = s
		}
	}
	chosen := primary
	if chosen == "" {
		chosen = work
	}
	if chosen == "" {
		chosen = untyped
	}
	if chosen != "" {
		in.emailsValue, in.set["emails"] = chosen, true
	}
	return nil
}

// str sets a text field; null and remove clear it.
func (in *input) str(dst *string, field, path string, value any, remove bool) error {
	in.set[field] = true
	if remove || value == nil {
		*dst = ""
		return nil
	}
	s, ok := value.(string)
	if !ok {
		return badValue("%q must be a string", path)
	}
	*dst = s
	return nil
}

// fromResource reads a whole User (POST, PUT) into start: every attribute it
// names replaces start's, and for PUT the caller starts from empty fields.
func fromResource(body map[string]any, start fields) (*input, error) {
	in := newInput(start)
	for k, v := range body {
		if err := in.apply(canonicalPath(k), v, false); err != nil {
			return nil, err
		}
	}
	if in.set["emails"] {
		switch {
		case !in.set["email"] || in.Email == "":
			in.Email, in.set["email"] = in.emailsValue, true
		case !strings.EqualFold(strings.TrimSpace(in.Email), strings.TrimSpace(in.emailsValue)):
			return nil, badValue("userName and the primary e-mail must be the same address: this service keeps one")
		}
	}
	if in.Email == "" {
		return nil, badValue(`"userName" is required`)
	}
	return in, nil
}

// lookup finds a member of a JSON object by name, case-insensitively, as
// SCIM attribute names are.
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func badValue(format string, args ...any) error {
	return &scimError{status: 400, scimType: "invalidValue", detail: fmt.Sprintf(format, args...)}
}
