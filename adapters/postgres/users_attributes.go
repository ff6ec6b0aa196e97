package postgres

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/userservice/userservice/domain/user"
)

// userAttributes are the parts of a user the users read model keeps in its
// attributes column (jsonb) rather than in columns of their own: the
// profile fields no query filters or sorts on, and the multi-valued
// attributes. Empty parts are left out, and so is an e-mail list that is
// just the primary address (what every user had before lists, see
// migration 00020): a row written before the column existed and the same
// user rebuilt from the events then hold the same value.
type userAttributes struct {
	MiddleName        string             `json:"middle_name,omitempty"`
	HonorificPrefix   string             `json:"honorific_prefix,omitempty"`
	HonorificSuffix   string             `json:"honorific_suffix,omitempty"`
	FormattedName     string             `json:"formatted_name,omitempty"`
	NickName          string             `json:"nick_name,omitempty"`
	ProfileURL        string             `json:"profile_url,omitempty"`
	UserType          string             `json:"user_type,omitempty"`
	EmployeeNumber    string             `json:"employee_number,omitempty"`
	CostCenter        string             `json:"cost_center,omitempty"`
	Organization      string             `json:"organization,omitempty"`
	Division          string             `json:"division,omitempty"`
	PreferredLanguage string             `json:"preferred_language,omitempty"`
	Emails            []user.Email       `json:"emails,omitempty"`
	PhoneNumbers      []user.PhoneNumber `json:"phone_numbers,omitempty"`
	Addresses         []user.Address     `json:"addresses,omitempty"`
}

// attributesOf returns the snapshot's attributes column value, as raw JSON:
// pgx sends it as jsonb as it is, and the import chunk's JSON records embed
// it as an object (a []byte would become a base64 string there).
func attributesOf(s user.Snapshot) json.RawMessage {
	a := userAttributes{
		MiddleName: s.MiddleName, HonorificPrefix: s.HonorificPrefix, HonorificSuffix: s.HonorificSuffix,
		FormattedName: s.FormattedName, NickName: s.NickName, ProfileURL: s.ProfileURL, UserType: s.UserType,
		EmployeeNumber: s.EmployeeNumber, CostCenter: s.CostCenter, Organization: s.Organization, Division: s.Division,
		PreferredLanguage: s.PreferredLanguage, Emails: s.Emails, PhoneNumbers: s.PhoneNumbers, Addresses: s.Addresses,
	}
	if slices.Equal(a.Emails, []user.Email{{Value: s.Email, Primary: true}}) {
		a.Emails = nil
	}
	data, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("encode user attributes: %v", err)) // strings, bools and slices of them always encode
	}
	return data
}

// setAttributes fills the snapshot's parts kept in the attributes column.
func setAttributes(s *user.Snapshot, data []byte) error {
	var a userAttributes
	if len(data) > 0 {
		if err := json.Unmarshal(data, &a); err != nil {
			return fmt.Errorf("users: attributes of %s: %w", s.ID, err)
		}
	}
	s.MiddleName, s.HonorificPrefix, s.HonorificSuffix = a.MiddleName, a.HonorificPrefix, a.HonorificSuffix
	s.FormattedName, s.NickName, s.ProfileURL, s.UserType = a.FormattedName, a.NickName, a.ProfileURL, a.UserType
	s.EmployeeNumber, s.CostCenter, s.Organization, s.Division = a.EmployeeNumber, a.CostCenter, a.Organization, a.Division
	s.PreferredLanguage = a.PreferredLanguage
	s.Emails, s.PhoneNumbers, s.Addresses = a.Emails, a.PhoneNumbers, a.Addresses
	s.Emails = s.EmailList()
	return nil
}
