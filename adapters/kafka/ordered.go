package kafka

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// OrderedPublisherConfig configures NewOrderedPublisher.
type OrderedPublisherConfig struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string

	// ClientID names the producer in the broker's logs. Default "userservice".
	ClientID string

	// MaxMessageBytes is the largest record sent; a larger message fails
	// with a RejectedError before it is sent. The topic must admit it
	// (EnsureTopic with the same value). Default MaxMessageBytes.
	MaxMessageBytes int

	// DeliveryTimeout bounds one Publish: records not acknowledged by then
	// fail it (the relay publishes the batch again). Retries within it are
	// the client's, in order. Default 30s.
	DeliveryTimeout time.Duration

	// Linger is how long a partition's batch waits for more records before
	// it is sent. Default 0: a batch goes as soon as a request slot is free,
	// and records arriving meanwhile join the next one.
	Linger time.Duration
}

func (c *OrderedPublisherConfig) setDefaults() {
	if c.ClientID == "" {
		c.ClientID = defaultClientID
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = MaxMessageBytes
	}
	if c.DeliveryTimeout == 0 {
		c.DeliveryTimeout = 30 * time.Second
	}
}

// Validate reports every problem of the configuration at once.
func (c OrderedPublisherConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka ordered publisher: Brokers is empty"))
	}
	if c.MaxMessageBytes < 0 || c.MaxMessageBytes > 1<<30-batchFraming {
		errs = append(errs, fmt.Errorf("kafka ordered publisher: MaxMessageBytes %d: want 1..%d", c.MaxMessageBytes, 1<<30-batchFraming))
	}
	if c.DeliveryTimeout < 0 || c.Linger < 0 {
		errs = append(errs, errors.New("kafka ordered publisher: DeliveryTimeout and Linger must not be negative"))
	}
	return errors.Join(errs...)
}

// OrderedPublisher is a Watermill publisher that sends all the messages of
// one Publish call at once, many records in flight, and returns when Kafka
// acknowledged every one (acks=all). It is franz-go's idempotent producer:
// the broker de-duplicates retried batches by producer id and sequence
// number and refuses a batch out of sequence, so with up to 5 requests in
// flight per broker the records of one partition are written in the order
// they were produced, across retries, broker restarts and leader changes.
// (sarama's async producer, tried first, delivered a user's version 2
// before version 1 across a broker restart.) Records are keyed and
// partitioned as the watermill-kafka publisher does (sarama's hash of
// PartitionKeyMetadata), with the same headers, so consumers and partition
// placement do not change.
type OrderedPublisher struct {
	client   *kgo.Client
	maxBytes int
	timeout  time.Duration
	logger   watermill.LoggerAdapter
}

// NewOrderedPublisher returns an OrderedPublisher.
func NewOrderedPublisher(cfg OrderedPublisherConfig, logger watermill.LoggerAdapter) (*OrderedPublisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	client, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.RequiredAcks(kgo.AllISRAcks()), // the idempotent producer's default, said out loud
		kgo.ProducerBatchMaxBytes(int32(TopicMaxMessageBytes(cfg.MaxMessageBytes))),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(cfg.Linger),
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))),
		kgo.AllowAutoTopicCreation(),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka ordered publisher on %v: %w", cfg.Brokers, err)
	}
	return &OrderedPublisher{client: client, maxBytes: cfg.MaxMessageBytes, timeout: cfg.DeliveryTimeout, logger: logger}, nil
}

// fnv32a is sarama's default key hash.
func fnv32a(b []byte) uint32 {
	h := fnv.New32a()
	_, _ = h.Write(b)
	return h.Sum32()
}

// Publish implements message.Publisher: it returns nil once every message
// is acknowledged, else the errors of the failed ones joined, each a
// *MessageError naming its message, or a *RejectedError for a message
// refused for good: every message not named was acknowledged. Publish returns only when
// every record has succeeded or failed, so nothing of the call is still in
// flight when it returns. A message over MaxMessageBytes is refused before
// anything is sent, and the later messages of its key in the call are not
// sent. (The broker refusing a record the producer let through, which the
// agreeing limits rule out for size, fails that record only: later records
// of its key already in flight may still be written.)
func (p *OrderedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	// A refused message's later messages of the same key are not sent:
	// they would overtake it.
	blocked := map[string]string{}
	for _, m := range msgs {
		rec, size := record(topic, m)
		k := string(rec.Key)
		if first, ok := blocked[k]; ok {
			fail(&MessageError{UUID: m.UUID, Err: fmt.Errorf("not sent: it follows message %s of its key, which was refused", first)})
			continue
		}
		if size > p.maxBytes {
			fail(&RejectedError{UUID: m.UUID, Err: fmt.Errorf("%d bytes, over the producer's MaxMessageBytes %d: %w", size, p.maxBytes, kerr.MessageTooLarge)})
			if k != "" {
				blocked[k] = m.UUID
			}
			continue
		}
		wg.Add(1)
		p.client.Produce(m.Context(), rec, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err == nil {
				return
			}
			if refused(err) {
				err = &RejectedError{UUID: m.UUID, Err: err}
			} else {
				err = &MessageError{UUID: m.UUID, Err: err}
			}
			fail(err)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// refused reports whether the broker refused a record for what it is.
func refused(err error) bool {
	for _, k := range []error{kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.CorruptMessage} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// record is the Kafka record of a message and its size as the producer's
// limit counts it (key, value and headers).
func record(topic string, m *message.Message) (*kgo.Record, int) {
	rec := &kgo.Record{Topic: topic, Value: m.Payload}
	if m.Metadata.Get(TombstoneMetadata) == "true" {
		rec.Value = nil // an erased user's tombstone (postgres.TombstoneMessage)
	}
	size := len(rec.Value)
	if k := m.Metadata.Get(PartitionKeyMetadata); k != "" {
		rec.Key = []byte(k) // unkeyed records spread over the partitions
		size += len(k)
	}
	rec.Headers = make([]kgo.RecordHeader, 0, len(m.Metadata)+1)
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: wkafka.UUIDHeaderKey, Value: []byte(m.UUID)})
	size += len(wkafka.UUIDHeaderKey) + len(m.UUID)
	for k, v := range m.Metadata {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		size += len(k) + len(v)
	}
	return rec, size
}

// Ping checks that the brokers answer.
func (p *OrderedPublisher) Ping(ctx context.Context) error { return p.client.Ping(ctx) }

// Close flushes nothing (Publish already waited) and closes the client.
func (p *OrderedPublisher) Close() error {
	p.client.Close()
	return nil
}
