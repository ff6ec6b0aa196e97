package command

import (
	"context"
	"errors"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// GroupExecution is one group command for the unit of work: as Execution,
// for a group's stream.
type GroupExecution struct {
	Envelope
	// Type names the command ("CreateGroup", ...).
	Type string
	// Payload is recorded with the command (and hashed for idempotency).
	Payload any
	// GroupID is the group's stream.
	GroupID user.ID
	// Decide returns the events for the group's current state (nil: none yet).
	Decide func(current *group.Group) ([]user.Event, error)
}

// GroupResult is a group command's outcome.
type GroupResult struct {
	Group    group.Snapshot
	Changed  bool
	Replayed bool
}

// GroupUnitOfWork carries out group commands: in one transaction, the
// command record, the events, the groups read model and the outbox. Added
// members must be users of the tenant (group.ErrMemberNotFound).
type GroupUnitOfWork interface {
	ExecuteGroup(ctx context.Context, ex GroupExecution) (GroupResult, error)
}

// GroupHandler handles one kind of group command.
type GroupHandler[C any] interface {
	Handle(ctx context.Context, cmd C) (GroupResult, error)
}

// CreateGroup creates a group with its first members.
type CreateGroup struct {
	Envelope
	GroupID     user.ID
	DisplayName string
	ExternalID  string
	Members     []string
}

// UpdateGroup changes a group (see group.Patch).
type UpdateGroup struct {
	Envelope
	GroupID user.ID
	group.Patch
}

// DeleteGroup deletes a group.
type DeleteGroup struct {
	Envelope
	GroupID user.ID
}

// MemberGroups lists the groups a user is a member of.
type MemberGroups interface {
	GroupIDsOfMember(ctx context.Context, tenantID string, userID user.ID) ([]user.ID, error)
}

// GroupCommands are the group use cases, on one unit of work.
type GroupCommands struct {
	uow     GroupUnitOfWork
	members MemberGroups
}

// NewGroupCommands returns the group use cases.
func NewGroupCommands(uow GroupUnitOfWork, members MemberGroups) (*GroupCommands, error) {
	if uow == nil || members == nil {
		return nil, errors.New("NewGroupCommands: nil unit of work or membership reader")
	}
	return &GroupCommands{uow: uow, members: members}, nil
}

// RemoveFromGroups implements MembershipRemover: the deleted user leaves
// every group they were in, one event per group.
func (h *GroupCommands) RemoveFromGroups(ctx context.Context, env Envelope, userID user.ID) error {
	ids, err := h.members.GroupIDsOfMember(ctx, env.TenantID, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, gid := range ids {
		if _, err := h.RemoveDeletedMember(ctx, env, gid, userID); err != nil && !errors.Is(err, group.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Create handles CreateGroup.
func (h *GroupCommands) Create(ctx context.Context, cmd CreateGroup) (GroupResult, error) {
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

// Update handles UpdateGroup.
func (h *GroupCommands) Update(ctx context.Context, cmd UpdateGroup) (GroupResult, error) {
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

// Delete handles DeleteGroup.
func (h *GroupCommands) Delete(ctx context.Context, cmd DeleteGroup) (GroupResult, error) {
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

// RemoveDeletedMember takes a deleted user out of one group, with an event
// of its own (reason user_deleted). Its command id is derived from the
// deletion's, so running it again (a retried deletion) changes nothing.
func (h *GroupCommands) RemoveDeletedMember(ctx context.Context, env Envelope, groupID, userID user.ID) (GroupResult, error) {
	env.CommandID = env.CommandID + ":group:" + groupID.String()
	return h.uow.ExecuteGroup(ctx, GroupExecution{Envelope: env, Type: "RemoveDeletedMember",
		Payload: struct{ User string }{userID.String()}, GroupID: groupID,
		Decide: func(current *group.Group) ([]user.Event, error) {
			if current == nil {
				return nil, nil
			}
			return current.RemoveDeletedUser(userID.String()), nil
		}})
}
