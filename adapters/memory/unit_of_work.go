package memory

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// UnitOfWork implements command.UnitOfWork on a Store.
type UnitOfWork struct{ s *Store }

var _ command.UnitOfWork = (*UnitOfWork)(nil)

// NewUnitOfWork returns the unit of work of s.
func NewUnitOfWork(s *Store) *UnitOfWork { return &UnitOfWork{s: s} }

// Execute implements command.UnitOfWork: under the store's lock it replays a
// repeated command id, checks the expected version, lets the command decide
// and, when there are events, checks the tenant's invariants and stores the
// command, the events and the read model together, or nothing.
func (u *UnitOfWork) Execute(ctx context.Context, ex command.Execution) (command.Result, error) {
	if err := ctx.Err(); err != nil {
		return command.Result{}, err
	}
	payload, err := json.Marshal(ex.Payload)
	if err != nil {
		return command.Result{}, fmt.Errorf("encode %s payload: %w", ex.Type, err)
	}
	hash := requestHash(ex, payload)
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	key := commandKey{ex.TenantID, ex.CommandID}
	if prior, ok := s.commands[key]; ok {
		if prior.hash != hash {
			return command.Result{}, command.ErrIdempotencyKeyReused
		}
		return command.Result{User: prior.snap, Changed: !prior.unchanged, Replayed: true}, nil
	}
	current, events, err := s.decide(ex)
	if err != nil {
		return command.Result{}, err
	}
	if len(events) == 0 {
		res := command.Result{User: current.Snapshot()}
		if ex.ClientKey {
			s.commands[key] = recorded{hash: hash, typ: ex.Type, snap: res.User, unchanged: true}
		}
		return res, nil
	}
	snap, err := s.append(ex, current, events)
	if err != nil {
		return command.Result{}, err
	}
	s.commands[key] = recorded{hash: hash, typ: ex.Type, snap: snap}
	return command.Result{User: snap, Changed: true}, nil
}

// decide loads the user, checks the expected version and lets the command
// decide.
func (s *Store) decide(ex command.Execution) (*user.User, []user.Event, error) {
	current, err := s.load(ex.TenantID, ex.StreamID)
	if err != nil {
		return nil, nil, err
	}
	version := 0
	if current != nil {
		version = current.Version()
	}
	if ex.ExpectedVersion != nil && *ex.ExpectedVersion != version {
		return nil, nil, user.ErrVersionConflict
	}
	events, err := ex.Decide(current, s.managerLookup(ex.TenantID))
	return current, events, err
}

// append checks the tenant's invariants for the decided events and stores
// them with the read model, or nothing.
func (s *Store) append(ex command.Execution, current *user.User, events []user.Event) (user.Snapshot, error) {
	next, err := fold(ex.StreamID, current, events)
	if err != nil {
		return user.Snapshot{}, err
	}
	snap := next.Snapshot()
	if err := checkUnique(s.streams, ex.TenantID, snap); err != nil {
		return user.Snapshot{}, err
	}
	var from user.Status
	version := 0
	if current != nil {
		from, version = current.Status(), current.Version()
	}
	t := s.tenants[ex.TenantID]
	delta := user.SeatDelta(from, events)
	switch {
	case t == nil:
		return user.Snapshot{}, fmt.Errorf("tenant %s does not exist", ex.TenantID)
	case delta > 0 && t.used+delta > t.seatLimit:
		return user.Snapshot{}, user.ErrSeatsExhausted
	}
	stored, err := s.storedEvents(ex, version, events)
	if err != nil {
		return user.Snapshot{}, err
	}
	// Every check passed: from here on nothing can fail half-way.
	t.used += delta
	st := s.streams[ex.StreamID]
	if st == nil {
		st = &stream{tenantID: ex.TenantID}
		s.streams[ex.StreamID] = st
	}
	st.events = append(st.events, stored...)
	st.snap = snap
	return snap, nil
}

// load rebuilds the tenant's user from its stream: nil when the tenant has none.
func (s *Store) load(tenantID string, id user.ID) (*user.User, error) {
	st := s.streams[id]
	if st == nil || st.tenantID != tenantID {
		return nil, nil
	}
	events := make([]user.Event, len(st.events))
	for i, e := range st.events {
		events[i] = e.event
	}
	return user.FromHistory(id, events)
}

// fold applies the decided events to a copy of current.
func fold(id user.ID, current *user.User, events []user.Event) (*user.User, error) {
	if current == nil {
		first, err := user.FromHistory(id, events[:1])
		if err != nil {
			return nil, err
		}
		for _, e := range events[1:] {
			first.Apply(e)
		}
		return first, nil
	}
	next := *current
	for _, e := range events {
		next.Apply(e)
	}
	return &next, nil
}

// checkUnique enforces what the users table's unique indexes do: among the
// tenant's users that are not deleted, one e-mail address, external id and
// username (without regard to case) each.
func checkUnique(streams map[user.ID]*stream, tenantID string, snap user.Snapshot) error {
	if snap.Status == user.StatusDeleted {
		return nil
	}
	for id, st := range streams {
		o := st.snap
		if id == snap.ID || st.tenantID != tenantID || o.Status == user.StatusDeleted {
			continue
		}
		switch {
		case o.Email == snap.Email:
			return user.ErrEmailTaken
		case snap.ExternalID != "" && o.ExternalID == snap.ExternalID:
			return user.ErrExternalIDTaken
		case strings.EqualFold(o.UserName(), snap.UserName()):
			return user.ErrUsernameTaken
		}
	}
	return nil
}

// managerLookup answers the domain's manager questions from the read model:
// the chain above id, nearest first, or ErrManagerNotFound.
func (s *Store) managerLookup(tenantID string) user.ManagerLookup {
	return func(id user.ID) ([]user.ID, error) {
		st := s.streams[id]
		if st == nil || st.tenantID != tenantID || st.snap.Status == user.StatusDeleted {
			return nil, user.ErrManagerNotFound
		}
		chain := []user.ID{id}
		for len(chain) <= 10000 {
			next, err := user.ParseID(st.snap.ManagerID)
			if err != nil {
				break // no manager
			}
			if st = s.streams[next]; st == nil || st.tenantID != tenantID {
				break
			}
			chain = append(chain, next)
		}
		return chain, nil
	}
}

// requestHash is what a repeated command id must match, as in the
// PostgreSQL unit of work: type, request, target (unless made for the
// command) and payload.
func requestHash(ex command.Execution, payload []byte) string {
	target := ex.StreamID.String()
	if ex.NewStream {
		target = ""
	}
	h := sha256.New()
	for _, part := range []string{ex.Type, ex.Request, target} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(payload)
	return string(h.Sum(nil))
}

// storedEvent is an event with what the event store records beside it.
type storedEvent struct {
	event user.Event
	meta  eventMeta
}

type eventMeta struct {
	id, commandID, correlationID, actor, source string
	version                                     int
	data                                        json.RawMessage
	at                                          int64 // unix microseconds
}

func (s *Store) storedEvents(ex command.Execution, base int, events []user.Event) ([]storedEvent, error) {
	return s.storedEventsAt(ex, base, events, s.now())
}

// storedEventsAt stamps events as the event store records them, at now.
func (s *Store) storedEventsAt(ex command.Execution, base int, events []user.Event, now time.Time) ([]storedEvent, error) {
	at := now.UTC().UnixMicro()
	out := make([]storedEvent, len(events))
	for i, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		out[i] = storedEvent{event: e, meta: eventMeta{id: id.String(), commandID: ex.CommandID, correlationID: ex.CorrelationID,
			actor: ex.Actor, source: string(ex.Source), version: base + i + 1, data: data, at: at}}
	}
	return out, nil
}
