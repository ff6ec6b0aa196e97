// Package errcatalog lists every exported error of domain/ and app/ by its
// qualified name, for tests: errkind's test checks the list against the
// source (a new Err* missing here fails it) and that each has a kind; the
// ports' tests check that each is answered. Only tests import it.
package errcatalog

import (
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// Errors returns every exported Err* variable of domain/ and app/, keyed by
// "<package path below the module>.<name>", and one value of every exported
// error type (a type whose name ends in Error), keyed by "<path>.*<Type>".
func Errors() map[string]error {
	return map[string]error{
		"domain/user.ErrNotFound":         user.ErrNotFound,
		"domain/user.ErrAlreadyExists":    user.ErrAlreadyExists,
		"domain/user.ErrEmailTaken":       user.ErrEmailTaken,
		"domain/user.ErrUsernameTaken":    user.ErrUsernameTaken,
		"domain/user.ErrExternalIDTaken":  user.ErrExternalIDTaken,
		"domain/user.ErrSeatsExhausted":   user.ErrSeatsExhausted,
		"domain/user.ErrVersionConflict":  user.ErrVersionConflict,
		"domain/user.ErrManagerNotFound":  user.ErrManagerNotFound,
		"domain/user.ErrManagerCycle":     user.ErrManagerCycle,
		"domain/user.ErrDeleted":          user.ErrDeleted,
		"domain/user.ErrInvalidID":        user.ErrInvalidID,
		"domain/user.ErrUnknownEventType": user.ErrUnknownEventType,
		"domain/user.*ValidationError":    &user.ValidationError{Fields: []user.FieldError{{Field: "email", Code: "required", Reason: "is required"}}},

		"domain/group.ErrNotFound":         group.ErrNotFound,
		"domain/group.ErrDisplayNameTaken": group.ErrDisplayNameTaken,
		"domain/group.ErrExternalIDTaken":  group.ErrExternalIDTaken,
		"domain/group.ErrMemberNotFound":   group.ErrMemberNotFound,

		"app/auth.ErrUnauthenticated": auth.ErrUnauthenticated,
		"app/auth.ErrForbidden":       auth.ErrForbidden,

		"app/query.ErrInvalidQuery":   query.ErrInvalidQuery,
		"app/query.ErrImportNotFound": query.ErrImportNotFound,
		"app/query.ErrTenantNotFound": query.ErrTenantNotFound,

		"app/command.ErrInvalidEnvelope":      command.ErrInvalidEnvelope,
		"app/command.ErrIdempotencyKeyReused": command.ErrIdempotencyKeyReused,
		"app/command.ErrTokenNotFound":        command.ErrTokenNotFound,
		"app/command.ErrInvalidImportFile":    command.ErrInvalidImportFile,
		"app/command.ErrImportExists":         command.ErrImportExists,
		"app/command.ErrSyncFailed":           command.ErrSyncFailed,
		"app/command.ErrNoHRIS":               command.ErrNoHRIS,
		"app/command.ErrInvalidSettings":      command.ErrInvalidSettings,
		"app/command.*DeferredError":          &command.DeferredError{Reason: "manager row pending"},
		"app/command.*ImportMappingError":     &command.ImportMappingError{Problems: []string{"no e-mail column"}},
	}
}
