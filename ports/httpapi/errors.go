package httpapi

import (
	"errors"
	"net/http"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
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

// errorKind is how one kind of error is answered.
type errorKind struct {
	target error
	status int
	code   string
	title  string
	// verbose means the whole error message is the detail: it was written for
	// the client (by this port or the query layer). Otherwise only the
	// target's own message is shown, so wrapping context added by adapters
	// never reaches the client.
	verbose bool
}

// errorKinds is checked in order with errors.Is; the first match wins, so a
// more specific kind (412) precedes the one it wraps (409).
var errorKinds = []errorKind{
	{errMalformedRequest, http.StatusBadRequest, codeMalformedRequest, "Malformed request", true},
	{query.ErrInvalidQuery, http.StatusBadRequest, codeInvalidQuery, "Invalid query", true},
	{auth.ErrUnauthenticated, http.StatusUnauthorized, codeUnauthorized, "Unauthorized", false},
	{auth.ErrForbidden, http.StatusForbidden, codeForbidden, "Forbidden", true},
	{errRateLimited, http.StatusTooManyRequests, codeRateLimited, "Too many requests", false},
	{errAuthFailures, http.StatusTooManyRequests, codeRateLimited, "Too many requests", false},
	{errTooManyUploads, http.StatusTooManyRequests, codeRateLimited, "Too many uploads", false},
	{errSpoolFull, http.StatusTooManyRequests, codeRateLimited, "Too many uploads", false},
	{errNoRoute, http.StatusNotFound, codeNotFound, "Not found", false},
	{user.ErrNotFound, http.StatusNotFound, codeNotFound, "Not found", false},
	{group.ErrNotFound, http.StatusNotFound, codeNotFound, "Not found", false},
	{group.ErrMemberNotFound, http.StatusUnprocessableEntity, codeMemberNotFound, "Member not found", false},
	{group.ErrExternalIDTaken, http.StatusConflict, codeExternalIDTaken, "External id taken", false},
	// An unparsable user id is answered like a missing user: it tells a
	// caller nothing about which ids exist.
	{user.ErrInvalidID, http.StatusNotFound, codeNotFound, "Not found", false},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, codeMethodNotAllowed, "Method not allowed", false},
	{errPreconditionFailed, http.StatusPreconditionFailed, codeVersionConflict, "Version conflict", false},
	{user.ErrVersionConflict, http.StatusConflict, codeVersionConflict, "Version conflict", false},
	{user.ErrAlreadyExists, http.StatusConflict, codeAlreadyExists, "User already exists", false},
	{user.ErrEmailTaken, http.StatusConflict, codeEmailTaken, "E-mail address taken", false},
	{user.ErrExternalIDTaken, http.StatusConflict, codeExternalIDTaken, "External id taken", false},
	{user.ErrUsernameTaken, http.StatusConflict, codeUsernameTaken, "Username taken", false},
	{user.ErrSeatsExhausted, http.StatusConflict, codeSeatsExhausted, "No free licence seat", false},
	{errBodyTooLarge, http.StatusRequestEntityTooLarge, codeBodyTooLarge, "Request body too large", true},
	{errUnsupportedMediaType, http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "Unsupported media type", true},
	{user.ErrManagerNotFound, http.StatusUnprocessableEntity, codeManagerNotFound, "Manager not found", false},
	{user.ErrManagerCycle, http.StatusUnprocessableEntity, codeManagerCycle, "Manager cycle", false},
	{command.ErrIdempotencyKeyReused, http.StatusUnprocessableEntity, codeIdempotencyKeyReused, "Idempotency key reused", false},
	{query.ErrImportNotFound, http.StatusNotFound, codeNotFound, "Not found", false},
	{command.ErrTokenNotFound, http.StatusNotFound, codeNotFound, "Not found", false},
	{query.ErrTenantNotFound, http.StatusNotFound, codeNotFound, "Not found", false},
	{errImportTooLarge, http.StatusRequestEntityTooLarge, codeBodyTooLarge, "Import file too large", true},
	{command.ErrInvalidImportFile, http.StatusUnprocessableEntity, codeInvalidImportFile, "Invalid import file", true},
	{command.ErrInvalidSettings, http.StatusUnprocessableEntity, codeInvalidSettings, "Invalid notification settings", true},
}

// internalDetail is all a client learns about a failure of ours; the log line
// with the same correlation id has the rest.
const internalDetail = "The request could not be completed. Quote the X-Correlation-ID when reporting this."

// classify maps an error to the problem that answers it. It is the only place
// in this port that decides status codes for errors; anything it does not
// recognise is a 500 whose detail reveals nothing.
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
	return newProblem(http.StatusInternalServerError, codeInternal, "Internal error", internalDetail)
}
