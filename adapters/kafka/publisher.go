package kafka

import (
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// PublisherConfig configures NewPublisher.
type PublisherConfig struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string

	// ClientID names the producer in the broker's logs. Default "userservice".
	ClientID string

	// MaxRetries is how often a failed send is retried before Publish returns
	// the error. Default 10.
	MaxRetries int

	// RetryBackoff is the wait between retries. Default 250ms.
	RetryBackoff time.Duration

	// MaxMessageBytes is the largest record sent; a larger message fails
	// with a RejectedError. The topic must admit it: EnsureTopic with the
	// same value. Default MaxMessageBytes.
	MaxMessageBytes int
}

func (c *PublisherConfig) setDefaults() {
	if c.ClientID == "" {
		c.ClientID = defaultClientID
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 10
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 250 * time.Millisecond
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = MaxMessageBytes
	}
}

// Validate reports every problem of the configuration at once.
func (c PublisherConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka publisher: Brokers is empty"))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("kafka publisher: MaxRetries must not be negative, got %d", c.MaxRetries))
	}
	if c.RetryBackoff < 0 {
		errs = append(errs, fmt.Errorf("kafka publisher: RetryBackoff must not be negative, got %s", c.RetryBackoff))
	}
	if c.MaxMessageBytes < 0 {
		errs = append(errs, fmt.Errorf("kafka publisher: MaxMessageBytes must not be negative, got %d", c.MaxMessageBytes))
	}
	return errors.Join(errs...)
}

func (c PublisherConfig) sarama() *sarama.Config {
	s := sarama.NewConfig()
	s.Version = protocolVersion
	s.ClientID = c.ClientID
	// An event the relay hands over is only "published" once every in-sync
	// replica has it; otherwise a broker crash could lose an event whose
	// outbox row was already marked done.
	s.Producer.RequiredAcks = sarama.WaitForAll
	s.Producer.Return.Successes = true // the sync producer needs it
	s.Producer.Return.Errors = true
	s.Producer.Retry.Max = c.MaxRetries
	s.Producer.Retry.Backoff = c.RetryBackoff
	// Not idempotent: retries may duplicate a record, which subscribers
	// tolerate anyway (delivery is at-least-once; they de-duplicate by event
	// id), and it spares the extra producer-id round trips.
	s.Producer.Idempotent = false
	// Keyed records go to partition hash(key): one user's events, one partition.
	s.Producer.Partitioner = sarama.NewHashPartitioner
	s.Metadata.Retry.Backoff = c.RetryBackoff
	// Explicit, and admitted by the topic (see MaxMessageBytes): a larger
	// message is refused here, before it is sent, as a RejectedError.
	s.Producer.MaxMessageBytes = c.MaxMessageBytes
	return s
}

// NewPublisher returns a synchronous Watermill Kafka publisher: Publish
// returns once the brokers acknowledged every message. Messages carrying
// PartitionKeyMetadata are keyed (and so partitioned) by its value. A
// message refused for good (larger than MaxMessageBytes, say) fails Publish
// with a *RejectedError naming it.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (message.Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{
		Brokers:               cfg.Brokers,
		Marshaler:             newKeyedMarshaler(),
		OverwriteSaramaConfig: cfg.sarama(),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka publisher on %v: %w", cfg.Brokers, err)
	}
	return rejectingPublisher{next: pub}, nil
}
