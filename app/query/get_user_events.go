package query

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// GetUserEvents reads a user's event history, oldest first.
type GetUserEvents struct {
	TenantID string
	UserID   user.ID
}

// RecordedEvent is one stored event with its metadata.
type RecordedEvent struct {
	ID            string
	Type          string
	StreamID      user.ID
	TenantID      string
	Version       int
	OccurredAt    time.Time
	Data          json.RawMessage
	CommandID     string
	CorrelationID string
	CausationID   string
	Actor         string
	Source        string
}

// EventReader reads the event store. A stream of another tenant is
// user.ErrNotFound.
type EventReader interface {
	StreamEvents(ctx context.Context, tenantID string, id user.ID) ([]RecordedEvent, error)
}

// GetUserEventsHandler handles GetUserEvents.
type GetUserEventsHandler Handler[GetUserEvents, []RecordedEvent]

// getUserEventsHandler is GetUserEventsHandler built by its constructor.
type getUserEventsHandler struct{ events EventReader }

// NewGetUserEventsHandler returns the GetUserEvents handler.
func NewGetUserEventsHandler(events EventReader) (GetUserEventsHandler, error) {
	if events == nil {
		return nil, fmt.Errorf("NewGetUserEventsHandler: nil reader")
	}
	return getUserEventsHandler{events: events}, nil
}

// Handle returns the events or user.ErrNotFound for an empty stream.
func (h getUserEventsHandler) Handle(ctx context.Context, q GetUserEvents) ([]RecordedEvent, error) {
	events, err := h.events.StreamEvents(ctx, q.TenantID, q.UserID)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, user.ErrNotFound
	}
	return events, nil
}
