package scim

import (
	"fmt"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// fields is a user as SCIM writes it: the domain's profile, the status, and
// the multi-valued attributes as SCIM elements (sub-attribute names in lower
// case), turned into the domain's lists by contacts.
type fields struct {
	user.Profile
	Active bool
	multi  map[string][]element
}

// element is one value of a multi-valued attribute.
type element map[string]any

// The rule for what a request names (README, "Connect your identity
// provider"): every attribute of /Schemas is stored and returned; a
// read-only one (id, meta, groups, schemas) is ignored in a POST or PUT body
// (RFC 7644 section 3.5.1) and refused as 400 mutability by PATCH; password
// is accepted and never stored (the service keeps no credentials); any other
// attribute is refused: 400 invalidValue in a body, 400 invalidPath as a
// PATCH path. Nothing is dropped in silence.

// scalar is a single-valued text attribute: its domain field and where it lives.
type scalar struct {
	field string
	get   func(*fields) *string
}

// scalars are the writable text attributes by canonical path.
var scalars = map[string]scalar{
	"username":             {user.FieldUsername, func(f *fields) *string { return &f.Username }},
	"externalid":           {user.FieldExternalID, func(f *fields) *string { return &f.ExternalID }},
	"displayname":          {user.FieldDisplayName, func(f *fields) *string { return &f.DisplayName }},
	"nickname":             {user.FieldNickName, func(f *fields) *string { return &f.NickName }},
	"profileurl":           {user.FieldProfileURL, func(f *fields) *string { return &f.ProfileURL }},
	"title":                {user.FieldTitle, func(f *fields) *string { return &f.Title }},
	"usertype":             {user.FieldUserType, func(f *fields) *string { return &f.UserType }},
	"preferredlanguage":    {user.FieldPreferredLanguage, func(f *fields) *string { return &f.PreferredLanguage }},
	"locale":               {user.FieldLocale, func(f *fields) *string { return &f.Locale }},
	"timezone":             {user.FieldTimeZone, func(f *fields) *string { return &f.TimeZone }},
	"name.givenname":       {user.FieldGivenName, func(f *fields) *string { return &f.GivenName }},
	"name.familyname":      {user.FieldFamilyName, func(f *fields) *string { return &f.FamilyName }},
	"name.middlename":      {user.FieldMiddleName, func(f *fields) *string { return &f.MiddleName }},
	"name.honorificprefix": {user.FieldHonorificPrefix, func(f *fields) *string { return &f.HonorificPrefix }},
	"name.honorificsuffix": {user.FieldHonorificSuffix, func(f *fields) *string { return &f.HonorificSuffix }},
	"name.formatted":       {user.FieldFormattedName, func(f *fields) *string { return &f.FormattedName }},
	ent("employeenumber"):  {user.FieldEmployeeNumber, func(f *fields) *string { return &f.EmployeeNumber }},
	ent("costcenter"):      {user.FieldCostCenter, func(f *fields) *string { return &f.CostCenter }},
	ent("organization"):    {user.FieldOrganization, func(f *fields) *string { return &f.Organization }},
	ent("division"):        {user.FieldDivision, func(f *fields) *string { return &f.Division }},
	ent("department"):      {user.FieldDepartment, func(f *fields) *string { return &f.Department }},
	ent("manager"):         {user.FieldManagerID, func(f *fields) *string { return &f.ManagerID }},
	ent("manager.value"):   {user.FieldManagerID, func(f *fields) *string { return &f.ManagerID }},
}

func ent(sub string) string { return enterpriseURNLower + ":" + sub }

// complexAttrs are the single-valued complex attributes, with their members.
var complexAttrs = map[string][]string{
	"name":             {"givenname", "familyname", "middlename", "honorificprefix", "honorificsuffix", "formatted"},
	enterpriseURNLower: {"employeenumber", "costcenter", "organization", "division", "department", "manager"},
}

// multiValued are the multi-valued attributes with their sub-attributes.
var multiValued = map[string][]string{
	"emails":       {"value", "type", "primary"},
	"phonenumbers": {"value", "type", "primary"},
	"addresses":    {"type", "formatted", "streetaddress", "locality", "region", "postalcode", "country", "primary"},
}

// unkept are the multi-valued attributes of RFC 7643's User this service
// does not keep: accepted only empty, so no value is dropped.
var unkept = map[string]bool{"roles": true, "entitlements": true, "ims": true, "photos": true, "x509certificates": true}

func empty(v any) bool {
	list, ok := v.([]any)
	return v == nil || ok && len(list) == 0
}

// readOnly reports whether path names a read-only attribute (or part of one).
func readOnly(path string) bool {
	top, _, _ := strings.Cut(path, ".")
	switch top {
	case "id", "meta", "groups", "schemas":
		return true
	}
	return path == ent("manager.$ref") || path == ent("manager.displayname")
}

func mutability(path string) error {
	return &scimError{status: 400, scimType: "mutability", detail: fmt.Sprintf("%q is read-only", path)}
}

func unknownAttribute(path string) error {
	return badValue("%q is not an attribute of this service's User schemas (see /Schemas)", path)
}

// input collects the attribute values a request sets.
type input struct {
	fields
	// set records which domain fields, lists ("emails"...) and "active"
	// were given.
	set map[string]bool
}

func newInput(start fields) *input {
	if start.multi == nil {
		start.multi = map[string][]element{}
	}
	return &input{fields: start, set: map[string]bool{}}
}

// apply sets one attribute (path canonical, see canonicalPath) to value;
// remove clears it instead. inBody is true for the members of a POST or PUT
// body, where read-only attributes are ignored rather than refused.
func (in *input) apply(path string, value any, remove, inBody bool) error {
	if s, ok := scalars[path]; ok {
		if m, ok := value.(map[string]any); ok && path == ent("manager") && !remove {
			value, _ = lookup(m, "value") // {"value": "<id>"}
		}
		return in.str(s, path, value, remove)
	}
	if stored, err := notStored(path, value, remove, inBody); !stored {
		return err
	}
	if path == "active" {
		return in.active(value, remove)
	}
	if _, ok := complexAttrs[path]; ok {
		return in.object(path, value, remove, inBody)
	}
	if _, ok := multiValued[path]; ok {
		return in.multiValued(path, value, remove)
	}
	if inBody {
		return unknownAttribute(path)
	}
	return invalidPath(path)
}

// notStored answers the paths the service does not store (read-only
// attributes, the password, attributes it keeps no value of): stored is
// false for those, with the error if the value is refused.
func notStored(path string, value any, remove, inBody bool) (stored bool, err error) {
	switch {
	case readOnly(path):
		if inBody {
			return false, nil
		}
		return false, mutability(path)
	case path == "password":
		return false, nil // accepted, never stored: the service keeps no credentials
	case unkept[path]:
		if remove || empty(value) {
			return false, nil // Entra sends "roles": [] by default
		}
		return false, badValue("%q is not kept by this service: only an empty value is accepted", path)
	}
	return true, nil
}

// active sets the user's status; it cannot be removed.
func (in *input) active(value any, remove bool) error {
	if remove {
		return badValue(`"active" cannot be removed`)
	}
	b, ok := boolValue(value)
	if !ok {
		return badValue(`"active" must be true or false`)
	}
	in.Active, in.set["active"] = b, true
	return nil
}

// multiValued replaces a multi-valued attribute (emails, phone numbers,
// addresses) whole; a remove (or null) clears it.
func (in *input) multiValued(path string, value any, remove bool) error {
	if remove || value == nil {
		in.multi[path], in.set[path] = nil, true
		return nil
	}
	list, err := elements(path, value)
	if err != nil {
		return err
	}
	in.multi[path], in.set[path] = list, true
	return nil
}

// object applies each member of a complex attribute (name, the enterprise
// extension) as its own path; removing it clears what it holds.
func (in *input) object(path string, value any, remove, inBody bool) error {
	sep := "."
	if path == enterpriseURNLower {
		sep = ":"
	}
	if remove || value == nil {
		for _, s := range complexAttrs[path] {
			if err := in.apply(path+sep+s, nil, true, inBody); err != nil {
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
		if err := in.apply(path+sep+strings.ToLower(k), v, false, inBody); err != nil {
			return err
		}
	}
	return nil
}

// elements reads the value of a multi-valued attribute: a list of objects
// (one object alone is taken as a list of one) with known sub-attributes.
func elements(attr string, value any) ([]element, error) {
	list, ok := value.([]any)
	if !ok {
		list = []any{value}
	}
	out := make([]element, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, badValue("%q must be a list of objects", attr)
		}
		e := element{}
		for k, v := range m {
			if err := e.set(attr, strings.ToLower(k), v); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	markOnePrimary(out, -1)
	return out, nil
}

// set stores one sub-attribute, checking its name and type.
func (e element) set(attr, sub string, v any) error {
	known := false
	for _, s := range multiValued[attr] {
		known = known || s == sub
	}
	switch {
	case !known && (sub == "display" || sub == "$ref"):
		return nil // read-only sub-attributes of RFC 7643 a client may echo
	case !known:
		return badValue("%q has no sub-attribute %q", attr, sub)
	case v == nil:
		delete(e, sub)
	case sub == "primary":
		b, ok := boolValue(v)
		if !ok {
			return badValue("%s.primary must be true or false", attr)
		}
		e[sub] = b
	default:
		s, ok := v.(string)
		if !ok {
			return badValue("%s.%s must be a string", attr, sub)
		}
		e[sub] = s
	}
	return nil
}

// markOnePrimary keeps at most one element primary: keep (an index), else
// the first one marked.
func markOnePrimary(list []element, keep int) {
	if keep < 0 {
		for i, e := range list {
			if p, _ := e["primary"].(bool); p {
				keep = i
				break
			}
		}
	}
	for i, e := range list {
		if i != keep {
			delete(e, "primary")
		}
	}
	if keep >= 0 && keep < len(list) {
		list[keep]["primary"] = true
	}
}

// str sets a text field; null and remove clear it.
func (in *input) str(s scalar, path string, value any, remove bool) error {
	in.set[s.field] = true
	dst := s.get(&in.fields)
	if (remove || value == nil) && s.field == user.FieldUsername {
		return badValue(`"userName" is required and cannot be removed`)
	}
	if remove || value == nil {
		*dst = ""
		return nil
	}
	v, ok := value.(string)
	if !ok {
		return badValue("%q must be a string", path)
	}
	*dst = v
	return nil
}

// fromResource reads a whole User (POST, PUT) into start: every attribute it
// names replaces start's, and for PUT the caller starts from empty fields.
func fromResource(body map[string]any, start fields) (*input, error) {
	in := newInput(start)
	for k, v := range body {
		if err := in.apply(canonicalPath(k), v, false, true); err != nil {
			return nil, err
		}
	}
	// An enterprise extension sent without its URN in "schemas" is still
	// taken: being strict here would only turn clients away.
	if in.Username == "" {
		return nil, badValue(`"userName" is required`)
	}
	return in, nil
}

// defaultEmails gives a user written without an "emails" list their
// userName as the primary address, when it is an e-mail address.
func (in *input) defaultEmails() {
	if len(in.multi["emails"]) == 0 && strings.Contains(in.Username, "@") {
		in.multi["emails"] = []element{{"value": in.Username, "type": "work", "primary": true}}
		in.set["emails"] = true
	}
}

// contacts turns the multi-valued attributes into the domain's lists.
func (in *input) contacts() (user.Contacts, error) {
	var c user.Contacts
	for i, e := range in.multi["emails"] {
		v, _ := e["value"].(string)
		if v == "" {
			return c, badValue("emails[%d].value is required", i)
		}
		c.Emails = append(c.Emails, user.Email{Value: v, Type: str(e, "type"), Primary: flag(e)})
	}
	for i, e := range in.multi["phonenumbers"] {
		v, _ := e["value"].(string)
		if v == "" {
			return c, badValue("phoneNumbers[%d].value is required", i)
		}
		c.PhoneNumbers = append(c.PhoneNumbers, user.PhoneNumber{Value: v, Type: str(e, "type"), Primary: flag(e)})
	}
	for _, e := range in.multi["addresses"] {
		c.Addresses = append(c.Addresses, user.Address{Type: str(e, "type"), Formatted: str(e, "formatted"),
			StreetAddress: str(e, "streetaddress"), Locality: str(e, "locality"), Region: str(e, "region"),
			PostalCode: str(e, "postalcode"), Country: str(e, "country"), Primary: flag(e)})
	}
	return c, nil
}

func str(e element, k string) string { s, _ := e[k].(string); return s }
func flag(e element) bool            { b, _ := e["primary"].(bool); return b }

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
