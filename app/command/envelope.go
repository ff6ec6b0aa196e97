// Package command holds the application's write use cases: one command and
// its handler per file. Every command goes through a UnitOfWork, which loads
// the user's stream, lets the domain decide, and persists the decision (command
// record, events, read model, outbox) in one transaction.
package command

import (
	"context"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/domain/user"
)

// Source says which way in a command came through.
type Source string

// The ways in.
const (
	SourceAPI  Source = "api"
	SourceCSV  Source = "csv"
	SourceHRIS Source = "hris"
	SourceSCIM Source = "scim"
)

// Envelope is what every command carries besides its own fields.
type Envelope struct {
	// CommandID is the idempotency key, unique per tenant: a repeated id
	// returns the first outcome and writes nothing new. Each way in keeps its
	// ids in a namespace of its own ("key:<Idempotency-Key>" for a client's
	// key, "import:<job>:<row>", "scim:<uuid>"), so a client's key can never
	// name another way's command.
	CommandID string
	// ClientKey says CommandID is a key the client chose: a command that
	// changes nothing is then recorded too, so the key cannot later be used
	// for a different command. Ids the service makes are never reused, and
	// recording every unchanged import row would cost a write each.
	ClientKey bool
	// FreshCommandID says CommandID was made up for this request (a random
	// id; the client sent no key): no earlier command can have it, so the
	// unit of work does not read an idempotency record for it (the command
	// record's primary key still guards the write).
	FreshCommandID bool
	// Request names the request the command came from ("PATCH
	// /v1/users/{id}"; empty for ways in without one): with the command's
	// type, target and payload it is what a repeated key must match.
	Request string
	// TenantID scopes the command: it can neither read nor change another
	// tenant's users.
	TenantID string
	// Actor names who asked (a token id, "csv:<job>", "hris:<sync>").
	Actor string
	// Source is the way in.
	Source Source
	// CorrelationID ties the command to its request and to the events it causes.
	CorrelationID string
	// ExpectedVersion, when set, makes the command fail with
	// user.ErrVersionConflict unless the stream is at exactly that version.
	ExpectedVersion *int
}

// ErrInvalidEnvelope is returned for a command missing its id, tenant or
// source. Ports fill envelopes, so it is a mistake of ours (Internal): a 500,
// and an import row that is rejected rather than retried in vain.
var ErrInvalidEnvelope = errkind.New(errkind.Internal, "internal", "command envelope incomplete")

// CommandEnvelope returns the envelope; commands embed Envelope, so
// decorators can read it from any of them.
func (e Envelope) CommandEnvelope() Envelope { return e }

func (e Envelope) validate() error {
	if e.CommandID == "" || e.TenantID == "" || e.Source == "" {
		return ErrInvalidEnvelope
	}
	return nil
}

// Result is a command's outcome.
type Result struct {
	// User is the state after the command.
	User user.Snapshot
	// Changed is false when the command decided no events (nothing written).
	Changed bool
	// Replayed is true when the command id had been seen: User is the first
	// outcome and nothing was written this time.
	Replayed bool
}

// Decider decides a command's events from the stream's current state (nil if
// the stream is empty). It must be pure apart from calling managers.
type Decider func(current *user.User, managers user.ManagerLookup) ([]user.Event, error)

// Execution is one command for a UnitOfWork to carry out.
type Execution struct {
	Envelope
	// Type names the command for the command record ("RegisterUser", ...).
	Type string
	// Payload is recorded with the command, and its hash guards the
	// idempotency key against reuse with a different payload.
	Payload any
	// StreamID is the user the command is about: the command's target, part
	// of what a repeated id must match.
	StreamID user.ID
	// NewStream says StreamID was made for this command (a registration): a
	// retry makes another, so the id is left out of what a repeated key must
	// match.
	NewStream bool
	// FreshStream says the handler has just made StreamID up (a new random
	// id), so the stream cannot exist yet: the unit of work skips reading it
	// and the idempotency record (the unique keys on the stream's versions,
	// the user's id and the command id still guard the writes).
	FreshStream bool
	// Decide is called before the writes, on the state read.
	Decide Decider
}

// UnitOfWork carries out one command atomically: it returns the first outcome
// for a repeated command id; otherwise it loads the stream, checks the
// expected version, calls Decide and, when there are events, commits the
// command record, the events (with optimistic concurrency), the read model,
// the seat count and the outbox in ONE transaction. With no events it writes
// nothing and returns Changed=false.
type UnitOfWork interface {
	Execute(ctx context.Context, ex Execution) (Result, error)
}

// ErrIdempotencyKeyReused is returned when a command id is repeated with a
// different request, type, target or payload: replaying the first outcome
// would silently drop the new one.
var ErrIdempotencyKeyReused = errkind.New(errkind.KeyReused, "idempotency_key_reused", "idempotency key already used for a different command")

// IsRejection reports whether err is a refusal: the command is wrong as asked
// and retrying it unchanged cannot help. Anything else (a version conflict,
// a transient or unclassified failure) is worth retrying. The error's kind
// decides (app/errkind), so a new error is classified where it is declared.
func IsRejection(err error) bool {
	return err != nil && errkind.Of(err).Permanent()
}
