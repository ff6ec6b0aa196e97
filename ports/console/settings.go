package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// settingsData is what the settings page shows besides its forms.
type settingsData struct {
	Form      map[string]string
	Errors    map[string]string
	SecretSet bool
	Tokens    []apiToken
	NewToken  *apiToken
}

// apiSettings is GET /v1/notification-settings.
type apiSettings struct {
	Emails           []string `json:"emails"`
	WebhookURL       *string  `json:"webhook_url"`
	WebhookSecretSet bool     `json:"webhook_secret_set"`
}

// apiToken is one entry of GET /v1/tokens (Token only after POST).
type apiToken struct {
	ID        string     `json:"id"`
	Role      string     `json:"role"`
	CreatedAt *time.Time `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Token     string     `json:"token"`
}

// settingsPage shows the notification settings form and the tenant's tokens.
func (c *console) settingsPage(w http.ResponseWriter, r *http.Request, s session) {
	v := view{Title: "Settings", Nav: "settings"}
	switch r.URL.Query().Get("done") {
	case "notifications":
		v.Notice = "Notification settings saved."
	case "revoked":
		v.Notice = "Token revoked: it stops working from its next request."
	}
	c.renderSettings(w, r, s, http.StatusOK, v, &settingsData{})
}

// renderSettings reads the notice settings (when the form has not been
// posted) and the tokens (admins), and renders the page.
func (c *console) renderSettings(w http.ResponseWriter, r *http.Request, s session, status int, v view, d *settingsData) {
	if s.Can("users:write") {
		res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/notification-settings", nil, nil)
		if err != nil || !res.ok() {
			c.fail(w, r, s, res, err)
			return
		}
		var cur apiSettings
		if err := res.decode(&cur); err != nil {
			c.fail(w, r, s, res, err)
			return
		}
		d.SecretSet = cur.WebhookSecretSet
		if d.Form == nil {
			d.Form = map[string]string{"emails": strings.Join(cur.Emails, ", "), "webhook_url": deref(cur.WebhookURL)}
		}
	}
	if s.Can("tokens:write") {
		res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/tokens", nil, nil)
		if err != nil || !res.ok() {
			c.fail(w, r, s, res, err)
			return
		}
		var list struct {
			Tokens []apiToken `json:"tokens"`
		}
		if err := res.decode(&list); err != nil {
			c.fail(w, r, s, res, err)
			return
		}
		d.Tokens = list.Tokens
	}
	v.Title, v.Nav, v.Data = "Settings", "settings", d
	c.render(w, r, status, "settings", s, v)
}

// createToken sends POST /v1/tokens and shows the secret once, on this page
// only (never in a URL, never stored by the console).
func (c *console) createToken(w http.ResponseWriter, r *http.Request, s session) {
	body := map[string]any{"role": r.PostFormValue("role")}
	if days, err := strconv.Atoi(r.PostFormValue("ttl_days")); err == nil {
		body["ttl_hours"] = days * 24
	}
	res, err := c.api.jsonCall(r, s, http.MethodPost, "/v1/tokens", body, nil)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		c.renderSettings(w, r, s, res.status, view{Error: res.problem().Message()}, &settingsData{})
		return
	}
	var tok apiToken
	if err := res.decode(&tok); err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	c.renderSettings(w, r, s, http.StatusCreated, view{}, &settingsData{NewToken: &tok})
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
	res, err := c.api.jsonCall(r, s, http.MethodPut, "/v1/notification-settings", body, nil)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		p := res.problem()
		c.renderSettings(w, r, s, res.status, view{Error: p.Message()}, &settingsData{Errors: p.FieldErrors(),
			Form: map[string]string{"emails": r.PostFormValue("emails"), "webhook_url": r.PostFormValue("webhook_url")}})
		return
	}
	http.Redirect(w, r, "/admin/settings?done=notifications", http.StatusSeeOther)
}

// revokeToken sends DELETE /v1/tokens/{id}.
func (c *console) revokeToken(w http.ResponseWriter, r *http.Request, s session) {
	id := strings.TrimSpace(r.PostFormValue("token_id"))
	res, err := c.api.jsonCall(r, s, http.MethodDelete, "/v1/tokens/"+url.PathEscape(id), nil, nil)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		c.renderSettings(w, r, s, res.status, view{Error: res.problem().Message()}, &settingsData{})
		return
	}
	http.Redirect(w, r, "/admin/settings?done=revoked", http.StatusSeeOther)
}
