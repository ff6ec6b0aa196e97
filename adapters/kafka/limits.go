package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
)

// MaxMessageBytes is the default largest record (key, value and headers)
// the producer sends (PublisherConfig.MaxMessageBytes). It is set
// explicitly, not left to the client's default, and the events topic is
// created with a limit that admits it (TopicMaxMessageBytes): a record the
// producer accepts is never refused by the broker for its size, and a
// larger one is refused by the producer before it is sent, as a
// RejectedError.
const MaxMessageBytes = 1_000_000

// batchFraming is room for the record batch's header (61 bytes) and one
// record's framing, so a batch of one maximal record fits the topic.
const batchFraming = 512

// TopicMaxMessageBytes is the topic max.message.bytes (the largest record
// batch the broker accepts) that admits records of up to maxMessageBytes
// (0: MaxMessageBytes).
func TopicMaxMessageBytes(maxMessageBytes int) int {
	if maxMessageBytes <= 0 {
		maxMessageBytes = MaxMessageBytes
	}
	return maxMessageBytes + batchFraming
}

// ErrTopicTooSmall: the topic's max.message.bytes is below what the
// producer sends; a configuration error to fix, not a broker outage.
var ErrTopicTooSmall = errors.New("topic max.message.bytes below the producer's limit")

// RejectedError reports a message that no retry can publish: the producer
// or the broker refuses it for what it is (too large, malformed), not for
// the state of the cluster. The relay parks such a message instead of
// retrying it for ever.
type RejectedError struct {
	// UUID is the Watermill message refused.
	UUID string
	Err  error
}

func (e *RejectedError) Error() string { return fmt.Sprintf("message %s refused: %v", e.UUID, e.Err) }

func (e *RejectedError) Unwrap() error { return e.Err }

// RejectedMessage returns the refused message's UUID (the relay finds the
// error through this method, without importing this package).
func (e *RejectedError) RejectedMessage() string { return e.UUID }

// FailedMessage returns the UUID of the message that was not published.
func (e *RejectedError) FailedMessage() string { return e.UUID }

// MessageError is a message that was not published, for a reason a retry
// may cure. OrderedPublisher reports every unpublished message as a
// MessageError or a RejectedError, so a caller knows that the others were
// acknowledged.
type MessageError struct {
	UUID string
	Err  error
}

func (e *MessageError) Error() string { return fmt.Sprintf("message %s: %v", e.UUID, e.Err) }

func (e *MessageError) Unwrap() error { return e.Err }

// FailedMessage returns the UUID of the message that was not published.
func (e *MessageError) FailedMessage() string { return e.UUID }

// rejected reports whether err is one no retry can cure.
func rejected(err error) bool {
	var cfgErr sarama.ConfigurationError // sarama's local size check
	if errors.As(err, &cfgErr) {
		return true
	}
	for _, k := range []sarama.KError{sarama.ErrMessageSizeTooLarge, sarama.ErrInvalidMessage,
		sarama.ErrInvalidMessageSize, sarama.ErrInvalidRecord} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// rejectingPublisher publishes one message at a time through next and turns
// a refusal of a message into a RejectedError naming it.
type rejectingPublisher struct {
	next message.Publisher
}

func (p rejectingPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		if err := p.next.Publish(topic, m); err != nil {
			if rejected(err) {
				return &RejectedError{UUID: m.UUID, Err: err}
			}
			return err
		}
	}
	return nil
}

func (p rejectingPublisher) Close() error { return p.next.Close() }

// EnsureTopic creates the events topic if it does not exist, with the
// max.message.bytes that admits records of up to maxMessageBytes (0:
// MaxMessageBytes, the producer's default) and the broker's default
// partition count, and otherwise checks that the topic admits them: a topic
// that accepts less would refuse records the producer lets through, one by
// one, as they come.
func EnsureTopic(ctx context.Context, brokers []string, topic string, maxMessageBytes int) error {
	cfg := sarama.NewConfig()
	cfg.Version = protocolVersion
	cfg.ClientID = defaultClientID + "-admin"
	done := make(chan error, 1)
	go func() { done <- ensureTopic(ctx, brokers, topic, cfg, TopicMaxMessageBytes(maxMessageBytes)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("kafka: ensure topic %s: %w", topic, ctx.Err())
	}
}

func ensureTopic(ctx context.Context, brokers []string, topic string, cfg *sarama.Config, want int) error {
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka admin on %v: %w", brokers, err)
	}
	defer admin.Close()
	limit := strconv.Itoa(want)
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1,
		ConfigEntries: map[string]*string{"max.message.bytes": &limit}}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("kafka: create topic %s: %w", topic, err)
	}
	// Created here or by another process a moment ago, the topic may not be
	// in the metadata of the broker asked yet (UNKNOWN_TOPIC_OR_PARTITION
	// right after CreateTopics): ask again until it is, or ctx ends. A topic
	// this call created is checked too, so it returns once the topic is
	// visible, not before.
	entries, err := describeTopicLimit(ctx, admin, topic)
	if err != nil {
		return fmt.Errorf("kafka: describe topic %s: %w", topic, err)
	}
	for _, e := range entries {
		if e.Name != "max.message.bytes" {
			continue
		}
		n, err := strconv.Atoi(e.Value)
		if err != nil {
			return fmt.Errorf("kafka: topic %s: max.message.bytes %q: %w", topic, e.Value, err)
		}
		if n < want {
			return fmt.Errorf("kafka: topic %s accepts record batches up to %d bytes (max.message.bytes), "+
				"but the producer sends records up to %d: set the topic's max.message.bytes to %d: %w",
				topic, n, want-batchFraming, want, ErrTopicTooSmall)
		}
	}
	return nil
}

// topicVisibleWait is the pause between two asks for a topic's configuration
// that the broker does not know yet.
const topicVisibleWait = 100 * time.Millisecond

// describeTopicLimit returns topic's max.message.bytes entry, asking again
// while the broker answers that the topic does not exist (yet).
func describeTopicLimit(ctx context.Context, admin sarama.ClusterAdmin, topic string) ([]sarama.ConfigEntry, error) {
	for {
		//lint:ignore SA1019 DescribeConfigs changes the call and its errors; move with the relay's owner, not in a lint pass
		entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic,
			ConfigNames: []string{"max.message.bytes"}})
		if err == nil || !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			return entries, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (still unknown when %w)", err, ctx.Err())
		case <-time.After(topicVisibleWait):
		}
	}
}
