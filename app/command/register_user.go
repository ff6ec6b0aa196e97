package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// RegisterUser creates a user.
type RegisterUser struct {
	Envelope
	// UserID is the new user's id; zero means the handler makes one.
	UserID user.ID
	user.Registration
}

// RegisterUserHandler handles RegisterUser.
type RegisterUserHandler Handler[RegisterUser, Result]

type registerUser struct {
	uow   UnitOfWork
	newID func() (user.ID, error)
}

// NewRegisterUserHandler returns the RegisterUser handler. newID makes user
// ids (UUIDv7 in production).
func NewRegisterUserHandler(uow UnitOfWork, newID func() (user.ID, error)) (RegisterUserHandler, error) {
	if uow == nil || newID == nil {
		return nil, fmt.Errorf("NewRegisterUserHandler: nil dependency")
	}
	return registerUser{uow: uow, newID: newID}, nil
}

func (h registerUser) Handle(ctx context.Context, cmd RegisterUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	fresh := cmd.UserID.IsZero()
	if fresh {
		id, err := h.newID()
		if err != nil {
			return Result{}, fmt.Errorf("new user id: %w", err)
		}
		cmd.UserID = id
	}
	ex := cmd.execution()
	ex.FreshStream = fresh
	return h.uow.Execute(ctx, ex)
}

// execution is the command as a unit of work carries it out; the importer's
// chunks decide with the very same one.
func (cmd RegisterUser) execution() Execution {
	return Execution{
		Envelope:  cmd.Envelope,
		Type:      "RegisterUser",
		Payload:   cmd.Registration,
		StreamID:  cmd.UserID,
		NewStream: true,
		Decide: func(current *user.User, managers user.ManagerLookup) ([]user.Event, error) {
			if current != nil {
				return nil, user.ErrAlreadyExists
			}
			return user.Register(cmd.UserID, cmd.TenantID, cmd.Registration, managers)
		},
	}
}
