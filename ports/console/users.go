package console

import (
	"net/http"
	"net/url"
)

// listFilters are the user list's filters, each one of GET /v1/users's.
var listFilters = []string{"email", "external_id", "department", "status"}

// usersPage is the data of the user list.
type usersPage struct {
	Filters    map[string]string
	Users      []map[string]any
	NextCursor string
	NextURL    string
	Paged      bool
}

// listUsers shows one page of users, filtered as the API filters.
func (c *console) listUsers(w http.ResponseWriter, r *http.Request, s session) {
	q := url.Values{"limit": {"50"}}
	page := usersPage{Filters: map[string]string{}}
	for _, f := range listFilters {
		if v := r.URL.Query().Get(f); v != "" {
			q.Set(f, v)
			page.Filters[f] = v
		}
	}
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		q.Set("cursor", cur)
		page.Paged = true
	}
	res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/users?"+q.Encode(), nil, nil)
	v := view{Title: "Users", Nav: "users", Data: &page}
	switch {
	case err != nil || res.status == http.StatusUnauthorized || res.status >= 500:
		c.fail(w, r, s, res, err)
		return
	case !res.ok():
		v.Error = res.problem().Message() // a filter the API refused, e.g. an unknown status
		c.render(w, r, http.StatusOK, "users", s, v)
		return
	}
	var body struct {
		Users      []map[string]any `json:"users"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := res.decode(&body); err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	page.Users, page.NextCursor = body.Users, body.NextCursor
	if body.NextCursor != "" {
		next := url.Values{"cursor": {body.NextCursor}}
		for k, v := range page.Filters {
			next.Set(k, v)
		}
		page.NextURL = "/admin/users?" + next.Encode()
	}
	c.render(w, r, http.StatusOK, "users", s, v)
}

// userPage is the data of the detail page and the forms.
type userPage struct {
	ID       string
	User     map[string]any
	Status   string
	Version  int
	Fields   []fieldValue
	Extra    []fieldValue
	History  []historyEntry
	Conflict map[string]any // the other version, after a 412
	Changed  string
}

// Unset labels the known fields without a value, listed on one line so the
// detail page shows what is set first.
func (p *userPage) Unset() []string {
	var out []string
	for _, f := range p.Fields {
		if f.Value == "" {
			out = append(out, f.Label)
		}
	}
	return out
}

// getUser reads one user and its ETag version.
func (c *console) getUser(r *http.Request, s session, id string) (map[string]any, apiResult, error) {
	res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/users/"+url.PathEscape(id), nil, nil)
	if err != nil || !res.ok() {
		return nil, res, err
	}
	var u map[string]any
	err = res.decode(&u)
	return u, res, err
}

func newUserPage(id string, u map[string]any, errs map[string]string) *userPage {
	p := &userPage{ID: id, User: u, Status: displayValue(u["status"])}
	if v, ok := u["version"].(float64); ok {
		p.Version = int(v)
	}
	p.Fields, p.Extra = userView(u, errs, id == "")
	return p
}

// showUser shows every field of a user and its history.
func (c *console) showUser(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	u, res, err := c.getUser(r, s, id)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	page := newUserPage(id, u, nil)
	res, err = c.api.jsonCall(r, s, http.MethodGet, "/v1/users/"+url.PathEscape(id)+"/events", nil, nil)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	var events struct {
		Events []apiEvent `json:"events"`
	}
	if err := res.decode(&events); err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	page.History = history(events.Events)
	v := view{Title: userLabel(u), Nav: "users", Data: page}
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Notice = "Saved."
	case "unchanged":
		v.Notice = "Nothing changed: the user already had these values."
	case "created":
		v.Notice = "User created."
	case "deactivated", "reactivated":
		v.Notice = "User " + r.URL.Query().Get("done") + "."
	}
	c.render(w, r, http.StatusOK, "user", s, v)
}
