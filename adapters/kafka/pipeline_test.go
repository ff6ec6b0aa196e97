package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
)

// Records queued on lanes without waiting reach the topic, each key's in
// queue order, and Flush returns only once the brokers have all of them.
func TestPipelinedLanesDeliverEveryRecordInKeyOrder(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 4)
	pub, err := kafka.NewPipelinedPublisher(kafka.PublisherConfig{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const keys, perKey = 20, 25
	lanes := []*kafka.Lane{pub.Lane("a"), pub.Lane("b")}
	for i := range perKey {
		for k := range keys {
			msg := message.NewMessage(uuid.NewString(), []byte(strconv.Itoa(i)))
			msg.Metadata.Set(kafka.PartitionKeyMetadata, fmt.Sprintf("key-%d", k))
			if err := lanes[k%2].Publish(topic, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, l := range lanes {
		if err := l.Flush(context.Background(), time.Minute); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
	// Everything flushed is on the topic already: read without waiting for more.
	got := kafkatest.Read(t, brokers, topic, 30*time.Second, func(m []*sarama.ConsumerMessage) bool { return len(m) >= keys*perKey })
	if len(got) != keys*perKey {
		t.Fatalf("read %d records, want %d", len(got), keys*perKey)
	}
	next := map[string]int{}
	for _, m := range got {
		k, n := string(m.Key), string(m.Value)
		if want := strconv.Itoa(next[k]); n != want {
			t.Fatalf("key %s: record %s arrived where %s was due", k, n, want)
		}
		next[k]++
	}
}

// A refused record fails the lane's Flush, and the lane refuses further
// records until the caller begins again from its last flushed position.
func TestPipelinedLaneReportsAFailureOnceAndRefusesUntilBegin(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 1)
	pub, err := kafka.NewPipelinedPublisher(kafka.PublisherConfig{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	lane := pub.Lane("shard")
	tooLarge := message.NewMessage(uuid.NewString(), []byte(strings.Repeat("x", 2<<20))) // over the 1 MiB limit
	if err := lane.Publish(topic, tooLarge); err != nil {
		t.Fatalf("queueing does not wait for the answer, got %v", err)
	}
	if err := lane.Flush(context.Background(), time.Minute); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("flush after a refused record = %v, want the refusal", err)
	}
	if err := lane.Flush(context.Background(), time.Minute); err != nil {
		t.Fatalf("a second flush = %v, want the failure reported once", err)
	}
	// The failure is reported once; a failure after that refuses new records.
	if err := lane.Publish(topic, tooLarge); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := lane.Publish(topic, message.NewMessage(uuid.NewString(), []byte("after")))
		if errors.Is(err, kafka.ErrLaneFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lane kept taking records after one failed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lane.Begin()
	ok := message.NewMessage(uuid.NewString(), []byte("fine"))
	if err := lane.Publish(topic, ok); err != nil {
		t.Fatalf("publish after Begin: %v", err)
	}
	// Flush sees the records still in flight; the refused one may be among
	// them (its answer can come after Begin), so only success is asserted
	// for the direct, synchronous Publish below.
	_ = lane.Flush(context.Background(), time.Minute)
	if err := pub.Publish(topic, message.NewMessage(uuid.NewString(), []byte("direct"))); err != nil {
		t.Fatalf("direct publish: %v", err)
	}
}
