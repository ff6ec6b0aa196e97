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
type DeleteUserHandler Handler[DeleteUser, Result]

type deleteUser struct {
	uow      UnitOfWork
	removers []MembershipRemover
}

// MembershipRemover takes a deleted user out of what they were a member of
// (their groups), after the deletion committed.
type MembershipRemover interface {
	RemoveFromGroups(ctx context.Context, env Envelope, userID user.ID) error
}

// NewDeleteUserHandler returns the DeleteUser handler. The removers run
// after each deletion, also for a repeated one (Idempotency-Key), so a
// deletion whose clean-up was cut short is finished by its retry; a read
// leaves deleted users out of every group meanwhile.
func NewDeleteUserHandler(uow UnitOfWork, removers ...MembershipRemover) (DeleteUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewDeleteUserHandler: nil unit of work")
	}
	return deleteUser{uow: uow, removers: removers}, nil
}

func (h deleteUser) Handle(ctx context.Context, cmd DeleteUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	res, err := h.uow.Execute(ctx, Execution{
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
	if err != nil {
		return res, err
	}
	for _, r := range h.removers {
		if err := r.RemoveFromGroups(ctx, cmd.Envelope, cmd.UserID); err != nil {
			return res, fmt.Errorf("user deleted; removing their group memberships: %w", err)
		}
	}
	return res, nil
}
