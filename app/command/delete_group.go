package command

import (
	"context"
	"errors"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// DeleteGroup deletes a group.
type DeleteGroup struct {
	Envelope
	GroupID user.ID
}

// DeleteGroupHandler handles DeleteGroup.
type DeleteGroupHandler Handler[DeleteGroup, GroupResult]

type deleteGroup struct{ uow GroupUnitOfWork }

// NewDeleteGroupHandler returns the DeleteGroup handler.
func NewDeleteGroupHandler(uow GroupUnitOfWork) (DeleteGroupHandler, error) {
	if uow == nil {
		return nil, errors.New("NewDeleteGroupHandler: nil unit of work")
	}
	return deleteGroup{uow: uow}, nil
}

func (h deleteGroup) Handle(ctx context.Context, cmd DeleteGroup) (GroupResult, error) {
	if err := cmd.validate(); err != nil {
		return GroupResult{}, err
	}
	return h.uow.ExecuteGroup(ctx, GroupExecution{Envelope: cmd.Envelope, Type: "DeleteGroup", Payload: struct{}{}, GroupID: cmd.GroupID,
		Decide: func(current *group.Group) ([]user.Event, error) {
			if current == nil {
				return nil, group.ErrNotFound
			}
			return current.Delete()
		}})
}
