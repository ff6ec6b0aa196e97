// Package console is the admin web console: server-rendered pages under
// /admin/ for the people who manage a tenant's users. It is a client of the
// public admin API and nothing else: every page calls the API's handler, in
// process, with the signed-in token, so the console can do exactly what the
// API can, with the same roles, validation, seats, change detection, ETags
// and problem codes. It holds no business rule and touches no database.
package console

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// Prefix is where the console is mounted.
const Prefix = "/admin/"

// DefaultSessionTTL is how long a sign-in lasts when Config.SessionTTL is
// zero: a working session, short enough that a forgotten browser tab does not
// stay signed in overnight.
const DefaultSessionTTL = time.Hour

//go:embed assets
var assets embed.FS

// Config configures the console.
type Config struct {
	// API is the admin API's handler (httpapi.NewHandler). Every read and
	// write of the console is a request to it. Required.
	API http.Handler
	// Logger receives an error line for every page that fails with a 5xx.
	// Nil means no logging.
	Logger *zap.Logger
	// SessionKey seals the session cookie (AES-256-GCM): 32 bytes. Empty
	// means a random key per process, so sessions end when the process
	// restarts and are not shared by several api processes.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts. Zero means DefaultSessionTTL.
	SessionTTL time.Duration
	// PublicURL is the service's absolute URL as browsers reach it, e.g.
	// behind a TLS-terminating proxy (PUBLIC_BASE_URL). When set, a
	// state-changing request must come from its origin, and an https one
	// makes the cookie Secure. Empty: the request's Host and TLS decide.
	PublicURL string
}

func (c *Config) setDefaults() error {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if len(c.SessionKey) == 0 {
		c.SessionKey = make([]byte, 32)
		if _, err := rand.Read(c.SessionKey); err != nil {
			return fmt.Errorf("console: session key: %w", err)
		}
	}
	return nil
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	if c.API == nil {
		errs = append(errs, errors.New("console: API is nil"))
	}
	if len(c.SessionKey) != 32 {
		errs = append(errs, errors.New("console: SessionKey must be 32 bytes"))
	}
	if c.SessionTTL < 0 {
		errs = append(errs, errors.New("console: SessionTTL must not be negative"))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("console: PublicURL must be an absolute http or https URL"))
		}
	}
	return errors.Join(errs...)
}

// console holds what the pages share.
type console struct {
	api      apiClient
	log      *zap.Logger
	sessions sealer
	ttl      time.Duration
	pages    pages
	// origin is PublicURL's scheme://host, empty when not configured.
	origin string
}

// NewHandler returns the console's handler, to be mounted at Prefix.
func NewHandler(cfg Config) (http.Handler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sealer, err := newSealer(cfg.SessionKey)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &console{api: apiClient{h: cfg.API}, log: cfg.Logger, sessions: sealer, ttl: cfg.SessionTTL, pages: pages}
	if cfg.PublicURL != "" {
		u, _ := url.Parse(cfg.PublicURL) // validated above
		c.origin = u.Scheme + "://" + u.Host
	}
	return secureHeaders(c.routes()), nil
}

// Route is one route of the console and who may use it.
type Route struct {
	Method, Pattern string
	// Access is "public" (no session), "read" (a session) or "write" (a
	// session, the same origin and the session's CSRF token).
	Access string
}

// routeTable is every route with its handler; Routes lists it for the tests
// that check each one refuses what it must.
func (c *console) routeTable() []struct {
	Route
	h http.Handler
} {
	type entry = struct {
		Route
		h http.Handler
	}
	public := func(m, p string, h http.Handler) entry { return entry{Route{m, p, "public"}, h} }
	read := func(p string, fn pageFunc) entry { return entry{Route{http.MethodGet, p, "read"}, c.read(fn)} }
	write := func(p string, fn pageFunc) entry { return entry{Route{http.MethodPost, p, "write"}, c.write(fn)} }
	return []entry{
		public(http.MethodGet, "/admin/static/", staticFiles()),
		public(http.MethodGet, "/admin/{$}", http.RedirectHandler("/admin/users", http.StatusSeeOther)),
		public(http.MethodGet, "/admin/sign-in", http.HandlerFunc(c.signInPage)),
		public(http.MethodPost, "/admin/sign-in", http.HandlerFunc(c.signIn)),
		write("/admin/sign-out", c.signOut),

		read("/admin/users", c.listUsers),
		read("/admin/users/new", c.newUserPage),
		write("/admin/users", c.createUser),
		read("/admin/users/{id}", c.showUser),
		read("/admin/users/{id}/edit", c.editUserPage),
		write("/admin/users/{id}", c.saveUser),
		write("/admin/users/{id}/{action}", c.userAction),

		read("/admin/imports", c.importsPage),
		write("/admin/imports", c.startImport),
		read("/admin/imports/{id}", c.showImport),
		read("/admin/imports/{id}/status", c.importStatus),
		read("/admin/imports/{id}/failures.csv", c.importFailuresCSV),
		write("/admin/imports/{id}/retry", c.retryImport),

		read("/admin/settings", c.settingsPage),
		write("/admin/settings/notifications", c.saveNotifications),
		write("/admin/settings/tokens", c.createToken),
		write("/admin/settings/tokens/revoke", c.revokeToken),
	}
}

func (c *console) routes() http.Handler {
	mux := http.NewServeMux()
	for _, e := range c.routeTable() {
		mux.Handle(e.Method+" "+e.Pattern, e.h)
	}
	return mux
}

// Routes lists the console's routes.
func Routes() []Route {
	var out []Route
	for _, e := range (&console{}).routeTable() {
		out = append(out, e.Route)
	}
	return out
}
