package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy allows the console's own scripts, styles and images
// only: no inline script, no framing, forms posting only to the console.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secureHeaders sets the headers every console answer carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/admin/static/") {
			h.Set("Cache-Control", "no-store") // pages show users' data
		}
		next.ServeHTTP(w, r)
	})
}

// pageFunc is a page that runs for a signed-in person.
type pageFunc func(w http.ResponseWriter, r *http.Request, s session)

// read serves a page to a signed-in person; anyone else is sent to sign in.
func (c *console) read(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.sessionFrom(r)
		if err != nil {
			http.Redirect(w, r, "/admin/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	})
}

// write serves a state-changing request: it must come from a console page of
// the same origin and carry the session's CSRF token (form field csrf or
// header X-CSRF-Token). The SameSite=Strict cookie alone is not enough: other
// ports of the same host are the same site.
func (c *console) write(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.sameOrigin(r) {
			c.refuse(w, r, "This request came from another site and was refused.")
			return
		}
		s, err := c.sessionFrom(r)
		if err != nil {
			http.Redirect(w, r, "/admin/sign-in", http.StatusSeeOther)
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostFormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) != 1 {
			c.refuse(w, r, "This form has expired or did not come from the console. Reload the page and try again.")
			return
		}
		fn(w, r, s)
	})
}

// sameOrigin refuses a request a browser marks as coming from another origin:
// the configured public origin, else the request's own host. Browsers send
// Origin on every POST; Sec-Fetch-Site backs it up.
func (c *console) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if c.origin != "" {
		return origin == c.origin
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// secure reports whether the browser reaches the console over TLS, so the
// cookie may only travel over TLS.
func (c *console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(c.origin, "https://")
}

// refuse answers 403 with a page saying why.
func (c *console) refuse(w http.ResponseWriter, r *http.Request, why string) {
	c.render(w, r, http.StatusForbidden, "error", session{}, view{Title: "Refused", Error: why})
}
