package command

import (
	"context"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ImportChunkStore carries out a chunk of import rows of one job in ONE
// short transaction: it reads, in one round trip, everything the chunk's
// rows name (ChunkView), hands it to decide, writes decide's plan set-wise
// (each table one statement: command records, events, read model, outbox,
// outcomes, failures, counters, one seat update) and commits. The
// transaction is the store's own, open only for the read, the decision and
// the write: nothing outside the plan can be written in it.
//
// When the write meets a concurrent writer (an e-mail or external id taken
// meanwhile, a user changed meanwhile, seats taken meanwhile, a twin
// delivery of the chunk), nothing is kept and the store starts over with a
// fresh read and a fresh decision, a bounded number of times: the row the
// database refused is then refused by the decision, and the other rows are
// applied.
type ImportChunkStore interface {
	ApplyChunk(ctx context.Context, keys ChunkKeys, decide func(ChunkView) (ChunkPlan, error)) (ChunkPlan, error)
}

// ChunkKeys are what a chunk's decision needs read.
type ChunkKeys struct {
	TenantID string
	JobID    string
	// Rows are the row numbers whose recorded outcomes count: the chunk's
	// and those of the rows its managers are on.
	Rows []int
	// CommandIDs are the rows' command ids (idempotency records).
	CommandIDs []string
	// ExternalIDs and Emails are the keys of the users the rows may apply
	// to or name as manager.
	ExternalIDs []string
	Emails      []string
	// ManagerExternalIDs are the managers the rows name: their reporting
	// lines are read too, for the cycle check.
	ManagerExternalIDs []string
}

// ChunkView is the state a chunk is decided on, read in one snapshot.
type ChunkView struct {
	// Outcomes are the recorded outcomes of ChunkKeys.Rows.
	Outcomes map[int]Outcome
	// Commands are the recorded commands of ChunkKeys.CommandIDs.
	Commands map[string]RecordedCommand
	// Users are the users (not deleted) with one of the external ids or
	// e-mail addresses of the keys.
	Users []ImportTarget
	// Managers maps every user on the reporting lines above the named
	// managers to their own manager (absent or zero: none).
	Managers map[user.ID]user.ID
	// SeatLimit and SeatsUsed are the tenant's.
	SeatLimit, SeatsUsed int
	// Now is the time the chunk's events will carry (the store's clock):
	// a later row of the chunk sees its user changed at this time.
	Now time.Time
	// ManagersLocked is true when the view was read under the tenant's
	// reporting-line lock (see ChunkPlan.LocksManagers).
	ManagersLocked bool
}

// RecordedCommand is a command recorded under an import row's command id.
type RecordedCommand struct {
	Type     string
	StreamID user.ID
}

// ChunkPlan is what a chunk's decision asks the store to write.
type ChunkPlan struct {
	// Rows are the chunk's rows that have an outcome, in the order decided.
	Rows []PlannedRow
	// Deferred are the rows that wait for their manager's row.
	Deferred []DeferredRow
	// LocksManagers asks for the view again under the tenant's
	// reporting-line lock (the one the API's manager changes take), because
	// a row changes an existing user's manager: without it two concurrent
	// changes could each pass the cycle check and together close a loop.
	LocksManagers bool
}

// PlannedRow is one row's decision.
type PlannedRow struct {
	// Outcome is the row's outcome (tenant, job and row set).
	Outcome RowOutcome
	// Duplicate is true when the row had an outcome already: nothing is
	// written for it.
	Duplicate bool
	// Command, when set, is the command the row decided, with the events
	// to commit; nil when nothing but the outcome is written.
	Command *PlannedCommand
	// ReplacesParked is true when the row's recorded outcome is "parked"
	// (a retried row): the new outcome replaces it.
	ReplacesParked bool
}

// PlannedCommand is a command decided in memory: the store records it,
// appends its events after Current's version and updates the read model.
type PlannedCommand struct {
	Execution
	// Current is the user before the command (nil: a new user).
	Current *user.User
	Events  []user.Event
}
