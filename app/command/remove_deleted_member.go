package command

import (
	"context"
	"errors"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// RemoveDeletedMember takes a deleted (or erased) user out of one group,
// with an event of its own (reason user_deleted). Its command id is derived
// from the deletion's, so running it again (a retried deletion) changes
// nothing.
type RemoveDeletedMember struct {
	// Envelope is the deletion's.
	Envelope
	GroupID user.ID
	UserID  user.ID
}

// RemoveDeletedMemberHandler handles RemoveDeletedMember.
type RemoveDeletedMemberHandler Handler[RemoveDeletedMember, GroupResult]

type removeDeletedMember struct{ uow GroupUnitOfWork }

// NewRemoveDeletedMemberHandler returns the RemoveDeletedMember handler.
func NewRemoveDeletedMemberHandler(uow GroupUnitOfWork) (RemoveDeletedMemberHandler, error) {
	if uow == nil {
		return nil, errors.New("NewRemoveDeletedMemberHandler: nil unit of work")
	}
	return removeDeletedMember{uow: uow}, nil
}

func (h removeDeletedMember) Handle(ctx context.Context, cmd RemoveDeletedMember) (GroupResult, error) {
	env := cmd.Envelope
	env.CommandID = env.CommandID + ":group:" + cmd.GroupID.String()
	return h.uow.ExecuteGroup(ctx, GroupExecution{Envelope: env, Type: "RemoveDeletedMember",
		Payload: struct{ User string }{cmd.UserID.String()}, GroupID: cmd.GroupID,
		Decide: func(current *group.Group) ([]user.Event, error) {
			if current == nil {
				return nil, nil
			}
			return current.RemoveDeletedUser(cmd.UserID.String()), nil
		}})
}

// MemberGroups lists the groups a user is a member of.
type MemberGroups interface {
	GroupIDsOfMember(ctx context.Context, tenantID string, userID user.ID) ([]user.ID, error)
}

// GroupMembershipRemover is the MembershipRemover of groups: DeleteUser and
// EraseUser run it after the user's own command.
type GroupMembershipRemover struct {
	members MemberGroups
	remove  RemoveDeletedMemberHandler
}

var _ MembershipRemover = (*GroupMembershipRemover)(nil)

// NewGroupMembershipRemover returns the remover; remove runs once per group
// the user is in.
func NewGroupMembershipRemover(members MemberGroups, remove RemoveDeletedMemberHandler) (*GroupMembershipRemover, error) {
	if members == nil || remove == nil {
		return nil, errors.New("NewGroupMembershipRemover: nil membership reader or handler")
	}
	return &GroupMembershipRemover{members: members, remove: remove}, nil
}

// RemoveFromGroups implements MembershipRemover: the deleted user leaves
// every group they were in, one event per group. A group deleted meanwhile
// is no failure.
func (r *GroupMembershipRemover) RemoveFromGroups(ctx context.Context, env Envelope, userID user.ID) error {
	ids, err := r.members.GroupIDsOfMember(ctx, env.TenantID, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, gid := range ids {
		_, err := r.remove.Handle(ctx, RemoveDeletedMember{Envelope: env, GroupID: gid, UserID: userID})
		if err != nil && !errors.Is(err, group.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
