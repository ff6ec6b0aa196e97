package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// DeactivateUser takes a user's access away and frees their seat.
type DeactivateUser struct {
	Envelope
	UserID user.ID
	Reason string
}

// DeactivateUserHandler handles DeactivateUser.
type DeactivateUserHandler Handler[DeactivateUser, Result]

type deactivateUser struct{ uow UnitOfWork }

// NewDeactivateUserHandler returns the DeactivateUser handler.
func NewDeactivateUserHandler(uow UnitOfWork) (DeactivateUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewDeactivateUserHandler: nil unit of work")
	}
	return deactivateUser{uow: uow}, nil
}

func (h deactivateUser) Handle(ctx context.Context, cmd DeactivateUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	return h.uow.Execute(ctx, cmd.execution())
}

// execution is the command as a unit of work carries it out; the importer's
// chunks decide with the very same one.
func (cmd DeactivateUser) execution() Execution {
	return Execution{
		Envelope: cmd.Envelope,
		Type:     "DeactivateUser",
		Payload:  struct{ Reason string }{cmd.Reason},
		StreamID: cmd.UserID,
		Decide: func(current *user.User, _ user.ManagerLookup) ([]user.Event, error) {
			if current == nil {
				return nil, user.ErrNotFound
			}
			return current.Deactivate(cmd.Reason)
		},
	}
}
