package user

import "unicode/utf8"

// The fast decoders below read the two events that make up almost every
// stream (Registered, ProfileChanged) without encoding/json's reflection,
// which was most of a replay's CPU. They accept only the plain shape the
// service writes and PostgreSQL's jsonb gives back (exact field names,
// strings without escapes, valid UTF-8, no nulls, no unknown field) and
// report !ok for anything else, which DecodeEvent then hands to
// encoding/json: the stored JSON contract is encoding/json's, and on what
// they accept the fast decoders give the very same value
// (TestFastDecodersAgreeWithEncodingJSON). A field added to an event is
// unknown here, so such events simply take the slow path until this file
// learns it.

// fastProfileChanged decodes a ProfileChanged made of changes only.
func fastProfileChanged(data []byte) (ProfileChanged, bool) {
	var e ProfileChanged
	s := scanner{b: data}
	if !s.next('{') {
		return e, false
	}
	for first := true; ; first = false {
		key, more, ok := s.key(first)
		if !ok || more && string(key) != "changes" {
			return e, false
		}
		if !more {
			return e, s.end()
		}
		if e.Changes == nil { // a repeated key adds to the map, as encoding/json does
			e.Changes = map[string]Change{}
		}
		if !s.changes(e.Changes) {
			return e, false
		}
	}
}

// changes reads the object of changes into m.
func (s *scanner) changes(m map[string]Change) bool {
	if !s.next('{') {
		return false
	}
	for first := true; ; first = false {
		field, more, ok := s.key(first)
		if !ok || !more {
			return ok
		}
		var c Change
		if !s.next('{') {
			return false
		}
		for first := true; ; first = false {
			k, more, ok := s.key(first)
			switch {
			case !ok:
				return false
			case !more:
			case string(k) == "old" && s.str(&c.Old), string(k) == "new" && s.str(&c.New):
				continue
			default:
				return false
			}
			break
		}
		m[string(field)] = c
	}
}

// fastRegistered decodes a Registered whose values are strings, and lists
// of contacts made of strings and booleans.
func fastRegistered(data []byte) (Registered, bool) {
	var e Registered
	s := scanner{b: data}
	if !s.next('{') {
		return e, false
	}
	for first := true; ; first = false {
		key, more, ok := s.key(first)
		if !ok {
			return e, false
		}
		if !more {
			return e, s.end()
		}
		switch string(key) {
		case "tenant_id":
			ok = s.str(&e.TenantID)
		case "email":
			ok = s.str(&e.Email)
		case "emails":
			e.Emails, ok = s.emails()
		case "phone_numbers":
			var l []Email
			if l, ok = s.emails(); ok {
				e.PhoneNumbers = make([]PhoneNumber, len(l))
				for i, v := range l {
					e.PhoneNumbers[i] = PhoneNumber(v)
				}
			}
		case "addresses":
			e.Addresses, ok = s.addresses()
		default:
			f := profileFieldByJSONName(&e.Profile, key)
			ok = f != nil && s.str(f)
		}
		if !ok {
			return e, false
		}
	}
}

// emails reads a list of e-mail addresses (or phone numbers: the same
// fields). A repeated key replaces the list, as encoding/json does.
func (s *scanner) emails() ([]Email, bool) {
	out := []Email{}
	if !s.next('[') {
		return nil, false
	}
	if s.next(']') {
		return out, true
	}
	for {
		var v Email
		if !s.next('{') {
			return nil, false
		}
		for first := true; ; first = false {
			k, more, ok := s.key(first)
			switch {
			case !ok:
				return nil, false
			case !more:
			case string(k) == "value" && s.str(&v.Value), string(k) == "type" && s.str(&v.Type),
				string(k) == "primary" && s.boolean(&v.Primary):
				continue
			default:
				return nil, false
			}
			break
		}
		out = append(out, v)
		if !s.next(',') {
			return out, s.next(']')
		}
	}
}

// addresses reads a list of addresses.
func (s *scanner) addresses() ([]Address, bool) {
	out := []Address{}
	if !s.next('[') {
		return nil, false
	}
	if s.next(']') {
		return out, true
	}
	for {
		var v Address
		if !s.next('{') {
			return nil, false
		}
		for first := true; ; first = false {
			k, more, ok := s.key(first)
			if !ok {
				return nil, false
			}
			if !more {
				break
			}
			if string(k) == "primary" {
				ok = s.boolean(&v.Primary)
			} else {
				f := addressField(&v, k)
				ok = f != nil && s.str(f)
			}
			if !ok {
				return nil, false
			}
		}
		out = append(out, v)
		if !s.next(',') {
			return out, s.next(']')
		}
	}
}

func addressField(a *Address, key []byte) *string {
	switch string(key) {
	case "type":
		return &a.Type
	case "formatted":
		return &a.Formatted
	case "street_address":
		return &a.StreetAddress
	case "locality":
		return &a.Locality
	case "region":
		return &a.Region
	case "postal_code":
		return &a.PostalCode
	case "country":
		return &a.Country
	}
	return nil
}

// profileFieldByJSONName is the profile field with that JSON name.
func profileFieldByJSONName(p *Profile, key []byte) *string {
	switch string(key) {
	case "username":
		return &p.Username
	case "given_name":
		return &p.GivenName
	case "family_name":
		return &p.FamilyName
	case "middle_name":
		return &p.MiddleName
	case "honorific_prefix":
		return &p.HonorificPrefix
	case "honorific_suffix":
		return &p.HonorificSuffix
	case "formatted_name":
		return &p.FormattedName
	case "display_name":
		return &p.DisplayName
	case "nick_name":
		return &p.NickName
	case "profile_url":
		return &p.ProfileURL
	case "user_type":
		return &p.UserType
	case "department":
		return &p.Department
	case "title":
		return &p.Title
	case "manager_id":
		return &p.ManagerID
	case "external_id":
		return &p.ExternalID
	case "employee_number":
		return &p.EmployeeNumber
	case "cost_center":
		return &p.CostCenter
	case "organization":
		return &p.Organization
	case "division":
		return &p.Division
	case "preferred_language":
		return &p.PreferredLanguage
	case "locale":
		return &p.Locale
	case "time_zone":
		return &p.TimeZone
	}
	return nil
}

// scanner reads the plain subset of JSON the fast decoders accept; every
// method reports false on anything outside it.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether nothing but white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// str reads a string without escapes into *v.
func (s *scanner) str(v *string) bool {
	raw, ok := s.raw()
	if ok {
		*v = string(raw)
	}
	return ok
}

// raw reads a string without escapes and returns its bytes.
func (s *scanner) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(raw) { // encoding/json would replace the bad bytes
				return nil, false
			}
			return raw, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (s *scanner) boolean(v *bool) bool {
	s.ws()
	for _, lit := range []string{"true", "false"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			*v = lit == "true"
			return true
		}
	}
	return false
}

// key reads the next key of an object whose '{' was read (first: no
// member read yet) and the ':' after it. more is false at the object's end.
func (s *scanner) key(first bool) (key []byte, more, ok bool) {
	if s.next('}') {
		return nil, false, true
	}
	if !first && !s.next(',') {
		return nil, false, false
	}
	if key, ok = s.raw(); !ok || !s.next(':') {
		return nil, false, false
	}
	return key, true, true
}
