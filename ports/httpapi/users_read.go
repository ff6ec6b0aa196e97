package httpapi

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// getUser handles GET /v1/users/{id}.
func (h *handler) getUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	s, err := h.app.Queries.GetUser.Handle(r.Context(), query.GetUser{TenantID: p.TenantID, UserID: id})
	if err != nil {
		return err
	}
	hdr := http.Header{}
	hdr.Set("ETag", etag(s.Version))
	h.writeJSON(w, r, http.StatusOK, newUserResource(s), hdr)
	return nil
}

// listUsers handles GET /v1/users.
func (h *handler) listUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q, err := parseListQuery(r.URL.Query(), p.TenantID)
	if err != nil {
		return err
	}
	page, err := h.app.Queries.ListUsers.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, newUserPage(page), nil)
	return nil
}

// getUserEvents handles GET /v1/users/{id}/events.
func (h *handler) getUserEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	events, err := h.app.Queries.GetUserEvents.Handle(r.Context(), query.GetUserEvents{TenantID: p.TenantID, UserID: id})
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, newEventList(events), nil)
	return nil
}

// listParams are the query parameters of GET /v1/users.
var listParams = map[string]bool{
	"status": true, "email": true, "external_id": true, "department": true, "limit": true, "cursor": true,
}

// parseListQuery translates the query string. Unknown or repeated parameters
// are rejected rather than ignored: a misspelt filter that silently lists
// everyone is worse than an error. The values themselves are checked by the
// query handler.
func parseListQuery(v url.Values, tenantID string) (query.ListUsers, error) {
	for name, values := range v {
		if !listParams[name] {
			return query.ListUsers{}, fmt.Errorf("%w: unknown parameter %q", query.ErrInvalidQuery, name)
		}
		if len(values) != 1 {
			return query.ListUsers{}, fmt.Errorf("%w: parameter %q given more than once", query.ErrInvalidQuery, name)
		}
	}
	q := query.ListUsers{
		TenantID:   tenantID,
		Status:     user.Status(v.Get("status")),
		Email:      v.Get("email"),
		ExternalID: v.Get("external_id"),
		Department: v.Get("department"),
		After:      v.Get("cursor"),
	}
	var err error
	if q.Limit, err = intParam(v, "limit", 1); err != nil {
		return query.ListUsers{}, err
	}
	return q, nil
}
