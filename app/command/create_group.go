package command

import (
	"context"
	"errors"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// CreateGroup creates a group with its first members.
type CreateGroup struct {
	Envelope
	GroupID     user.ID
	DisplayName string
	ExternalID  string
	Members     []string
}

// CreateGroupHandler handles CreateGroup.
type CreateGroupHandler Handler[CreateGroup, GroupResult]

type createGroup struct{ uow GroupUnitOfWork }

// NewCreateGroupHandler returns the CreateGroup handler.
func NewCreateGroupHandler(uow GroupUnitOfWork) (CreateGroupHandler, error) {
	if uow == nil {
		return nil, errors.New("NewCreateGroupHandler: nil unit of work")
	}
	return createGroup{uow: uow}, nil
}

func (h createGroup) Handle(ctx context.Context, cmd CreateGroup) (GroupResult, error) {
	if err := cmd.validate(); err != nil {
		return GroupResult{}, err
	}
	return h.uow.ExecuteGroup(ctx, GroupExecution{Envelope: cmd.Envelope, Type: "CreateGroup", Payload: cmd, GroupID: cmd.GroupID,
		Decide: func(current *group.Group) ([]user.Event, error) {
			if current != nil {
				return nil, user.ErrAlreadyExists
			}
			return group.Create(cmd.TenantID, cmd.DisplayName, cmd.ExternalID, cmd.Members)
		}})
}
