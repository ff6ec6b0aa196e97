package messages

import (
	"context"
	"sync/atomic"
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
// consumers, and before each the importer pauses for as long as the last
// chunk took (at most MaxWait), ending the pause early when the API has
// nothing in flight: a busy API then meets at most one chunk transaction
// at a time, at most half of the time, and the import keeps about half of
// one consumer's rate instead of stopping (before, each chunk waited the
// whole MaxWait for a quiet moment that a steadily loaded API never has:
// 929 rows/s beside the 8-client bench load, whatever the chunk cost).
type APIFirst struct {
	activity APIActivity
	maxWait  time.Duration
	poll     time.Duration
	log      watermill.LoggerAdapter
	turn     chan struct{}
	// last is how long the last admitted chunk took (nanoseconds); it
	// starts at maxWait, until one has been measured.
	last atomic.Int64
}

// apiFirstPoll is how often a pausing chunk looks at the API's activity.
const apiFirstPoll = 10 * time.Millisecond

// NewAPIFirst returns the priority over activity; maxWait must be positive.
func NewAPIFirst(activity APIActivity, maxWait time.Duration, log watermill.LoggerAdapter) *APIFirst {
	if log == nil {
		log = watermill.NopLogger{}
	}
	y := &APIFirst{activity: activity, maxWait: maxWait, poll: min(apiFirstPoll, maxWait), log: log, turn: make(chan struct{}, 1)}
	y.last.Store(int64(maxWait))
	return y
}

// Admit implements Yield. A failure to read the API's activity admits the
// chunk (it is logged): the priority is a courtesy, never a reason to stop
// importing.
func (y *APIFirst) Admit(ctx context.Context) (func(), error) {
	if !y.busy(ctx) {
		return y.timed(func() {}), nil
	}
	select {
	case y.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	deadline := time.Now().Add(min(y.maxWait, time.Duration(y.last.Load())))
	for time.Now().Before(deadline) {
		select {
		case <-time.After(min(y.poll, time.Until(deadline))):
		case <-ctx.Done():
			<-y.turn
			return nil, ctx.Err()
		}
		if !y.busy(ctx) {
			break
		}
	}
	return y.timed(func() { <-y.turn }), nil
}

// timed wraps release to record how long the admitted chunk took.
func (y *APIFirst) timed(release func()) func() {
	start := time.Now()
	return func() {
		y.last.Store(int64(time.Since(start)))
		release()
	}
}

func (y *APIFirst) busy(ctx context.Context) bool {
	n, err := y.activity.InFlight(ctx)
	if err != nil {
		y.log.Error("import priority: the API's activity is unknown; the chunk goes ahead", err, nil)
		return false
	}
	return n > 0
}
