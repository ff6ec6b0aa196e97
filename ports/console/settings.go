package console

import (
	"net/http"
	"net/url"
	"strings"
)

// settingsPage shows the notification settings form and the token actions.
func (c *console) settingsPage(w http.ResponseWriter, r *http.Request, s session) {
	v := view{Title: "Settings", Nav: "settings"}
	switch r.URL.Query().Get("done") {
	case "notifications":
		v.Notice = "Notification settings saved."
	case "revoked":
		v.Notice = "Token revoked: it stops working from its next request."
	}
	c.render(w, r, http.StatusOK, "settings", s, v)
}

// saveNotifications sends PUT /v1/notification-settings.
func (c *console) saveNotifications(w http.ResponseWriter, r *http.Request, s session) {
	var emails []string
	for _, e := range strings.FieldsFunc(r.PostFormValue("emails"), func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		emails = append(emails, strings.TrimSpace(e))
	}
	body := map[string]any{"emails": emails}
	if u := strings.TrimSpace(r.PostFormValue("webhook_url")); u != "" {
		body["webhook_url"] = u
		body["webhook_secret"] = r.PostFormValue("webhook_secret")
	}
	if emails == nil {
		body["emails"] = []string{}
	}
	res, err := c.api.jsonCall(r.Context(), s, http.MethodPut, "/v1/notification-settings", body, nil)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		p := res.problem()
		c.render(w, r, res.status, "settings", s, view{Title: "Settings", Nav: "settings", Error: p.Message(),
			Data: map[string]any{"emails": r.PostFormValue("emails"), "webhook_url": r.PostFormValue("webhook_url"),
				"errors": p.FieldErrors()}})
		return
	}
	http.Redirect(w, r, "/admin/settings?done=notifications", http.StatusSeeOther)
}

// revokeToken sends DELETE /v1/tokens/{id}.
func (c *console) revokeToken(w http.ResponseWriter, r *http.Request, s session) {
	id := strings.TrimSpace(r.PostFormValue("token_id"))
	res, err := c.api.jsonCall(r.Context(), s, http.MethodDelete, "/v1/tokens/"+url.PathEscape(id), nil, nil)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		c.render(w, r, res.status, "settings", s, view{Title: "Settings", Nav: "settings", Error: res.problem().Message()})
		return
	}
	http.Redirect(w, r, "/admin/settings?done=revoked", http.StatusSeeOther)
}
