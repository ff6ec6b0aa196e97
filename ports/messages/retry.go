package messages

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/app/command"
)

// errAttemptsExhausted marks a row that failed MaxAttempts times.
var errAttemptsExhausted = errors.New("import row failed on every attempt")

// retryLater requeues a row that failed (after the quick retries) for a later
// attempt, instead of holding its consumer while waiting, and acks it; after
// MaxAttempts it lets the error through to the poison queue. A requeue that
// fails nacks the row: it is offered again, never dropped.
func (r *ImportRouter) retryLater(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err == nil || errors.Is(err, errUndecodable) {
			return out, err
		}
		if rows, chunk, derr := decodeMessage(msg); derr == nil && chunk {
			// A chunk is never retried or parked whole: its rows are, one by one.
			if rerr := r.requeueRows(msg, undelayed(rows), false); rerr != nil {
				return nil, errors.Join(err, rerr)
			}
			r.log.Info("import chunk failed; its rows are queued again one by one", fields(rows[0]).Add(watermill.LogFields{
				"rows": len(rows), "error": err.Error()}))
			return nil, nil
		}
		n := attempts(msg) + 1
		if n >= r.cfg.MaxAttempts {
			return nil, fmt.Errorf("%w (%d): %w", errAttemptsExhausted, n, err)
		}
		row, derr := decodeRow(msg)
		if derr != nil {
			return nil, errors.Join(err, derr)
		}
		delay := min(r.cfg.RetryDelay<<min(n-1, 20), r.cfg.MaxRetryDelay)
		if rerr := r.requeue(msg, row, n, delay); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		r.log.Info("import row requeued after a failure", fields(row).Add(watermill.LogFields{
			"attempt": n, "retry_in": delay.String(), "error": err.Error()}))
		return nil, nil
	}
}

// requeue publishes the row again to the PostgreSQL queue, due after delay.
func (r *ImportRouter) requeue(orig *message.Message, row command.ImportUserRow, attempt int, delay time.Duration) error {
	msg, err := encodeRow(row)
	if err != nil {
		return err
	}
	msg.Metadata.Set(MetaAttempts, strconv.Itoa(attempt))
	msg.Metadata.Set(delayedUntilKey, time.Now().Add(delay).UTC().Format(time.RFC3339Nano))
	msg.SetContext(orig.Context())
	if err := r.cfg.Requeue.Publish(r.cfg.RequeueTopic, msg); err != nil {
		return fmt.Errorf("requeue import row %d: %w", row.Row, err)
	}
	return nil
}

// failStaleJobs fails, now and then, the jobs whose queueing was abandoned.
// Every importer does it: the statement is idempotent and cheap.
func (r *ImportRouter) failStaleJobs(ctx context.Context) {
	t := time.NewTicker(r.cfg.StaleCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := r.app.Commands.FailStaleImports.Handle(ctx, command.FailStaleImports{OlderThan: r.cfg.StaleAfter})
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.Error("failing abandoned import jobs", err, nil)
		case n > 0:
			r.log.Info("abandoned import jobs failed", watermill.LogFields{"jobs": n})
		}
	}
}
