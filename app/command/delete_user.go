package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// DeleteUser removes a user: their seat is freed, they vanish from every
// read, their e-mail and external id become free for someone else, and every
// later command on them is refused with user.ErrDeleted. The event history
// stays. Deactivation is the reversible alternative.
type DeleteUser struct {
	Envelope
	UserID user.ID
	Reason string
}

// DeleteUserHandler handles DeleteUser.
type DeleteUserHandler Handler[DeleteUser]

type deleteUser struct{ uow UnitOfWork }

// NewDeleteUserHandler returns the DeleteUser handler.
func NewDeleteUserHandler(uow UnitOfWork) (DeleteUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewDeleteUserHandler: nil unit of work")
	}
	return deleteUser{uow: uow}, nil
}

func (h deleteUser) Handle(ctx context.Context, cmd DeleteUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	return h.uow.Execute(ctx, Execution{
		Envelope: cmd.Envelope,
		Type:     "DeleteUser",
		Payload:  struct{ Reason string }{cmd.Reason},
		StreamID: cmd.UserID,
		Decide: func(current *user.User, _ user.ManagerLookup) ([]user.Event, error) {
			if current == nil {
				return nil, user.ErrNotFound
			}
			return current.Delete(cmd.Reason)
		},
	})
}
