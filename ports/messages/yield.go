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

// Turns lets the import's background work take turns across processes
// (postgres.ImportTurns, an advisory lock): Take returns once this process
// holds the turn, and release ends it.
type Turns interface {
	Take(ctx context.Context) (release func(), err error)
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
//
// With Turns, "one at a time" and "half of the time" hold across processes
// too: the turn is held through the pause and the chunk, so the chunks of
// every importer process and the batches of an upload's queueing (on the
// api process) follow one another, each after its pause, instead of each
// process pacing itself alone beside the others.
type APIFirst struct {
	activity APIActivity
	turns    Turns
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
// turns, when not nil, are shared with the other processes' priorities.
func NewAPIFirst(activity APIActivity, turns Turns, maxWait time.Duration, log watermill.LoggerAdapter) *APIFirst {
	if log == nil {
		log = watermill.NopLogger{}
	}
	y := &APIFirst{activity: activity, turns: turns, maxWait: maxWait, poll: min(apiFirstPoll, maxWait), log: log, turn: make(chan struct{}, 1)}
	y.last.Store(int64(maxWait))
	return y
}

// Admit implements Yield. A failure to read the API's activity admits the
// chunk (it is logged): the priority is a courtesy, never a reason to stop
// importing.
func (y *APIFirst) Admit(ctx context.Context) (func(), error) {
	if !y.Busy(ctx) {
		return y.timed(func() {}), nil
	}
	select {
	case y.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	shared, err := y.takeTurn(ctx)
	if err != nil {
		<-y.turn
		return nil, err
	}
	deadline := time.Now().Add(min(y.maxWait, time.Duration(y.last.Load())))
	for time.Now().Before(deadline) {
		select {
		case <-time.After(min(y.poll, time.Until(deadline))):
		case <-ctx.Done():
			shared()
			<-y.turn
			return nil, ctx.Err()
		}
		if !y.Busy(ctx) {
			break
		}
	}
	return y.timed(func() { shared(); <-y.turn }), nil
}

// takeTurn takes the turn shared with the other processes, if any. A
// failure to take it (other than the end of ctx) is logged and the chunk
// goes on with this process's turn alone: the priority is a courtesy.
func (y *APIFirst) takeTurn(ctx context.Context) (func(), error) {
	if y.turns == nil {
		return func() {}, nil
	}
	release, err := y.turns.Take(ctx)
	if err == nil {
		return release, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	y.log.Error("import priority: the turn shared with other processes is unavailable; this process paces itself alone", err, nil)
	return func() {}, nil
}

// timed wraps release to record how long the admitted chunk took.
func (y *APIFirst) timed(release func()) func() {
	start := time.Now()
	return func() {
		y.last.Store(int64(time.Since(start)))
		release()
	}
}

// Busy says whether the API has work in flight now (false when that is
// unknown): work that can be cut smaller, as an upload's queueing can, is
// cut smaller while it is.
func (y *APIFirst) Busy(ctx context.Context) bool {
	n, err := y.activity.InFlight(ctx)
	if err != nil {
		y.log.Error("import priority: the API's activity is unknown; the work goes ahead", err, nil)
		return false
	}
	return n > 0
}
