package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// What every stream's command shares on its way into the event store, for
// users (unit_of_work.go, import chunks) and groups (groups_write.go) alike:
// the request hash behind the idempotency key, the decided events folded and
// stamped, and the recorded outcome of a repeated command id.

// requestHash is what a repeated command id must match: the command's type,
// the request it came from, its target (unless the target was made for it)
// and its payload.
func requestHash(ex command.Execution, payload []byte) []byte {
	target := ex.StreamID.String()
	if ex.NewStream {
		target = ""
	}
	return hashRequest(ex.Type, ex.Request, target, payload)
}

// hashRequest is requestHash's digest: the parts, each ended by a zero
// byte, then the payload.
func hashRequest(typ, request, target string, payload []byte) []byte {
	h := sha256.New()
	for _, part := range []string{typ, request, target} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(payload)
	return h.Sum(nil)
}

// streamState is the state of a stream the decided events fold into
// (user.User, group.Group).
type streamState[S any] interface {
	*S
	Apply(e user.Event)
	Version() int
}

// prepareEvents applies the decided events to a copy of the user's state and
// gives each an id, a version and its metadata; now is their time.
func prepareEvents(ex command.Execution, current *user.User, events []user.Event, now time.Time) (*user.User, []projection.Event, error) {
	return prepareStream(ex.Envelope, ex.StreamID, current, events, now, user.FromHistory)
}

// prepareStream applies events to a copy of current (nil: a new stream,
// started by fromHistory on the first event) and stamps each for the event
// store: a time-ordered id, the version after current's, the time now and
// the command's metadata.
func prepareStream[S any, P streamState[S]](env command.Envelope, streamID user.ID, current P, events []user.Event, now time.Time,
	fromHistory func(user.ID, []user.Event) (P, error)) (P, []projection.Event, error) {
	var next S
	base := 0
	if current != nil {
		next, base = *current, current.Version()
	}
	// Microseconds, as PostgreSQL stores them: the outbox envelope (and so
	// Kafka) then carries exactly the time a re-publish reads back.
	now = now.UTC().Truncate(time.Microsecond)
	stored := make([]projection.Event, len(events))
	for i, e := range events {
		if current == nil && i == 0 {
			first, err := fromHistory(streamID, events[:1])
			if err != nil {
				return nil, nil, err
			}
			next = *first
		} else {
			P(&next).Apply(e)
		}
		data, err := encodeEvent(e)
		if err != nil {
			return nil, nil, err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, nil, fmt.Errorf("event id: %w", err)
		}
		stored[i] = projection.Event{
			ID: id.String(), StreamID: streamID, TenantID: env.TenantID, Version: base + i + 1,
			Type: e.EventType(), Data: data, Payload: e, OccurredAt: now, CommandID: env.CommandID,
			CorrelationID: env.CorrelationID, Actor: env.Actor, Source: string(env.Source),
		}
	}
	return &next, stored, nil
}

// encodeEvent is THE place a command's event payload is encoded for the event
// store (and, as stored, for the outbox): a transformation of stored
// payloads (encryption of personal fields) belongs here, once.
func encodeEvent(e user.Event) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return data, nil
}

// recordedCommand reads the first outcome recorded for env's command id:
// a concurrent twin recorded it first.
func (u *UnitOfWork) recordedCommand(ctx context.Context, env command.Envelope) (priorCommand, error) {
	var prior priorCommand
	if err := u.pool.QueryRow(ctx, selectCommandSQL, env.TenantID, env.CommandID).Scan(&prior.hash, &prior.outcome); err != nil {
		return prior, fmt.Errorf("read recorded command: %w", err)
	}
	return prior, nil
}
