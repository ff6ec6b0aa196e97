package messages

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// Yield admits the importer's messages: Admit returns when a message may be
// applied, and release is called once it has been.
type Yield interface {
	Admit(ctx context.Context) (release func(), err error)
}

// APIActivity counts the API's work in flight (requests in the database:
// postgres.APIActivity).
type APIActivity interface {
	InFlight(ctx context.Context) (int, error)
}

// APIFirst is the importer's default priority: the API first. While the
// API has nothing in flight, chunks are applied as fast as the consumers
// go. While it has, chunks go one at a time across the importer's
// consumers, and each first waits for a moment when the API has nothing in
// flight, for at most MaxWait: an import then takes about one chunk's work
// per MaxWait from a busy API (never nothing: an import always moves), and
// the API's requests meet at most one chunk transaction, not one per
// consumer.
type APIFirst struct {
	activity APIActivity
	maxWait  time.Duration
	poll     time.Duration
	log      watermill.LoggerAdapter
	turn     chan struct{}
}

// apiFirstPoll is how often a waiting chunk looks at the API's activity.
const apiFirstPoll = 10 * time.Millisecond

// NewAPIFirst returns the priority over activity; maxWait must be positive.
func NewAPIFirst(activity APIActivity, maxWait time.Duration, log watermill.LoggerAdapter) *APIFirst {
	if log == nil {
		log = watermill.NopLogger{}
	}
	return &APIFirst{activity: activity, maxWait: maxWait, poll: min(apiFirstPoll, maxWait), log: log, turn: make(chan struct{}, 1)}
}

// Admit implements Yield. A failure to read the API's activity admits the
// chunk (it is logged): the priority is a courtesy, never a reason to stop
// importing.
func (y *APIFirst) Admit(ctx context.Context) (func(), error) {
	if !y.busy(ctx) {
		return func() {}, nil
	}
	select {
	case y.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-y.turn }
	deadline := time.Now().Add(y.maxWait)
	for time.Now().Before(deadline) {
		select {
		case <-time.After(min(y.poll, time.Until(deadline))):
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
		if !y.busy(ctx) {
			break
		}
	}
	return release, nil
}

func (y *APIFirst) busy(ctx context.Context) bool {
	n, err := y.activity.InFlight(ctx)
	if err != nil {
		y.log.Error("import priority: the API's activity is unknown; the chunk goes ahead", err, nil)
		return false
	}
	return n > 0
}
