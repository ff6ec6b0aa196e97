package scim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// scimError is an answer in RFC 7644's error format (section 3.12). The port's
// own checks return it directly; classify maps everything else to one.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

// body is the JSON the client receives.
func (e *scimError) body() map[string]any {
	b := map[string]any{"schemas": []any{errorURN}, "status": strconv.Itoa(e.status), "detail": e.detail}
	if e.scimType != "" {
		b["scimType"] = e.scimType
	}
	return b
}

// errPreconditionFailed marks a version conflict of a request that sent
// If-Match: 412 rather than 409.
var errPreconditionFailed = errors.New("precondition failed")

// classify is the port's one mapping from errors to SCIM errors.
func classify(err error) *scimError {
	var se *scimError
	var verr *user.ValidationError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, auth.ErrUnauthenticated):
		return &scimError{status: 401, detail: "missing, unknown, expired or revoked bearer token"}
	case errors.Is(err, auth.ErrForbidden):
		return &scimError{status: 403, detail: "the token's role does not allow SCIM: issue one with role scim"}
	case errors.As(err, &verr):
		return &scimError{status: 400, scimType: "invalidValue", detail: validationDetail(verr)}
	case errors.Is(err, group.ErrNotFound):
		return &scimError{status: 404, detail: "no such group"}
	case errors.Is(err, group.ErrMemberNotFound):
		return &scimError{status: 400, scimType: "invalidValue", detail: "members: every member must be a user of this tenant"}
	case errors.Is(err, group.ErrExternalIDTaken):
		return &scimError{status: 409, scimType: "uniqueness", detail: "externalId is already taken by another group"}
	case errors.Is(err, user.ErrNotFound), errors.Is(err, user.ErrInvalidID):
		return &scimError{status: 404, detail: "no such user"}
	case errors.Is(err, user.ErrUsernameTaken):
		return &scimError{status: 409, scimType: "uniqueness", detail: "userName is already taken by another user"}
	case errors.Is(err, user.ErrEmailTaken):
		return &scimError{status: 409, scimType: "uniqueness", detail: "the primary e-mail address is already taken by another user"}
	case errors.Is(err, user.ErrExternalIDTaken):
		return &scimError{status: 409, scimType: "uniqueness", detail: "externalId is already taken by another user"}
	case errors.Is(err, user.ErrAlreadyExists):
		return &scimError{status: 409, scimType: "uniqueness", detail: "the user already exists"}
	case errors.Is(err, errPreconditionFailed):
		return &scimError{status: 412, detail: "the user changed since the version in If-Match"}
	case errors.Is(err, user.ErrVersionConflict):
		return &scimError{status: 409, detail: "the user was changed concurrently; retry"}
	case errors.Is(err, user.ErrSeatsExhausted):
		return &scimError{status: 409, detail: "the tenant has no free licence seat for one more active user"}
	case errors.Is(err, user.ErrManagerNotFound):
		return &scimError{status: 400, scimType: "invalidValue", detail: "manager: no such user in this tenant"}
	case errors.Is(err, user.ErrManagerCycle):
		return &scimError{status: 400, scimType: "invalidValue", detail: "manager: the manager would (indirectly) report to this user"}
	case errors.Is(err, query.ErrInvalidQuery):
		return &scimError{status: 400, scimType: "invalidFilter", detail: err.Error()}
	case errors.Is(err, command.ErrIdempotencyKeyReused):
		return &scimError{status: 409, detail: err.Error()}
	}
	return &scimError{status: 500, detail: "internal error"}
}

// validationDetail names every rejected field by its SCIM attribute.
func validationDetail(e *user.ValidationError) string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		name := scimAttribute[f.Field]
		if name == "" {
			name = f.Field
		}
		parts[i] = name + ": " + f.Reason
	}
	return strings.Join(parts, "; ")
}

// fail answers err; a 5xx is logged, since only the server can act on it.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	se := classify(err)
	if se.status >= 500 {
		h.log.Error("scim request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
	}
	if se.status == 401 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	h.writeJSON(w, se.status, se.body(), nil)
}
