package user

// Profile is the descriptive, single-valued part of a user: everything but
// identity, e-mail addresses, the other multi-valued contacts and status.
// Empty strings mean "not set". It is a value: compare with ==.
//
// What a user must have: a primary e-mail address. Username is optional:
// unset, the username is the primary address (see Snapshot.UserName). Everything here but the username
// is optional, names included: RFC 7643 requires only userName, and rooms,
// service accounts and people with one name have no given or family name.
type Profile struct {
	Username          string `json:"username,omitempty"`
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
	MiddleName        string `json:"middle_name,omitempty"`
	HonorificPrefix   string `json:"honorific_prefix,omitempty"`
	HonorificSuffix   string `json:"honorific_suffix,omitempty"`
	FormattedName     string `json:"formatted_name,omitempty"`
	DisplayName       string `json:"display_name,omitempty"`
	NickName          string `json:"nick_name,omitempty"`
	ProfileURL        string `json:"profile_url,omitempty"`
	UserType          string `json:"user_type,omitempty"`
	Department        string `json:"department,omitempty"`
	Title             string `json:"title,omitempty"`
	ManagerID         string `json:"manager_id,omitempty"`
	ExternalID        string `json:"external_id,omitempty"`
	EmployeeNumber    string `json:"employee_number,omitempty"`
	CostCenter        string `json:"cost_center,omitempty"`
	Organization      string `json:"organization,omitempty"`
	Division          string `json:"division,omitempty"`
	PreferredLanguage string `json:"preferred_language,omitempty"`
	Locale            string `json:"locale,omitempty"`
	TimeZone          string `json:"time_zone,omitempty"`
}

// profileField is one free-text field of the profile: its name, accessor and
// maximum length in characters (0: validated by a rule of its own).
type profileField struct {
	name   string
	get    func(*Profile) *string
	maxLen int
}

// profileFields lists the profile's fields by name, with an accessor, in a
// fixed order so that diffs and errors are deterministic. The maxima are the
// documented ones (README, "Field limits"); they bound every event's size.
var profileFields = []profileField{
	{FieldUsername, func(p *Profile) *string { return &p.Username }, MaxUsernameLen},
	{FieldGivenName, func(p *Profile) *string { return &p.GivenName }, MaxNameLen},
	{FieldFamilyName, func(p *Profile) *string { return &p.FamilyName }, MaxNameLen},
	{FieldMiddleName, func(p *Profile) *string { return &p.MiddleName }, MaxNameLen},
	{FieldHonorificPrefix, func(p *Profile) *string { return &p.HonorificPrefix }, MaxNameLen},
	{FieldHonorificSuffix, func(p *Profile) *string { return &p.HonorificSuffix }, MaxNameLen},
	{FieldFormattedName, func(p *Profile) *string { return &p.FormattedName }, MaxDisplayLen},
	{FieldDisplayName, func(p *Profile) *string { return &p.DisplayName }, MaxDisplayLen},
	{FieldNickName, func(p *Profile) *string { return &p.NickName }, MaxNameLen},
	{FieldProfileURL, func(p *Profile) *string { return &p.ProfileURL }, MaxURLLen},
	{FieldUserType, func(p *Profile) *string { return &p.UserType }, MaxAttributeLen},
	{FieldTitle, func(p *Profile) *string { return &p.Title }, MaxAttributeLen},
	{FieldDepartment, func(p *Profile) *string { return &p.Department }, MaxAttributeLen},
	{FieldManagerID, func(p *Profile) *string { return &p.ManagerID }, 0},
	{FieldExternalID, func(p *Profile) *string { return &p.ExternalID }, MaxExternalIDLen},
	{FieldEmployeeNumber, func(p *Profile) *string { return &p.EmployeeNumber }, MaxAttributeLen},
	{FieldCostCenter, func(p *Profile) *string { return &p.CostCenter }, MaxAttributeLen},
	{FieldOrganization, func(p *Profile) *string { return &p.Organization }, MaxAttributeLen},
	{FieldDivision, func(p *Profile) *string { return &p.Division }, MaxAttributeLen},
	{FieldPreferredLanguage, func(p *Profile) *string { return &p.PreferredLanguage }, MaxAttributeLen},
	{FieldLocale, func(p *Profile) *string { return &p.Locale }, 0},
	{FieldTimeZone, func(p *Profile) *string { return &p.TimeZone }, 0},
}

// validate checks every field and reports all problems at once. The manager's
// existence and the absence of cycles need other users: see Update.
func (p Profile) validate(v *validation, self ID) {
	for _, f := range profileFields {
		if f.maxLen > 0 {
			validateText(v, f.name, *f.get(&p), false, f.maxLen)
		}
	}
	validateLocale(v, FieldLocale, p.Locale)
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
	// A change names one or two of the profile's twenty-odd fields: walking the
	// changes, not looking every field up in them, was a fifth of a
	// replay's CPU. Each name is set once, so the map's order is no matter.
	for name, c := range changes {
		for _, f := range profileFields {
			if f.name == name {
				*f.get(&p) = c.New
				break
			}
		}
	}
	return p
}

// ProfileFieldNames lists the names of the profile's fields, in their fixed
// order: the keys a ProfileChanged's Changes may have.
func ProfileFieldNames() []string {
	names := make([]string, len(profileFields))
	for i, f := range profileFields {
		names[i] = f.name
	}
	return names
}
