package httpapi

import (
	"fmt"
	"net/http"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/internal/bearer"
	"github.com/userservice/userservice/ports/internal/ratelimit"
)

// guardedFunc is a route handler that runs for an authenticated, authorised
// caller. It returns its error instead of answering it, so every error goes
// through fail and classify.
type guardedFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// guard authenticates the bearer token and checks perm before calling fn.
// Authentication comes first on every route, so an unauthenticated caller
// learns nothing, not even whether a user id exists.
func (h *handler) guard(perm auth.Permission, fn guardedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		infoFrom(r.Context()).tenantID = p.TenantID
		if ok, wait := h.limiter.Allow(p.TokenID); !ok {
			ratelimit.SetRetryAfter(w, wait)
			h.fail(w, r, errRateLimited)
			return
		}
		if !p.Can(perm) {
			h.fail(w, r, fmt.Errorf("%w: it needs %s", auth.ErrForbidden, perm))
			return
		}
		if err := fn(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	})
}

// authenticate resolves the request's bearer token to a principal. Every way
// of getting it wrong is auth.ErrUnauthenticated, answered 401 alike.
func (h *handler) authenticate(r *http.Request) (auth.Principal, error) {
	token, ok := bearerToken(r.Header)
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return h.app.Queries.Authenticate.Handle(r.Context(), token)
}

// bearerToken extracts the token of "Authorization: Bearer <token>".
func bearerToken(h http.Header) (string, bool) { return bearer.Token(h) }
