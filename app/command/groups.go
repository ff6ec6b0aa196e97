package command

import (
	"context"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// What the group use cases (create_group.go, update_group.go,
// delete_group.go, remove_deleted_member.go) share: the unit of work they
// hand their decisions to and their result.

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
