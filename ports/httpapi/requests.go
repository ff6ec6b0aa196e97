package httpapi

import (
	"encoding/json"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// registerRequest is the body of POST /v1/users. Missing and null fields are
// both "not set"; the domain decides which are required.
type registerRequest struct {
	Email             string             `json:"email"`
	Username          string             `json:"username"`
	GivenName         string             `json:"given_name"`
	FamilyName        string             `json:"family_name"`
	MiddleName        string             `json:"middle_name"`
	HonorificPrefix   string             `json:"honorific_prefix"`
	HonorificSuffix   string             `json:"honorific_suffix"`
	FormattedName     string             `json:"formatted_name"`
	DisplayName       string             `json:"display_name"`
	NickName          string             `json:"nick_name"`
	ProfileURL        string             `json:"profile_url"`
	UserType          string             `json:"user_type"`
	Department        string             `json:"department"`
	Title             string             `json:"title"`
	ManagerID         string             `json:"manager_id"`
	ExternalID        string             `json:"external_id"`
	EmployeeNumber    string             `json:"employee_number"`
	CostCenter        string             `json:"cost_center"`
	Organization      string             `json:"organization"`
	Division          string             `json:"division"`
	PreferredLanguage string             `json:"preferred_language"`
	Locale            string             `json:"locale"`
	TimeZone          string             `json:"time_zone"`
	Emails            []user.Email       `json:"emails"`
	PhoneNumbers      []user.PhoneNumber `json:"phone_numbers"`
	Addresses         []user.Address     `json:"addresses"`
	Status            user.Status        `json:"status"`
}

func decodeRegistration(body []byte) (user.Registration, error) {
	var req registerRequest
	if err := decodeObject(body, &req); err != nil {
		return user.Registration{}, err
	}
	return user.Registration{
		Email: req.Email,
		Profile: user.Profile{
			Username: req.Username, GivenName: req.GivenName, FamilyName: req.FamilyName,
			MiddleName: req.MiddleName, HonorificPrefix: req.HonorificPrefix, HonorificSuffix: req.HonorificSuffix,
			FormattedName: req.FormattedName, DisplayName: req.DisplayName, NickName: req.NickName,
			ProfileURL: req.ProfileURL, UserType: req.UserType, Department: req.Department, Title: req.Title,
			ManagerID: req.ManagerID, ExternalID: req.ExternalID, EmployeeNumber: req.EmployeeNumber,
			CostCenter: req.CostCenter, Organization: req.Organization, Division: req.Division,
			PreferredLanguage: req.PreferredLanguage, Locale: req.Locale, TimeZone: req.TimeZone,
		},
		Contacts: user.Contacts{Emails: req.Emails, PhoneNumbers: req.PhoneNumbers, Addresses: req.Addresses},
		Status:   req.Status,
	}, nil
}

// patchRequest is the body of PATCH /v1/users/{id}, a JSON merge patch
// (RFC 7396) over the user resource's writable fields. A list is replaced
// whole (RFC 7396 has no merge of arrays); null clears it.
type patchRequest struct {
	Email             patchString                 `json:"email"`
	Username          patchString                 `json:"username"`
	GivenName         patchString                 `json:"given_name"`
	FamilyName        patchString                 `json:"family_name"`
	MiddleName        patchString                 `json:"middle_name"`
	HonorificPrefix   patchString                 `json:"honorific_prefix"`
	HonorificSuffix   patchString                 `json:"honorific_suffix"`
	FormattedName     patchString                 `json:"formatted_name"`
	DisplayName       patchString                 `json:"display_name"`
	NickName          patchString                 `json:"nick_name"`
	ProfileURL        patchString                 `json:"profile_url"`
	UserType          patchString                 `json:"user_type"`
	Department        patchString                 `json:"department"`
	Title             patchString                 `json:"title"`
	ManagerID         patchString                 `json:"manager_id"`
	ExternalID        patchString                 `json:"external_id"`
	EmployeeNumber    patchString                 `json:"employee_number"`
	CostCenter        patchString                 `json:"cost_center"`
	Organization      patchString                 `json:"organization"`
	Division          patchString                 `json:"division"`
	PreferredLanguage patchString                 `json:"preferred_language"`
	Locale            patchString                 `json:"locale"`
	TimeZone          patchString                 `json:"time_zone"`
	Emails            patchList[user.Email]       `json:"emails"`
	PhoneNumbers      patchList[user.PhoneNumber] `json:"phone_numbers"`
	Addresses         patchList[user.Address]     `json:"addresses"`
	Status            patchString                 `json:"status"`
}

// patchList is a list member of a merge patch: absent, null (clear) or a
// new list.
type patchList[T any] struct {
	present bool
	value   []T
}

// UnmarshalJSON is called only for members present in the body.
func (p *patchList[T]) UnmarshalJSON(b []byte) error {
	p.present = true
	if string(b) == "null" {
		p.value = nil
		return nil
	}
	return json.Unmarshal(b, &p.value)
}

func (p patchList[T]) ptr() *[]T {
	if !p.present {
		return nil
	}
	v := p.value
	return &v
}

// patchString is one member of a merge patch. It tells the three cases
// apart, which a plain *string cannot: absent (leave as is), null (clear,
// which the domain spells "") and a string (set).
type patchString struct {
	present bool
	value   string
}

// UnmarshalJSON is called only for members present in the body, null
// included (encoding/json passes null to value types' unmarshalers).
func (p *patchString) UnmarshalJSON(b []byte) error {
	p.present = true
	if string(b) == "null" {
		p.value = ""
		return nil
	}
	return json.Unmarshal(b, &p.value)
}

// ptr is the user.Patch form: nil when absent.
func (p patchString) ptr() *string {
	if !p.present {
		return nil
	}
	v := p.value
	return &v
}

// decodePatch turns a merge patch body into a user.Patch. Whether the values
// are acceptable (a cleared required field, an unknown status) is the
// domain's call, not this port's.
func decodePatch(body []byte) (user.Patch, error) {
	var req patchRequest
	if err := decodeObject(body, &req); err != nil {
		return user.Patch{}, err
	}
	p := user.Patch{
		Email: req.Email.ptr(), Username: req.Username.ptr(), GivenName: req.GivenName.ptr(),
		FamilyName: req.FamilyName.ptr(), MiddleName: req.MiddleName.ptr(), HonorificPrefix: req.HonorificPrefix.ptr(),
		HonorificSuffix: req.HonorificSuffix.ptr(), FormattedName: req.FormattedName.ptr(),
		DisplayName: req.DisplayName.ptr(), NickName: req.NickName.ptr(), ProfileURL: req.ProfileURL.ptr(),
		UserType: req.UserType.ptr(), Department: req.Department.ptr(), Title: req.Title.ptr(),
		ManagerID: req.ManagerID.ptr(), ExternalID: req.ExternalID.ptr(), EmployeeNumber: req.EmployeeNumber.ptr(),
		CostCenter: req.CostCenter.ptr(), Organization: req.Organization.ptr(), Division: req.Division.ptr(),
		PreferredLanguage: req.PreferredLanguage.ptr(), Locale: req.Locale.ptr(), TimeZone: req.TimeZone.ptr(),
		Emails: req.Emails.ptr(), PhoneNumbers: req.PhoneNumbers.ptr(), Addresses: req.Addresses.ptr(),
	}
	if req.Status.present {
		s := user.Status(req.Status.value)
		p.Status = &s
	}
	return p, nil
}

// deactivateRequest is the optional body of POST /v1/users/{id}/deactivate.
type deactivateRequest struct {
	Reason string `json:"reason"`
}

// decodeDeactivation returns the reason; an absent body means none.
func decodeDeactivation(body []byte) (string, error) {
	if body == nil {
		return "", nil
	}
	var req deactivateRequest
	if err := decodeObject(body, &req); err != nil {
		return "", err
	}
	return req.Reason, nil
}

// settingsRequest is the body of PUT /v1/notification-settings.
type settingsRequest struct {
	Emails        []string `json:"emails"`
	WebhookURL    string   `json:"webhook_url"`
	WebhookSecret string   `json:"webhook_secret"`
}

// decodeSettings returns the settings without a tenant: the caller's token
// says which tenant they are for, never the body.
func decodeSettings(body []byte) (command.SetNotificationSettings, error) {
	var req settingsRequest
	if err := decodeObject(body, &req); err != nil {
		return command.SetNotificationSettings{}, err
	}
	return command.SetNotificationSettings{Emails: req.Emails, WebhookURL: req.WebhookURL, WebhookSecret: req.WebhookSecret}, nil
}
