package command

import (
	"context"
	"errors"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// UpdateGroup changes a group (see group.Patch).
type UpdateGroup struct {
	Envelope
	GroupID user.ID
	group.Patch
}

// UpdateGroupHandler handles UpdateGroup.
type UpdateGroupHandler Handler[UpdateGroup, GroupResult]

type updateGroup struct{ uow GroupUnitOfWork }

// NewUpdateGroupHandler returns the UpdateGroup handler.
func NewUpdateGroupHandler(uow GroupUnitOfWork) (UpdateGroupHandler, error) {
	if uow == nil {
		return nil, errors.New("NewUpdateGroupHandler: nil unit of work")
	}
	return updateGroup{uow: uow}, nil
}

func (h updateGroup) Handle(ctx context.Context, cmd UpdateGroup) (GroupResult, error) {
	if err := cmd.validate(); err != nil {
		return GroupResult{}, err
	}
	return h.uow.ExecuteGroup(ctx, GroupExecution{Envelope: cmd.Envelope, Type: "UpdateGroup", Payload: cmd.Patch, GroupID: cmd.GroupID,
		Decide: func(current *group.Group) ([]user.Event, error) {
			if current == nil {
				return nil, group.ErrNotFound
			}
			return current.Update(cmd.Patch)
		}})
}
