// Package scim is the SCIM 2.0 port (RFC 7643, RFC 7644): identity providers
// and HR systems provision users through it. Like the admin API it only
// translates: every write becomes an app command with source "scim" (so
// validation, seats, change detection, events and the outbox behave exactly
// as for the admin API), every read an app query.
package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/internal/allow"
	"github.com/userservice/userservice/ports/internal/preauth"
	"github.com/userservice/userservice/ports/internal/ratelimit"
	"github.com/userservice/userservice/ports/internal/routes"
)

// Prefix is the path under which the port serves (RFC 7644 section 3.13
// versions the base URL).
const Prefix = "/scim/v2"

// mediaSCIM is SCIM's media type; plain JSON is accepted too.
const mediaSCIM = "application/scim+json"

// Config configures the SCIM port.
type Config struct {
	// Logger receives an error line for every 5xx answer. Nil means none.
	Logger *zap.Logger
	// MaxBodyBytes caps a request body (a Bulk request included); zero
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RateLimit and RateBurst limit the requests per second (and the burst)
	// per token and process, like the admin API's: beyond them, 429 with
	// Retry-After. Zero means DefaultRateLimit / DefaultRateBurst; a negative
	// RateLimit disables the limit.
	RateLimit float64
	RateBurst int
	// BaseURL is the absolute URL of the port as clients reach it
	// ("https://users.example.com/scim/v2"), for meta.location. Empty means
	// derived from each request's Host (https when the request came over TLS).
	BaseURL string
	// AuthFailureRate, AuthFailureBurst and TrustedProxies configure the
	// budget of failed authentications per client address, as for the admin
	// API (see preauth.Config).
	AuthFailureRate  float64
	AuthFailureBurst int
	TrustedProxies   []netip.Prefix
	// DeleteErases makes DELETE /Users/{id} erase the person's personal
	// data (EraseUser) rather than delete the user (SCIM_DELETE=erase).
	DeleteErases bool
}

// Defaults of the per-token rate limit, the admin API's.
const (
	DefaultRateLimit = 100.0
	DefaultRateBurst = 200
)

// DefaultMaxBodyBytes is the body limit when Config.MaxBodyBytes is zero; it
// is also the maxPayloadSize advertised for Bulk.
const DefaultMaxBodyBytes int64 = 1 << 20

type handler struct {
	app     app.Application
	log     *zap.Logger
	maxBody int64
	baseURL string
	limiter *ratelimit.PerToken
	gate    *preauth.Gate
	erases  bool // DELETE erases (Config.DeleteErases)
}

// NewHandler returns the SCIM port's http.Handler, serving Prefix.
func NewHandler(application app.Application, cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	var errs []error
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("scim: MaxBodyBytes must not be negative"))
	}
	if cfg.RateLimit > 0 && cfg.RateBurst < 1 {
		errs = append(errs, errors.New("scim: RateBurst must be positive when RateLimit is"))
	}
	c := application.Commands
	if cfg.DeleteErases && c.EraseUser == nil {
		errs = append(errs, errors.New("scim: DeleteErases needs Commands.EraseUser"))
	}
	if c.RegisterUser == nil || c.UpdateUser == nil || c.DeleteUser == nil || !groupsWired(application) {
		errs = append(errs, errors.New("scim: Commands.RegisterUser, UpdateUser, DeleteUser, CreateGroup, UpdateGroup, DeleteGroup and Queries.Groups are required"))
	}
	gate, err := preauth.New(preauth.Config{FailureRate: cfg.AuthFailureRate, FailureBurst: cfg.AuthFailureBurst,
		TrustedProxies: cfg.TrustedProxies})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h := &handler{app: application, erases: cfg.DeleteErases, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, baseURL: strings.TrimSuffix(cfg.BaseURL, "/"),
		limiter: ratelimit.New(cfg.RateLimit, cfg.RateBurst), gate: gate}
	r := mux.NewRouter()
	h.routes(r)
	return h.withCorrelation(r), nil
}

// routes registers the endpoints on r, with SCIM errors for unknown paths and
// methods. Full paths on one router: a PathPrefix subrouter answers a wrong
// method with 404 instead of 405.
func (h *handler) routes(r *mux.Router) {
	r.HandleFunc(Prefix+"/ServiceProviderConfig", h.serviceProviderConfig).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/Schemas", h.schemas).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/Schemas/{id}", h.schemas).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/ResourceTypes", h.resourceTypes).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/ResourceTypes/{id}", h.resourceTypes).Methods(http.MethodGet)
	r.Handle(Prefix+"/Users", h.guard(h.listUsers)).Methods(http.MethodGet)
	r.Handle(Prefix+"/Users", h.guard(h.postUser)).Methods(http.MethodPost)
	r.Handle(Prefix+"/Users/.search", h.guard(h.searchUsers)).Methods(http.MethodPost)
	r.Handle(Prefix+"/Users/{id}", h.guard(h.getUser)).Methods(http.MethodGet)
	r.Handle(Prefix+"/Users/{id}", h.guard(h.onUser(true, h.replace))).Methods(http.MethodPut)
	r.Handle(Prefix+"/Users/{id}", h.guard(h.onUser(true, h.patch))).Methods(http.MethodPatch)
	r.Handle(Prefix+"/Users/{id}", h.guard(h.onUser(false, h.remove))).Methods(http.MethodDelete)
	r.Handle(Prefix+"/Groups", h.guard(h.listGroups)).Methods(http.MethodGet)
	r.Handle(Prefix+"/Groups", h.guard(h.postGroup)).Methods(http.MethodPost)
	r.Handle(Prefix+"/Groups/{id}", h.guard(h.getGroup)).Methods(http.MethodGet)
	r.Handle(Prefix+"/Groups/{id}", h.guard(h.onGroup(http.MethodPut))).Methods(http.MethodPut)
	r.Handle(Prefix+"/Groups/{id}", h.guard(h.onGroup(http.MethodPatch))).Methods(http.MethodPatch)
	r.Handle(Prefix+"/Groups/{id}", h.guard(h.onGroup(http.MethodDelete))).Methods(http.MethodDelete)
	r.Handle(Prefix+"/Bulk", h.guard(h.bulk)).Methods(http.MethodPost)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.fail(w, req, &scimError{status: 404, detail: "no such endpoint"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", strings.Join(allow.Methods(r, req), ", "))
		h.fail(w, req, &scimError{status: 405, detail: "method not allowed on this endpoint"})
	})
}

// Route is one method and path template the SCIM port serves.
type Route = routes.Route

// Routes lists every route NewHandler serves, read from the router itself, so
// tests that must cover every route (roles, tenant isolation) enumerate them.
func Routes() ([]Route, error) {
	r := mux.NewRouter()
	(&handler{}).routes(r) // handlers are only bound here, never run
	return routes.List(r)
}

// guardedFunc is a route that runs for an authenticated caller holding
// auth.PermSCIM; it returns its error for fail to answer.
type guardedFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// guard authenticates the bearer token before anything else, so an
// unauthenticated caller learns nothing, not even whether an id exists.
func (h *handler) guard(fn guardedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.gate.Authenticate(r, h.app.Queries.Authenticate.Handle)
		var blocked *preauth.TooManyFailures
		if errors.As(err, &blocked) {
			ratelimit.SetRetryAfter(w, blocked.RetryAfter)
			h.fail(w, r, &scimError{status: http.StatusTooManyRequests, detail: "too many failed authentications from this address; retry after the Retry-After delay"})
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if ok, wait := h.limiter.Allow(p.TokenID); !ok {
			ratelimit.SetRetryAfter(w, wait)
			h.fail(w, r, &scimError{status: http.StatusTooManyRequests, detail: "too many requests for this token; retry after the Retry-After delay"})
			return
		}
		if !p.Can(auth.PermSCIM) {
			h.fail(w, r, auth.ErrForbidden)
			return
		}
		if err := fn(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	})
}

type correlationKey struct{}

// withCorrelation gives every request a correlation id (the client's
// X-Correlation-ID when printable and short), echoed and carried into events.
func (h *handler) withCorrelation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Correlation-ID")
		if !printable(id, 128) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Correlation-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), correlationKey{}, id)))
	})
}

func correlationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

func printable(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// base is the absolute URL of the port for this request.
func (h *handler) base(r *http.Request) string {
	if h.baseURL != "" {
		return h.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// readJSON reads a JSON object body of application/scim+json or
// application/json, within the size limit.
func (h *handler) readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != mediaSCIM && mt != "application/json") {
			return nil, &scimError{status: 415, detail: "send application/scim+json"}
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &scimError{status: 413, detail: fmt.Sprintf("the body is larger than %d bytes", h.maxBody)}
	}
	if err != nil {
		return nil, &scimError{status: 400, scimType: "invalidSyntax", detail: "could not read the body"}
	}
	return decodeObject(raw)
}

func decodeObject(raw []byte) (map[string]any, error) {
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, &scimError{status: 400, scimType: "invalidSyntax", detail: "the body must be a JSON object"}
	}
	return body, nil
}

// writeJSON answers with a SCIM body.
func (h *handler) writeJSON(w http.ResponseWriter, status int, body any, hdr http.Header) {
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", mediaSCIM+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
	}
}

// groupsWired reports whether application has the group use cases /Groups needs.
func groupsWired(application app.Application) bool {
	c := application.Commands
	return c.CreateGroup != nil && c.UpdateGroup != nil && c.DeleteGroup != nil && application.Queries.Groups != nil
}
