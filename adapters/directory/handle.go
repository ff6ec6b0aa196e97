package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

// handle projects one Kafka message. It returns an error only for a failure
// worth retrying (the database); an event that can never be applied is
// logged, counted and acknowledged, so it cannot stall its partition.
func (p *Projector) handle(msg *message.Message) error {
	if eventcontract.IsTombstone(msg.Payload) {
		// An erased user's tombstone: their row was emptied on user.erased.
		return nil
	}
	ev, err := eventcontract.DecodeOpened(msg.Payload, p.cfg.Opener)
	if err == nil {
		err = checkKeys(ev)
	}
	fields := watermill.LogFields{"message_uuid": msg.UUID, "event_id": ev.ID, "event_type": ev.Type}
	switch {
	case errors.Is(err, eventcontract.ErrUnknownType):
		// A newer producer: this build cannot project the event. Not
		// recorded as processed, so an upgraded build replaying the topic
		// in the same group name still applies it.
		p.logger.Info("directory: skipping an event type this build does not know", fields.Add(watermill.LogFields{"err": err.Error()}))
		p.done(ev, outcomeUnknownType)
		return nil
	case errors.Is(err, eventcontract.ErrOpenerUnavailable):
		// The key store (the database) did not answer: retried like a
		// failed write, never skipped.
		return fmt.Errorf("directory: %w", err)
	case err != nil:
		p.logger.Error("directory: skipping a message that is not a usable event", err, fields)
		p.done(ev, outcomePoison)
		return nil
	}
	// Shutdown does not cut a transaction short: it is either done or not
	// begun, and the timeout still bounds a hung database.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), p.cfg.HandleTimeout)
	defer cancel()
	o, gap, err := p.project(ctx, ev)
	if err != nil {
		return fmt.Errorf("directory: event %s: %w", ev.ID, err)
	}
	if gap {
		// Per-user order holds on one partition, so a gap means events were
		// lost before this consumer (topic retention, a skipped poison).
		p.logger.Error("directory: event applied over a gap in the user's stream", nil,
			fields.Add(watermill.LogFields{"user_id": ev.Subject, "stream_version": ev.StreamVersion}))
	}
	p.done(ev, o)
	return nil
}

// checkKeys rejects an event whose tenant or subject is no UUID: the
// directory's key columns would refuse it forever.
func checkKeys(ev eventcontract.Event) error {
	if _, err := user.ParseID(ev.Subject); err != nil {
		return fmt.Errorf("subject %q: %w", ev.Subject, err)
	}
	if _, err := user.ParseID(ev.TenantID); err != nil {
		return fmt.Errorf("tenantid %q: %w", ev.TenantID, err)
	}
	return nil
}

func (p *Projector) done(ev eventcontract.Event, o outcome) {
	p.metrics.events.WithLabelValues(string(o)).Inc()
	if !ev.Time.IsZero() {
		p.metrics.lag.Set(time.Since(ev.Time).Seconds())
	}
	if p.observe != nil {
		p.observe(ev, o)
	}
}
