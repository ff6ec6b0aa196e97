package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/logging"
)

func TestPingRealBroker(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := kafka.Ping(ctx, brokers); err != nil {
		t.Fatalf("Ping(%v) = %v", brokers, err)
	}
}

func TestPingClosedPortFailsFast(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := kafka.Ping(ctx, []string{"127.0.0.1:1"})
	if err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Ping took %s, want at most the 2s deadline", took)
	}
	if err := kafka.Ping(context.Background(), nil); err == nil {
		t.Error("Ping with no brokers succeeded")
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := kafka.NewPublisher(kafka.PublisherConfig{MaxRetries: -1}, nil)
	for _, want := range []string{"Brokers", "MaxRetries"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("publisher error %v does not name %s", err, want)
		}
	}
	_, err = kafka.NewSubscriber(kafka.SubscriberConfig{InitialOffset: "middle"}, nil)
	for _, want := range []string{"Brokers", "ConsumerGroup", "InitialOffset"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("subscriber error %v does not name %s", err, want)
		}
	}
}

// TestPublishSubscribeRoundTrip sends messages through each of our
// publishers to a fresh topic on the real broker and reads them back through
// our subscriber: same keys, headers, partitioning and per-key order.
func TestPublishSubscribeRoundTrip(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func([]string, watermill.LoggerAdapter) (message.Publisher, error){
		"watermill-kafka": func(b []string, l watermill.LoggerAdapter) (message.Publisher, error) {
			return kafka.NewPublisher(kafka.PublisherConfig{Brokers: b}, l)
		},
		"ordered": func(b []string, l watermill.LoggerAdapter) (message.Publisher, error) {
			return kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: b}, l)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testRoundTrip(t, open)
		})
	}
}

func testRoundTrip(t *testing.T, open func([]string, watermill.LoggerAdapter) (message.Publisher, error)) {
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 4)
	logger := logging.NewWatermill(zaptest.NewLogger(t))

	pub, err := open(brokers, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:       brokers,
		ConsumerGroup: kafkatest.UniqueName(t, "group"),
		InitialOffset: kafka.OffsetOldest,
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}

	// Several messages of one user (same key) and one without a key.
	const userID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	var sent []*message.Message
	for i := 0; i < 5; i++ {
		m := message.NewMessage(uuid.NewString(), []byte(`{"n":`+string(rune('0'+i))+`}`))
		m.Metadata.Set(kafka.PartitionKeyMetadata, userID)
		m.Metadata.Set("ce_type", "user.updated.v1")
		sent = append(sent, m)
	}
	unkeyed := message.NewMessage(uuid.NewString(), []byte(`{"unkeyed":true}`))
	unkeyed.Metadata.Set("ce_type", "tenant.noted.v1")
	sent = append(sent, unkeyed)
	if err := pub.Publish(topic, sent...); err != nil {
		t.Fatalf("publish: %v", err)
	}

	got := map[string]*message.Message{}
	var keyedOrder []string
	keyedPartition := int32(-1)
	for len(got) < len(sent) {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("subscription closed early")
			}
			m.Ack()
			got[m.UUID] = m
			key, _ := wkafka.MessageKeyFromCtx(m.Context())
			part, _ := wkafka.MessagePartitionFromCtx(m.Context())
			if m.UUID == unkeyed.UUID {
				if len(key) != 0 {
					t.Errorf("unkeyed message has key %q", key)
				}
				continue
			}
			if string(key) != userID {
				t.Errorf("message %s key = %q, want %q", m.UUID, key, userID)
			}
			if keyedPartition >= 0 && part != keyedPartition {
				t.Errorf("same key on partitions %d and %d", keyedPartition, part)
			}
			keyedPartition = part
			keyedOrder = append(keyedOrder, m.UUID)
		case <-ctx.Done():
			t.Fatalf("received %d of %d messages before timeout", len(got), len(sent))
		}
	}
	for i, s := range sent {
		r := got[s.UUID]
		if r == nil {
			t.Fatalf("message %s not received", s.UUID)
		}
		if string(r.Payload) != string(s.Payload) {
			t.Errorf("payload = %s, want %s", r.Payload, s.Payload)
		}
		for k, v := range s.Metadata {
			if r.Metadata.Get(k) != v {
				t.Errorf("metadata %s = %q, want %q", k, r.Metadata.Get(k), v)
			}
		}
		if i < 5 && keyedOrder[i] != s.UUID {
			t.Errorf("keyed message %d out of order: got %s, want %s", i, keyedOrder[i], s.UUID)
		}
	}
}

// TestEnsureTopicSetsAndChecksTheMessageSizeLimit: a new topic admits what
// the producer sends; a producer limit above an existing topic's is refused
// as ErrTopicTooSmall, and an oversize message is a RejectedError naming it.
func TestEnsureTopicSetsAndChecksTheMessageSizeLimit(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topic := kafkatest.UniqueName(t, "limit")
	if err := kafka.EnsureTopic(ctx, brokers, topic, 0); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := kafka.EnsureTopic(ctx, brokers, topic, 0); err != nil {
		t.Fatalf("check of a topic that admits the default: %v", err)
	}
	if err := kafka.EnsureTopic(ctx, brokers, topic, 2*kafka.MaxMessageBytes); !errors.Is(err, kafka.ErrTopicTooSmall) {
		t.Fatalf("check with a larger producer limit = %v, want ErrTopicTooSmall", err)
	}
	sync, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sync.Close()
	ordered, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: brokers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ordered.Close()
	for _, pub := range []message.Publisher{sync, ordered} {
		big := message.NewMessage(uuid.NewString(), make([]byte, kafka.MaxMessageBytes+1))
		small := message.NewMessage(uuid.NewString(), []byte("{}"))
		var rej *kafka.RejectedError
		err := pub.Publish(topic, small, big)
		if !errors.As(err, &rej) || rej.UUID != big.UUID {
			t.Fatalf("%T: oversize publish = %v, want a RejectedError for %s", pub, err, big.UUID)
		}
	}
}
