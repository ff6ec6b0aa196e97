package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// UpdateUser changes any subset of a user's fields, e-mail and status
// included. Fields left nil stay as they are.
type UpdateUser struct {
	Envelope
	UserID user.ID
	user.Patch
}

// UpdateUserHandler handles UpdateUser.
type UpdateUserHandler Handler[UpdateUser, Result]

type updateUser struct{ uow UnitOfWork }

// NewUpdateUserHandler returns the UpdateUser handler.
func NewUpdateUserHandler(uow UnitOfWork) (UpdateUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewUpdateUserHandler: nil unit of work")
	}
	return updateUser{uow: uow}, nil
}

func (h updateUser) Handle(ctx context.Context, cmd UpdateUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	return h.uow.Execute(ctx, cmd.execution())
}

// execution is the command as a unit of work carries it out; the importer's
// chunks decide with the very same one.
func (cmd UpdateUser) execution() Execution {
	return Execution{
		Envelope: cmd.Envelope,
		Type:     "UpdateUser",
		Payload:  cmd.Patch,
		StreamID: cmd.UserID,
		Decide: func(current *user.User, managers user.ManagerLookup) ([]user.Event, error) {
			if current == nil {
				return nil, user.ErrNotFound
			}
			return current.Update(cmd.Patch, managers)
		},
	}
}
