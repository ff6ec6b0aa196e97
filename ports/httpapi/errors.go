package httpapi

import (
	"errors"
	"net/http"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/domain/user"
)

// Errors this port finds itself, before any use case runs. Handlers wrap them
// with %w and a message for the client; classify turns them into problems.
var (
	errMalformedRequest     = errors.New("malformed request")
	errBodyTooLarge         = errors.New("request body too large")
	errUnsupportedMediaType = errors.New("unsupported media type")
	errNoRoute              = errors.New("no such resource")
	errMethodNotAllowed     = errors.New("method not allowed on this resource")
	// errPreconditionFailed marks a version conflict on a request that named
	// the version it expected (If-Match): HTTP says 412 there, 409 otherwise.
	errPreconditionFailed = errors.New("the user's version does not match If-Match")
)

// Problem codes: the stable, documented "code" member of every problem body.
const (
	codeMalformedRequest     = "malformed_request"
	codeInvalidQuery         = "invalid_query"
	codeUnauthorized         = "unauthorized"
	codeForbidden            = "forbidden"
	codeNotFound             = "not_found"
	codeMethodNotAllowed     = "method_not_allowed"
	codeAlreadyExists        = "already_exists"
	codeEmailTaken           = "email_taken"
	codeExternalIDTaken      = "external_id_taken"
	codeUsernameTaken        = "username_taken"
	codeMemberNotFound       = "member_not_found"
	codeSeatsExhausted       = "seats_exhausted"
	codeVersionConflict      = "version_conflict"
	codeBodyTooLarge         = "body_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeValidationFailed     = "validation_failed"
	codeManagerNotFound      = "manager_not_found"
	codeManagerCycle         = "manager_cycle"
	codeIdempotencyKeyReused = "idempotency_key_reused"
	codeInvalidImportFile    = "invalid_import_file"
	codeInvalidSettings      = "invalid_settings"
	codeRateLimited          = "rate_limited"
	codeInternal             = "internal"
)

// errorKind is how one of this port's own errors is answered.
type errorKind struct {
	target error
	status int
	code   string
	title  string
	// verbose means the whole error message is the detail: it was written for
	// the client by this port. Otherwise only the target's own message is
	// shown, so wrapping context added by adapters never reaches the client.
	verbose bool
}

// errorKinds are the errors this port finds itself, checked in order with
// errors.Is before the use cases' errors; a more specific one (412) precedes
// the error it wraps (409). The use cases' errors are answered by their kind
// (kindAnswers), never listed here.
var errorKinds = []errorKind{
	{errMalformedRequest, http.StatusBadRequest, codeMalformedRequest, "Malformed request", true},
	{errRateLimited, http.StatusTooManyRequests, codeRateLimited, "Too many requests", false},
	{errAuthFailures, http.StatusTooManyRequests, codeRateLimited, "Too many requests", false},
	{errTooManyUploads, http.StatusTooManyRequests, codeRateLimited, "Too many uploads", false},
	{errSpoolFull, http.StatusTooManyRequests, codeRateLimited, "Too many uploads", false},
	{errNoRoute, http.StatusNotFound, codeNotFound, "Not found", false},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, codeMethodNotAllowed, "Method not allowed", false},
	{errPreconditionFailed, http.StatusPreconditionFailed, codeVersionConflict, "Version conflict", false},
	{errBodyTooLarge, http.StatusRequestEntityTooLarge, codeBodyTooLarge, "Request body too large", true},
	{errUnsupportedMediaType, http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "Unsupported media type", true},
	{errImportTooLarge, http.StatusRequestEntityTooLarge, codeBodyTooLarge, "Import file too large", true},
}

// kindAnswer is how one kind of the use cases' errors is answered; the
// problem's code is the error's own (errkind.Code).
type kindAnswer struct {
	status int
	title  string
	// verbose: messages of this kind are written for the client (a bad
	// query parameter, a row of an import file), so the whole message is the
	// detail; other kinds show only the classified error's own message.
	verbose bool
}

// kindAnswers maps every kind a client can cause to a status; Internal,
// Transient and unclassified errors are a 500.
var kindAnswers = map[errkind.Kind]kindAnswer{
	errkind.Invalid:         {http.StatusBadRequest, "Invalid request", true},
	errkind.Unauthenticated: {http.StatusUnauthorized, "Unauthorized", false},
	errkind.Forbidden:       {http.StatusForbidden, "Forbidden", true},
	errkind.NotFound:        {http.StatusNotFound, "Not found", false},
	errkind.Conflict:        {http.StatusConflict, "Conflict", false},
	errkind.Limit:           {http.StatusConflict, "Limit reached", false},
	errkind.Concurrency:     {http.StatusConflict, "Version conflict", false},
	errkind.Validation:      {http.StatusUnprocessableEntity, "Validation failed", true},
	errkind.Rejected:        {http.StatusUnprocessableEntity, "Rejected", false},
	errkind.KeyReused:       {http.StatusUnprocessableEntity, "Idempotency key reused", false},
}

// problemTitles names a problem by its code where a kind's title is too
// general (RFC 9457: a type's title does not change).
var problemTitles = map[string]string{
	codeInvalidQuery:      "Invalid query",
	codeAlreadyExists:     "User already exists",
	codeEmailTaken:        "E-mail address taken",
	codeExternalIDTaken:   "External id taken",
	codeUsernameTaken:     "Username taken",
	codeSeatsExhausted:    "No free licence seat",
	codeMemberNotFound:    "Member not found",
	codeManagerNotFound:   "Manager not found",
	codeManagerCycle:      "Manager cycle",
	codeInvalidImportFile: "Invalid import file",
	codeInvalidSettings:   "Invalid notification settings",
}

// internalDetail is all a client learns about a failure of ours; the log line
// with the same correlation id has the rest.
const internalDetail = "The request could not be completed. Quote the X-Correlation-ID when reporting this."

// classify maps an error to the problem that answers it. It is the only place
// in this port that decides status codes for errors: the port's own errors by
// errorKinds, the use cases' by their kind. Anything else is a 500 whose
// detail reveals nothing.
func classify(err error) problem {
	var verr *user.ValidationError
	if errors.As(err, &verr) {
		p := newProblem(http.StatusUnprocessableEntity, codeValidationFailed, "Validation failed",
			"One or more fields are invalid; see errors.")
		p.Errors = append([]user.FieldError(nil), verr.Fields...)
		return p
	}
	for _, k := range errorKinds {
		if !errors.Is(err, k.target) {
			continue
		}
		detail := k.target.Error()
		if k.verbose {
			detail = err.Error()
		}
		return newProblem(k.status, k.code, k.title, detail)
	}
	if c, ok := errkind.Find(err); ok {
		if a, ok := kindAnswers[errkind.Kind(c.Kind())]; ok {
			detail := c.Error()
			if a.verbose {
				detail = err.Error()
			}
			title := problemTitles[c.Code()]
			if title == "" {
				title = a.title
			}
			return newProblem(a.status, c.Code(), title, detail)
		}
	}
	return newProblem(http.StatusInternalServerError, codeInternal, "Internal error", internalDetail)
}
