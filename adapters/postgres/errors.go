package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/domain/user"
)

// PostgreSQL error codes the adapter translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	// Raised by command_expect (migration 00040): the seat limit and the
	// read model's version guard, checked in the database so that a
	// pipelined COMMIT never runs after a failed check.
	codeSeatsExhausted  = "US001"
	codeVersionConflict = "US002"
)

// errDuplicateCommand marks a concurrent writer that recorded the same
// command id first; the unit of work answers with that writer's outcome.
var errDuplicateCommand = errors.New("command id recorded concurrently")

// translate turns constraint violations into the domain's errors, so no raw
// SQL error ever reaches a caller for a rule the schema enforces.
func translate(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeSeatsExhausted:
		return user.ErrSeatsExhausted
	case codeVersionConflict:
		return user.ErrVersionConflict
	case uniqueViolation:
		switch pgErr.ConstraintName {
		// user_data_keys_pkey: a concurrent command made this user's data
		// key first, so it wrote to the stream too (the key's insert rides
		// on the first event's statement: either constraint may fail).
		case "events_stream_version_key", "users_pkey", "users_tenant_id_key", "user_data_keys_pkey":
			return user.ErrVersionConflict
		case "users_tenant_email_key":
			return user.ErrEmailTaken
		case "users_tenant_external_id_key":
			return user.ErrExternalIDTaken
		case "users_tenant_username_key":
			return user.ErrUsernameTaken
		case "commands_pkey":
			return errDuplicateCommand
		}
	case foreignKeyViolation:
		if pgErr.ConstraintName == "users_manager_fkey" {
			return user.ErrManagerNotFound
		}
	}
	return err
}

// isUniqueViolation reports whether err is a unique violation of constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == uniqueViolation && pgErr.ConstraintName == constraint
}
