package user

import (
	"fmt"
	"strings"
)

// Sentinel errors returned by the aggregate and by the stores that enforce the
// cross-user invariants (uniqueness, seats) on its behalf.
var (
	// ErrNotFound means the user does not exist in the caller's tenant.
	ErrNotFound = newError(kindNotFound, "not_found", "user not found")
	// ErrAlreadyExists means a register command named a user id that is taken.
	ErrAlreadyExists = newError(kindConflict, "already_exists", "user already exists")
	// ErrEmailTaken means another user of the tenant has the e-mail address.
	ErrEmailTaken = newError(kindConflict, "email_taken", "email already taken in this tenant")
	// ErrUsernameTaken means another user of the tenant has the username
	// (compared without regard to case; an unset username is the primary
	// e-mail address).
	ErrUsernameTaken = newError(kindConflict, "username_taken", "username already taken in this tenant")
	// ErrExternalIDTaken means another user of the tenant has the external id.
	ErrExternalIDTaken = newError(kindConflict, "external_id_taken", "external id already taken in this tenant")
	// ErrSeatsExhausted means the tenant has no free licence seat for one more active user.
	ErrSeatsExhausted = newError(kindLimit, "seats_exhausted", "tenant has no free licence seat")
	// ErrVersionConflict means the stream changed since the caller read it.
	ErrVersionConflict = newError(kindConcurrency, "version_conflict", "user was changed concurrently")
	// ErrManagerNotFound means the manager is not a user of the same tenant.
	ErrManagerNotFound = newError(kindRejected, "manager_not_found", "manager not found in this tenant")
	// ErrManagerCycle means the manager would (indirectly) report to the user.
	ErrManagerCycle = newError(kindRejected, "manager_cycle", "manager relation would create a cycle")
)

// ErrDeleted is returned for a command on a deleted user. It wraps
// ErrNotFound: to every caller a deleted user is a user that is not there,
// while logs and the admin API can still tell the two apart.
var ErrDeleted = fmt.Errorf("%w: the user was deleted", ErrNotFound)

// FieldError is one rejected input field.
type FieldError struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// ValidationError lists every invalid field of one command, so a caller can
// fix them all at once instead of one per round trip.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = fmt.Sprintf("%s: %s", f.Field, f.Reason)
	}
	return "invalid user: " + strings.Join(parts, "; ")
}

// Kind says the error is a validation failure (see app/errkind).
func (e *ValidationError) Kind() string { return kindValidation }

// Code is the stable code ports show for it.
func (e *ValidationError) Code() string { return "validation_failed" }

// validation collects field errors; err returns nil when there are none.
type validation struct{ fields []FieldError }

func (v *validation) add(field, code, reason string) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, Reason: reason})
}

func (v *validation) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}
