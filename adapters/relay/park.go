package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/adapters/postgres"
)

// rejection is a publish error that names a message no retry can publish
// (kafka.RejectedError): too large for the topic, malformed.
type rejection interface{ RejectedMessage() string }

// rejectedUUIDs returns the messages err says were refused for good; err
// may join several errors.
func rejectedUUIDs(err error) map[string]bool {
	out := map[string]bool{}
	var walk func(error)
	walk = func(e error) {
		if r, ok := e.(rejection); ok {
			out[r.RejectedMessage()] = true
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// failedMessages returns the messages err names as not published
// (kafka.MessageError, kafka.RejectedError), and whether it names a message
// in every one of its errors: then every other message was acknowledged.
func failedMessages(err error) (map[string]bool, bool) {
	out := map[string]bool{}
	complete := true
	var walk func(error)
	walk = func(e error) {
		if f, ok := e.(interface{ FailedMessage() string }); ok {
			out[f.FailedMessage()] = true
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		default:
			complete = false // an error that names no message: it may be any
		}
	}
	walk(err)
	return out, complete
}

// publish publishes a batch, in order per key, until every message is
// either acknowledged by Kafka or parked. A message Kafka refuses for good
// is parked, and so is every later message of its key (in this batch and
// in later ones, until `usersctl outbox retry` has published them): one
// user's events wait behind it, every other user's keep flowing. Any other
// failure is retried with backoff, for ever: an event is never dropped or
// skipped because Kafka is away.
//
// parked holds the keys known to be parked; publish adds the keys it parks
// and removes those found retried meanwhile.
func (s *shardRelay) publish(ctx context.Context, parking *postgres.OutboxParking, batch []row, parked map[string]bool, b *backoff) error {
	pending := make([]*message.Message, 0, len(batch))
	for _, r := range batch {
		r.msg.SetContext(ctx)
		if k := key(r.msg); parked[k] {
			behind, err := parking.ParkBehind(ctx, s.parked(r.msg, ""))
			if err != nil {
				return err
			}
			if behind {
				s.r.metrics.parked.WithLabelValues(s.label).Inc()
				continue
			}
			delete(parked, k) // retried meanwhile: the key flows again
		}
		pending = append(pending, r.msg)
	}
	for len(pending) > 0 {
		err := s.r.publisher.Publish(s.r.cfg.KafkaTopic, pending...)
		if err == nil {
			s.r.metrics.relayed.WithLabelValues(s.label).Add(float64(len(pending)))
			b.reset()
			return nil
		}
		s.r.metrics.publishErrors.WithLabelValues(s.label).Inc()
		refused := rejectedUUIDs(err)
		if len(refused) == 0 {
			wait := b.next()
			s.r.logger.Error("kafka publish failed; retrying the batch", err, watermill.LogFields{
				"shard": s.shard, "messages": len(pending), "retry_in": wait.String()})
			sleep(ctx, wait)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		// When the publisher names every message it did not publish, the
		// others are done; otherwise what was published before the
		// refusal is published again below: a duplicate, which subscribers
		// tolerate; order per key holds.
		failed, complete := failedMessages(err)
		if complete {
			s.r.metrics.relayed.WithLabelValues(s.label).Add(float64(len(pending) - len(failed)))
		}
		next := pending[:0:0]
		for _, m := range pending {
			if complete && !failed[m.UUID] {
				continue
			}
			k := key(m)
			switch {
			case refused[m.UUID]:
				if err := parking.Park(ctx, s.parked(m, err.Error())); err != nil {
					return err
				}
				if k != "" { // unkeyed messages have no order to keep
					parked[k] = true
				}
				s.r.metrics.parked.WithLabelValues(s.label).Inc()
				s.r.logger.Error("ALERT outbox message parked: Kafka refuses it for good; its partition key's later "+
					"messages wait behind it until `usersctl outbox retry`", err, watermill.LogFields{
					"shard": s.shard, "consumer_group": s.r.cfg.ConsumerGroup, "message_uuid": m.UUID,
					"partition_key": k, "bytes": len(m.Payload)})
			case parked[k]:
				if _, err := parking.ParkBehind(ctx, s.parked(m, "")); err != nil {
					return err
				}
				s.r.metrics.parked.WithLabelValues(s.label).Inc()
			default:
				next = append(next, m)
			}
		}
		pending = next
	}
	return nil
}

func (s *shardRelay) parked(m *message.Message, reason string) postgres.ParkedMessage {
	return postgres.ParkedMessage{ConsumerGroup: s.r.cfg.ConsumerGroup, Shard: s.shard, PartitionKey: key(m),
		UUID: m.UUID, Payload: m.Payload, Metadata: m.Metadata, Reason: reason}
}

// RetryParked publishes a consumer group's parked messages again (of one
// partition key, or of all when key is ""), each key's in the order they
// were parked, and unparks each once Kafka acknowledged it. A key whose
// message is refused again stays parked from that message on; the other
// keys go on. A relay publishing meanwhile parks the key's new messages
// until the last parked one is out, so the key's order holds throughout.
// It returns the number published and every key's failure.
func RetryParked(ctx context.Context, parking *postgres.OutboxParking, pub message.Publisher, topic, group, key string) (int, error) {
	all, err := parking.List(ctx, group, key)
	if err != nil {
		return 0, err
	}
	var (
		keys []string
		seen = map[string]bool{}
	)
	for _, m := range all {
		if !seen[m.PartitionKey] {
			seen[m.PartitionKey] = true
			keys = append(keys, m.PartitionKey)
		}
	}
	published := 0
	var errs []error
	for _, k := range keys {
		n, err := retryKey(ctx, parking, pub, topic, group, k)
		published += n
		if err != nil {
			errs = append(errs, fmt.Errorf("partition key %s: %w", k, err))
		}
	}
	return published, errors.Join(errs...)
}

// retryKey publishes one key's parked messages until none is left (the
// relay may park more while it runs) or one fails.
func retryKey(ctx context.Context, parking *postgres.OutboxParking, pub message.Publisher, topic, group, key string) (int, error) {
	published := 0
	for {
		list, err := parking.List(ctx, group, key)
		if err != nil || len(list) == 0 {
			return published, err
		}
		for _, p := range list {
			m := message.NewMessage(p.UUID, p.Payload)
			m.Metadata = p.Metadata
			m.SetContext(ctx)
			if err := pub.Publish(topic, m); err != nil {
				return published, fmt.Errorf("message %s: %w", p.UUID, err)
			}
			if err := parking.Unpark(ctx, p); err != nil {
				return published, err
			}
			published++
		}
	}
}
