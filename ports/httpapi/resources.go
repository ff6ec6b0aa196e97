package httpapi

import (
	"encoding/json"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// userResource is a user as the API shows it. Optional fields that are not
// set are null rather than "" or absent, and lists that are empty are [],
// so clients see every field and can tell "not set" from a value.
type userResource struct {
	ID                string             `json:"id"`
	TenantID          string             `json:"tenant_id"`
	Email             string             `json:"email"`
	Username          string             `json:"username"`
	GivenName         *string            `json:"given_name"`
	FamilyName        *string            `json:"family_name"`
	MiddleName        *string            `json:"middle_name"`
	HonorificPrefix   *string            `json:"honorific_prefix"`
	HonorificSuffix   *string            `json:"honorific_suffix"`
	FormattedName     *string            `json:"formatted_name"`
	DisplayName       *string            `json:"display_name"`
	NickName          *string            `json:"nick_name"`
	ProfileURL        *string            `json:"profile_url"`
	UserType          *string            `json:"user_type"`
	Department        *string            `json:"department"`
	Title             *string            `json:"title"`
	ManagerID         *string            `json:"manager_id"`
	ExternalID        *string            `json:"external_id"`
	EmployeeNumber    *string            `json:"employee_number"`
	CostCenter        *string            `json:"cost_center"`
	Organization      *string            `json:"organization"`
	Division          *string            `json:"division"`
	PreferredLanguage *string            `json:"preferred_language"`
	Locale            *string            `json:"locale"`
	TimeZone          *string            `json:"time_zone"`
	Emails            []user.Email       `json:"emails"`
	PhoneNumbers      []user.PhoneNumber `json:"phone_numbers"`
	Addresses         []user.Address     `json:"addresses"`
	Status            user.Status        `json:"status"`
	Version           int                `json:"version"`
}

func newUserResource(s user.Snapshot) userResource {
	return userResource{
		ID:                s.ID.String(),
		TenantID:          s.TenantID,
		Email:             s.Email,
		Username:          s.UserName(),
		GivenName:         nullable(s.GivenName),
		FamilyName:        nullable(s.FamilyName),
		MiddleName:        nullable(s.MiddleName),
		HonorificPrefix:   nullable(s.HonorificPrefix),
		HonorificSuffix:   nullable(s.HonorificSuffix),
		FormattedName:     nullable(s.FormattedName),
		DisplayName:       nullable(s.DisplayName),
		NickName:          nullable(s.NickName),
		ProfileURL:        nullable(s.ProfileURL),
		UserType:          nullable(s.UserType),
		Department:        nullable(s.Department),
		Title:             nullable(s.Title),
		ManagerID:         nullable(s.ManagerID),
		ExternalID:        nullable(s.ExternalID),
		EmployeeNumber:    nullable(s.EmployeeNumber),
		CostCenter:        nullable(s.CostCenter),
		Organization:      nullable(s.Organization),
		Division:          nullable(s.Division),
		PreferredLanguage: nullable(s.PreferredLanguage),
		Locale:            nullable(s.Locale),
		TimeZone:          nullable(s.TimeZone),
		Emails:            orEmpty(s.EmailList()),
		PhoneNumbers:      orEmpty(s.PhoneNumbers),
		Addresses:         orEmpty(s.Addresses),
		Status:            s.Status,
		Version:           s.Version,
	}
}

// orEmpty shows an empty list as [], never null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// nullable maps the domain's "not set" (empty string) to JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// userPage is one page of a user listing.
type userPage struct {
	Users      []userResource `json:"users"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

func newUserPage(p query.UserPage) userPage {
	users := make([]userResource, len(p.Users)) // never null: an empty page is []
	for i, s := range p.Users {
		users[i] = newUserResource(s)
	}
	return userPage{Users: users, NextCursor: p.NextCursor}
}

// eventResource is one event of a user's history with its metadata.
type eventResource struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Version       int             `json:"version"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
	CorrelationID *string         `json:"correlation_id"`
	CausationID   *string         `json:"causation_id"`
	Actor         *string         `json:"actor"`
	Source        *string         `json:"source"`
}

// eventList is a user's history, oldest first.
type eventList struct {
	Events []eventResource `json:"events"`
}

func newEventList(events []query.RecordedEvent) eventList {
	out := make([]eventResource, len(events))
	for i, e := range events {
		data := e.Data
		if len(data) == 0 {
			data = json.RawMessage("{}") // an event without fields, e.g. user.reactivated.v1
		}
		out[i] = eventResource{
			ID:            e.ID,
			Type:          e.Type,
			Version:       e.Version,
			OccurredAt:    e.OccurredAt.UTC(),
			Data:          data,
			CorrelationID: nullable(e.CorrelationID),
			CausationID:   nullable(e.CausationID),
			Actor:         nullable(e.Actor),
			Source:        nullable(e.Source),
		}
	}
	return eventList{Events: out}
}
