package kafka

import (
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
)

// InitialOffset says where a consumer group with no committed offset starts.
type InitialOffset string

// The starting points.
const (
	// OffsetOldest reads a topic from its first retained record: a new
	// subscriber sees the history (the default).
	OffsetOldest InitialOffset = "oldest"
	// OffsetNewest reads only records published after the group joined.
	OffsetNewest InitialOffset = "newest"
)

// SubscriberConfig configures NewSubscriber.
type SubscriberConfig struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string

	// ConsumerGroup is the group whose committed offsets the subscriber
	// resumes from; instances in one group share the partitions. Required:
	// without a group nothing is committed and a restart re-reads or skips.
	ConsumerGroup string

	// InitialOffset applies when the group has no committed offset yet.
	// Default OffsetOldest.
	InitialOffset InitialOffset

	// ClientID names the consumer in the broker's logs. Default "userservice".
	ClientID string

	// NackResendSleep is the wait before a nacked message is offered again.
	// Default 100ms.
	NackResendSleep time.Duration

	// ReconnectRetrySleep is the wait between reconnect attempts after the
	// consumer lost the brokers. Default 1s.
	ReconnectRetrySleep time.Duration
}

func (c *SubscriberConfig) setDefaults() {
	if c.InitialOffset == "" {
		c.InitialOffset = OffsetOldest
	}
	if c.ClientID == "" {
		c.ClientID = defaultClientID
	}
	if c.NackResendSleep == 0 {
		c.NackResendSleep = 100 * time.Millisecond
	}
	if c.ReconnectRetrySleep == 0 {
		c.ReconnectRetrySleep = time.Second
	}
}

// Validate reports every problem of the configuration at once.
func (c SubscriberConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka subscriber: Brokers is empty"))
	}
	if c.ConsumerGroup == "" {
		errs = append(errs, errors.New("kafka subscriber: ConsumerGroup is empty"))
	}
	if c.InitialOffset != OffsetOldest && c.InitialOffset != OffsetNewest {
		errs = append(errs, fmt.Errorf("kafka subscriber: InitialOffset %q: want %q or %q",
			c.InitialOffset, OffsetOldest, OffsetNewest))
	}
	if c.NackResendSleep < 0 {
		errs = append(errs, fmt.Errorf("kafka subscriber: NackResendSleep must not be negative, got %s", c.NackResendSleep))
	}
	if c.ReconnectRetrySleep < 0 {
		errs = append(errs, fmt.Errorf("kafka subscriber: ReconnectRetrySleep must not be negative, got %s", c.ReconnectRetrySleep))
	}
	return errors.Join(errs...)
}

func (c SubscriberConfig) sarama() *sarama.Config {
	s := sarama.NewConfig()
	s.Version = protocolVersion
	s.ClientID = c.ClientID
	s.Consumer.Return.Errors = true
	s.Consumer.Offsets.Initial = sarama.OffsetOldest
	if c.InitialOffset == OffsetNewest {
		s.Consumer.Offsets.Initial = sarama.OffsetNewest
	}
	return s
}

// NewSubscriber returns a Watermill Kafka subscriber in cfg.ConsumerGroup.
// An acked message's offset is committed; a nacked one is offered again. The
// record key of a consumed message is kafka.MessageKeyFromCtx(msg.Context()).
func NewSubscriber(cfg SubscriberConfig, logger watermill.LoggerAdapter) (*kafka.Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           newKeyedMarshaler(),
		OverwriteSaramaConfig: cfg.sarama(),
		ConsumerGroup:         cfg.ConsumerGroup,
		NackResendSleep:       cfg.NackResendSleep,
		ReconnectRetrySleep:   cfg.ReconnectRetrySleep,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka subscriber on %v: %w", cfg.Brokers, err)
	}
	return sub, nil
}
