package scim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/userservice/userservice/app/errkind"
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

// kindAnswer is how one kind of the use cases' errors is answered in SCIM.
type kindAnswer struct {
	status   int
	scimType string
	// verbose: the whole message is the detail (it was written for the
	// client); otherwise the classified error's own message, or the SCIM
	// wording of its code (scimDetails).
	verbose bool
}

// kindAnswers maps every kind a client can cause to a SCIM error (RFC 7644
// section 3.12); Internal, Transient and unclassified errors are a 500.
var kindAnswers = map[errkind.Kind]kindAnswer{
	errkind.Unauthenticated: {status: 401},
	errkind.Forbidden:       {status: 403},
	errkind.Invalid:         {status: 400, scimType: "invalidFilter", verbose: true},
	errkind.Validation:      {status: 400, scimType: "invalidValue"},
	errkind.Rejected:        {status: 400, scimType: "invalidValue"},
	errkind.NotFound:        {status: 404},
	errkind.Conflict:        {status: 409, scimType: "uniqueness"},
	errkind.Limit:           {status: 409},
	errkind.Concurrency:     {status: 409},
	errkind.KeyReused:       {status: 409, verbose: true},
}

// scimDetails words an error's code in SCIM's attribute names where the
// domain's message would name ours.
var scimDetails = map[string]string{
	"unauthorized":      "missing, unknown, expired or revoked bearer token",
	"forbidden":         "the token's role does not allow SCIM: issue one with role scim",
	"member_not_found":  "members: every member must be a user of this tenant",
	"username_taken":    "userName is already taken by another user",
	"email_taken":       "the primary e-mail address is already taken by another user",
	"external_id_taken": "externalId is already taken",
	"already_exists":    "the user already exists",
	"version_conflict":  "the user was changed concurrently; retry",
	"seats_exhausted":   "the tenant has no free licence seat for one more active user",
	"manager_not_found": "manager: no such user in this tenant",
	"manager_cycle":     "manager: the manager would (indirectly) report to this user",
}

// classify is the port's one mapping from errors to SCIM errors: the port's
// own answers as they are, the use cases' errors by their kind.
func classify(err error) *scimError {
	var se *scimError
	var verr *user.ValidationError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &verr):
		return &scimError{status: 400, scimType: "invalidValue", detail: validationDetail(verr)}
	case errors.Is(err, errPreconditionFailed):
		return &scimError{status: 412, detail: "the user changed since the version in If-Match"}
	}
	c, ok := errkind.Find(err)
	if !ok {
		return &scimError{status: 500, detail: "internal error"}
	}
	a, ok := kindAnswers[errkind.Kind(c.Kind())]
	if !ok {
		return &scimError{status: 500, detail: "internal error"}
	}
	detail := scimDetails[c.Code()]
	switch {
	case a.verbose:
		detail = err.Error()
	case detail == "":
		detail = c.Error()
	}
	return &scimError{status: a.status, scimType: a.scimType, detail: detail}
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
