package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// EraseUser erases a person's personal data (GDPR Art. 17): one
// user.erased event, in the same transaction the deletion of the user's
// data key (every personal field of their history, wherever a copy of it
// is, becomes unreadable) and the purge of the personal data held outside
// the events (read model, directory, recorded commands, import rows); the
// relay follows the event with a Kafka tombstone for the user's key. The
// user is deleted too, for good. A user already erased is "unchanged".
type EraseUser struct {
	Envelope
	UserID user.ID
	// Basis says why, for the audit trail, in terms that name nobody
	// ("gdpr_art17", "retention"); optional, at most 64 characters.
	Basis string
}

// EraseUserHandler handles EraseUser.
type EraseUserHandler Handler[EraseUser, Result]

type eraseUser struct {
	uow      UnitOfWork
	removers []MembershipRemover
}

// NewEraseUserHandler returns the EraseUser handler. The removers take the
// user out of their groups after the erasure, as after a deletion.
func NewEraseUserHandler(uow UnitOfWork, removers ...MembershipRemover) (EraseUserHandler, error) {
	if uow == nil {
		return nil, fmt.Errorf("NewEraseUserHandler: nil unit of work")
	}
	return eraseUser{uow: uow, removers: removers}, nil
}

func (h eraseUser) Handle(ctx context.Context, cmd EraseUser) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	res, err := h.uow.Execute(ctx, Execution{
		Envelope: cmd.Envelope,
		Type:     "EraseUser",
		Payload:  struct{ Basis string }{cmd.Basis},
		StreamID: cmd.UserID,
		Decide: func(current *user.User, _ user.ManagerLookup) ([]user.Event, error) {
			if current == nil {
				return nil, user.ErrNotFound
			}
			return current.Erase(cmd.Basis)
		},
	})
	if err != nil {
		return res, err
	}
	for _, r := range h.removers {
		if err := r.RemoveFromGroups(ctx, cmd.Envelope, cmd.UserID); err != nil {
			return res, fmt.Errorf("user erased; removing their group memberships: %w", err)
		}
	}
	return res, nil
}
