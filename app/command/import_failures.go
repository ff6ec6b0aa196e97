package command

import (
	"errors"

	"github.com/userservice/userservice/domain/user"
)

// failuresOf turns a command's refusal into the failures of an import row,
// naming the import's columns (a manager is given by external id there).
func failuresOf(row int, err error) []Failure {
	var verr *user.ValidationError
	if errors.As(err, &verr) {
		out := make([]Failure, 0, len(verr.Fields))
		for _, f := range verr.Fields {
			field := f.Field
			if field == user.FieldManagerID {
				field = ColManagerExternalID
			}
			out = append(out, Failure{Row: row, Field: field, Code: f.Code, Message: f.Reason})
		}
		return out
	}
	for _, k := range []struct {
		err         error
		field, code string
	}{
		{user.ErrEmailTaken, ColEmail, "email_taken"},
		{user.ErrExternalIDTaken, ColExternalID, "external_id_taken"},
		{user.ErrUsernameTaken, ColEmail, "username_taken"},
		{user.ErrSeatsExhausted, ColStatus, "seats_exhausted"},
		{user.ErrManagerNotFound, ColManagerExternalID, "manager_not_found"},
		{user.ErrManagerCycle, ColManagerExternalID, "manager_cycle"},
		{user.ErrNotFound, "", "not_found"},
	} {
		if errors.Is(err, k.err) {
			return []Failure{{Row: row, Field: k.field, Code: k.code, Message: k.err.Error()}}
		}
	}
	return []Failure{{Row: row, Code: "rejected", Message: err.Error()}}
}
