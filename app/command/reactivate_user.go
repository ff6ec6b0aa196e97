package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// ReactivateUser gives a deactivated user access again, taking a seat.
type ReactivateUser struct {
	Envelope
	UserID user.ID
}

// ReactivateUserHandler handles ReactivateUser.
type ReactivateUserHandler Handler[ReactivateUser, Result]

type reactivateUser struct{ uow UnitOfWork }

// NewReactivateUserHandler returns the ReactivateUser handler.
func NewReactivateUserHandler(uow UnitOfWork) (ReactivateUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewReactivateUserHandler: nil unit of work")
	}
	return reactivateUser{uow: uow}, nil
}

func (h reactivateUser) Handle(ctx context.Context, cmd ReactivateUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	return h.uow.Execute(ctx, Execution{
		Envelope: cmd.Envelope,
		Type:     "ReactivateUser",
		Payload:  struct{}{},
		StreamID: cmd.UserID,
		Decide: func(current *user.User, _ user.ManagerLookup) ([]user.Event, error) {
			if current == nil {
				return nil, user.ErrNotFound
			}
			return current.Reactivate()
		},
	})
}
