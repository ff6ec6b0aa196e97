package console

import (
	"net/http"
	"strings"
	"time"
)

// signInPage shows the token form.
func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Sign in", Data: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("expired") != "" {
		v.Notice = "Your session ended (the token was revoked or expired). Sign in again."
	}
	if r.URL.Query().Get("out") != "" {
		v.Notice = "You are signed out."
	}
	c.render(w, r, http.StatusOK, "signin", session{}, v)
}

// me is the API's GET /v1/me.
type me struct {
	TenantID    string   `json:"tenant_id"`
	TokenID     string   `json:"token_id"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// signIn checks the token with the API and starts a session. The form has no
// session yet to carry a CSRF token, so it is protected by the origin check
// and the SameSite cookie: a forged sign-in from another site is refused.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	if !c.sameOrigin(r) {
		c.refuse(w, r, "This request came from another site and was refused.")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	again := func(msg string) {
		c.render(w, r, http.StatusUnauthorized, "signin", session{}, view{Title: "Sign in", Error: msg, Data: next})
	}
	if token == "" {
		again("Paste an API token (usersctl token create prints one).")
		return
	}
	res, err := c.api.do(r, apiCall{method: http.MethodGet, path: "/v1/me", token: token})
	if err != nil {
		c.fail(w, r, session{}, res, err)
		return
	}
	switch {
	case res.status == http.StatusUnauthorized:
		again("This token is not valid: it is unknown, expired or revoked.")
		return
	case res.status == http.StatusTooManyRequests:
		again("Too many failed sign-ins from your address. Wait a little (" + res.header.Get("Retry-After") + " s) and try again.")
		return
	case res.status == http.StatusForbidden:
		again("This token cannot use the admin API (a SCIM token?). Use a reader, importer or admin token.")
		return
	case !res.ok():
		c.fail(w, r, session{}, res, nil)
		return
	}
	var m me
	if err := res.decode(&m); err != nil {
		c.fail(w, r, session{}, res, err)
		return
	}
	csrf, err := newCSRFToken()
	if err != nil {
		c.fail(w, r, session{}, res, err)
		return
	}
	s := session{Token: token, TenantID: m.TenantID, TokenID: m.TokenID, Role: m.Role, Permissions: m.Permissions, CSRF: csrf,
		Expires: time.Now().Add(c.ttl)}
	if err := c.setSession(w, r, s); err != nil {
		c.fail(w, r, session{}, res, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session (the token itself stays valid: revoke it in
// Settings to end it everywhere).
func (c *console) signOut(w http.ResponseWriter, r *http.Request, _ session) {
	c.clearSession(w, r)
	http.Redirect(w, r, "/admin/sign-in?out=1", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console, so the sign-in
// page cannot be used to send someone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/admin/users"
	}
	return next
}
