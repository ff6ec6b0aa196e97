package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/internal/preauth"
	"github.com/userservice/userservice/ports/internal/ratelimit"
)

// guardedFunc is a route handler that runs for an authenticated, authorised
// caller. It returns its error instead of answering it, so every error goes
// through fail and classify.
type guardedFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// guard authenticates the bearer token (within the client address's budget
// of failures, see preauth) and checks perm before calling fn.
// Authentication comes first on every route, so an unauthenticated caller
// learns nothing, not even whether a user id exists.
func (h *handler) guard(perm auth.Permission, fn guardedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A closure, not the method value: the handler is an interface, and
		// a port built without use cases must still answer 401 by itself.
		p, err := h.gate.Authenticate(r, func(ctx context.Context, token string) (auth.Principal, error) {
			return h.app.Queries.Authenticate.Handle(ctx, token)
		})
		var blocked *preauth.TooManyFailures
		if errors.As(err, &blocked) {
			ratelimit.SetRetryAfter(w, blocked.RetryAfter)
			h.fail(w, r, errAuthFailures)
			return
		}
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
