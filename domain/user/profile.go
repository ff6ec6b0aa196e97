package user

// Profile is the descriptive part of a user: everything but identity, e-mail
// and status. Empty strings mean "not set". It is a value: compare with ==.
type Profile struct {
	GivenName   string `json:"given_name"`
	FamilyName  string `json:"family_name"`
	DisplayName string `json:"display_name,omitempty"`
	Department  string `json:"department,omitempty"`
	Title       string `json:"title,omitempty"`
	ManagerID   string `json:"manager_id,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
	Locale      string `json:"locale,omitempty"`
	TimeZone    string `json:"time_zone,omitempty"`
}

// profileFields lists the profile's fields by name, with an accessor, in a
// fixed order so that diffs and errors are deterministic.
var profileFields = []struct {
	name string
	get  func(*Profile) *string
}{
	{FieldGivenName, func(p *Profile) *string { return &p.GivenName }},
	{FieldFamilyName, func(p *Profile) *string { return &p.FamilyName }},
	{FieldDisplayName, func(p *Profile) *string { return &p.DisplayName }},
	{FieldDepartment, func(p *Profile) *string { return &p.Department }},
	{FieldTitle, func(p *Profile) *string { return &p.Title }},
	{FieldManagerID, func(p *Profile) *string { return &p.ManagerID }},
	{FieldExternalID, func(p *Profile) *string { return &p.ExternalID }},
	{FieldLocale, func(p *Profile) *string { return &p.Locale }},
	{FieldTimeZone, func(p *Profile) *string { return &p.TimeZone }},
}

// validate checks every field and reports all problems at once. The manager's
// existence and the absence of cycles need other users: see Update.
func (p Profile) validate(v *validation, self ID) {
	validateText(v, FieldGivenName, p.GivenName, true, maxNameLen)
	validateText(v, FieldFamilyName, p.FamilyName, true, maxNameLen)
	validateText(v, FieldDisplayName, p.DisplayName, false, maxDisplayLen)
	validateText(v, FieldDepartment, p.Department, false, maxAttributeLen)
	validateText(v, FieldTitle, p.Title, false, maxAttributeLen)
	validateText(v, FieldExternalID, p.ExternalID, false, maxExternalIDLen)
	validateLocale(v, p.Locale)
	validateTimeZone(v, p.TimeZone)
	if p.ManagerID != "" {
		switch id, err := ParseID(p.ManagerID); {
		case err != nil:
			v.add(FieldManagerID, "invalid_format", "must be a user id (UUID)")
		case id == self:
			v.add(FieldManagerID, "self_reference", "a user cannot be their own manager")
		}
	}
}

// diff lists the fields whose values differ between p (old) and q (new).
func (p Profile) diff(q Profile) map[string]Change {
	var changes map[string]Change
	for _, f := range profileFields {
		oldV, newV := *f.get(&p), *f.get(&q)
		if oldV == newV {
			continue
		}
		if changes == nil {
			changes = make(map[string]Change)
		}
		changes[f.name] = Change{Old: oldV, New: newV}
	}
	return changes
}

// with returns p with changes applied. Unknown field names are ignored: they
// can only come from a newer event version, which an upcaster handles.
func (p Profile) with(changes map[string]Change) Profile {
	for _, f := range profileFields {
		if c, ok := changes[f.name]; ok {
			*f.get(&p) = c.New
		}
	}
	return p
}
