package httpapi

import (
	"encoding/json"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// userResource is a user as the API shows it. Optional fields that are not
// set are null rather than "" or absent, so clients see every field and can
// tell "not set" from a value.
type userResource struct {
	ID          string      `json:"id"`
	TenantID    string      `json:"tenant_id"`
	Email       string      `json:"email"`
	GivenName   string      `json:"given_name"`
	FamilyName  string      `json:"family_name"`
	DisplayName *string     `json:"display_name"`
	Department  *string     `json:"department"`
	Title       *string     `json:"title"`
	ManagerID   *string     `json:"manager_id"`
	ExternalID  *string     `json:"external_id"`
	Locale      *string     `json:"locale"`
	TimeZone    *string     `json:"time_zone"`
	Status      user.Status `json:"status"`
	Version     int         `json:"version"`
}

func newUserResource(s user.Snapshot) userResource {
	return userResource{
		ID:          s.ID.String(),
		TenantID:    s.TenantID,
		Email:       s.Email,
		GivenName:   s.GivenName,
		FamilyName:  s.FamilyName,
		DisplayName: nullable(s.DisplayName),
		Department:  nullable(s.Department),
		Title:       nullable(s.Title),
		ManagerID:   nullable(s.ManagerID),
		ExternalID:  nullable(s.ExternalID),
		Locale:      nullable(s.Locale),
		TimeZone:    nullable(s.TimeZone),
		Status:      s.Status,
		Version:     s.Version,
	}
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
