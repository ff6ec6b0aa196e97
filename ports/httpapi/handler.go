// Package httpapi is the admin HTTP API: a port that translates JSON requests
// into the application's commands and queries and their results and errors
// into JSON and RFC 9457 problems. It holds no business rule; every decision
// is the application's or the domain's.
package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/internal/allow"
	"github.com/userservice/userservice/ports/internal/preauth"
	"github.com/userservice/userservice/ports/internal/ratelimit"
	"github.com/userservice/userservice/ports/internal/routes"
)

// handler holds what the routes share.
type handler struct {
	app       app.Application
	log       *zap.Logger
	maxBody   int64
	maxImport int64
	limiter   *ratelimit.PerToken
	gate      *preauth.Gate
	uploads   *uploadLimits
}

// NewHandler returns the admin API's http.Handler, serving /v1/users and
// /openapi.yaml. The zero Config is valid: defaults are filled first.
func NewHandler(application app.Application, cfg Config) (http.Handler, error) {
	cfg.setDefaults()
	if err := errors.Join(cfg.Validate(), checkCommands(application.Commands)); err != nil {
		return nil, fmt.Errorf("httpapi.NewHandler: %w", err)
	}
	gate, err := preauth.New(preauth.Config{FailureRate: cfg.AuthFailureRate, FailureBurst: cfg.AuthFailureBurst,
		TrustedProxies: cfg.TrustedProxies})
	if err != nil {
		return nil, fmt.Errorf("httpapi.NewHandler: %w", err)
	}
	h := &handler{app: application, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, maxImport: cfg.MaxImportBytes,
		limiter: ratelimit.New(cfg.RateLimit, cfg.RateBurst), gate: gate,
		uploads: newUploadLimits(cfg.ImportUploadsPerTenant, cfg.ImportSpoolBytesPerTenant)}

	router := mux.NewRouter()
	router.Use(recordRoute)
	h.routes(router)
	router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errNoRoute)
	})
	router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allowedMethods(router, r), ", "))
		h.fail(w, r, errMethodNotAllowed)
	})
	return h.withRequestInfo(router), nil
}

func (h *handler) routes(r *mux.Router) {
	r.Handle("/openapi.yaml", http.HandlerFunc(serveOpenAPI)).Methods(http.MethodGet, http.MethodHead)

	r.Handle("/v1/users", h.guard(auth.PermWriteUsers, h.registerUser)).Methods(http.MethodPost)
	r.Handle("/v1/users", h.guard(auth.PermReadUsers, h.listUsers)).Methods(http.MethodGet)
	r.Handle("/v1/users/{id}", h.guard(auth.PermReadUsers, h.getUser)).Methods(http.MethodGet)
	r.Handle("/v1/users/{id}", h.guard(auth.PermWriteUsers, h.updateUser)).Methods(http.MethodPatch)
	r.Handle("/v1/users/{id}", h.guard(auth.PermWriteUsers, h.deleteUser)).Methods(http.MethodDelete)
	r.Handle("/v1/users/{id}/deactivate", h.guard(auth.PermWriteUsers, h.deactivateUser)).Methods(http.MethodPost)
	r.Handle("/v1/users/{id}/reactivate", h.guard(auth.PermWriteUsers, h.reactivateUser)).Methods(http.MethodPost)
	r.Handle("/v1/users/{id}/events", h.guard(auth.PermReadUsers, h.getUserEvents)).Methods(http.MethodGet)
	r.Handle("/v1/users/{id}/erase", h.guard(auth.PermWriteUsers, h.eraseUser)).Methods(http.MethodPost)
	r.Handle("/v1/users/{id}/export", h.guard(auth.PermWriteUsers, h.exportUser)).Methods(http.MethodGet)

	r.Handle("/v1/groups", h.guard(auth.PermWriteUsers, h.createGroup)).Methods(http.MethodPost)
	r.Handle("/v1/groups", h.guard(auth.PermReadUsers, h.listGroups)).Methods(http.MethodGet)
	r.Handle("/v1/groups/{id}", h.guard(auth.PermReadUsers, h.getGroup)).Methods(http.MethodGet)
	r.Handle("/v1/groups/{id}", h.guard(auth.PermWriteUsers, h.updateGroup)).Methods(http.MethodPatch)
	r.Handle("/v1/groups/{id}", h.guard(auth.PermWriteUsers, h.deleteGroup)).Methods(http.MethodDelete)
	r.Handle("/v1/imports", h.guard(auth.PermImport, h.startImport)).Methods(http.MethodPost)
	r.Handle("/v1/imports/{id}", h.guard(auth.PermImport, h.getImport)).Methods(http.MethodGet)
	r.Handle("/v1/imports/{id}/failures", h.guard(auth.PermImport, h.listImportFailures)).Methods(http.MethodGet)
	r.Handle("/v1/imports/{id}/parked", h.guard(auth.PermImport, h.listParkedRows)).Methods(http.MethodGet)
	r.Handle("/v1/imports/{id}/retry", h.guard(auth.PermImport, h.retryImport)).Methods(http.MethodPost)
	r.Handle("/v1/notification-settings", h.guard(auth.PermWriteUsers, h.setNotificationSettings)).Methods(http.MethodPut)
	r.Handle("/v1/notification-settings", h.guard(auth.PermWriteUsers, h.getNotificationSettings)).Methods(http.MethodGet)

	r.Handle("/v1/tokens/{id}", h.guard(auth.PermManageTokens, h.revokeToken)).Methods(http.MethodDelete)
	r.Handle("/v1/tokens", h.guard(auth.PermManageTokens, h.listTokens)).Methods(http.MethodGet)
	r.Handle("/v1/tokens", h.guard(auth.PermManageTokens, h.createToken)).Methods(http.MethodPost)
	r.Handle("/v1/me", h.guard(auth.PermReadUsers, h.getMe)).Methods(http.MethodGet)
	r.Handle("/v1/tenant", h.guard(auth.PermReadUsers, h.getTenant)).Methods(http.MethodGet)
}

// Route is one method and path template a port serves.
type Route = routes.Route

// Routes lists every route NewHandler serves, read from the router itself
// (mux.Router.Walk), so tests that must cover every route (tenant isolation,
// roles, documentation) enumerate them.
func Routes() ([]Route, error) {
	router := mux.NewRouter()
	(&handler{}).routes(router) // handlers are only bound here, never run
	return routes.List(router)
}

// checkCommands rejects an Application whose user commands are missing, at
// wiring time rather than with a nil-pointer panic on the first request. The
// queries are structs whose emptiness is not visible from here.
func checkCommands(c app.Commands) error {
	var errs []error
	if c.RegisterUser == nil {
		errs = append(errs, errors.New("Commands.RegisterUser is nil"))
	}
	if c.UpdateUser == nil {
		errs = append(errs, errors.New("Commands.UpdateUser is nil"))
	}
	if c.DeactivateUser == nil {
		errs = append(errs, errors.New("Commands.DeactivateUser is nil"))
	}
	if c.ReactivateUser == nil {
		errs = append(errs, errors.New("Commands.ReactivateUser is nil"))
	}
	if c.DeleteUser == nil {
		errs = append(errs, errors.New("Commands.DeleteUser is nil"))
	}
	return errors.Join(errs...)
}

// allowedMethods lists the methods the router would accept for r's path.
func allowedMethods(router *mux.Router, r *http.Request) []string { return allow.Methods(router, r) }
