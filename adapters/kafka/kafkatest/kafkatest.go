// Package kafkatest connects tests to the real Kafka broker that
// scripts/kafka-up.sh starts. Tests isolate themselves with fresh topics and
// consumer groups instead of sharing and cleaning up fixed ones, so they can
// run in parallel against one broker.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/kafka"
)

// DefaultBrokers is where the project's scripts start the broker.
const DefaultBrokers = "127.0.0.1:9092"

// BrokerList is KAFKA_BROKERS (comma separated) or DefaultBrokers.
func BrokerList() []string {
	v := os.Getenv("KAFKA_BROKERS")
	if strings.TrimSpace(v) == "" {
		v = DefaultBrokers
	}
	var out []string
	for _, b := range strings.Split(v, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Brokers returns the brokers after checking that they answer. Without a
// reachable broker the test FAILS when CI=true (a missing service must never
// pass as a skip there) and is skipped otherwise, saying why and how to start it.
func Brokers(t testing.TB) []string {
	t.Helper()
	brokers := BrokerList()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := kafka.Ping(ctx, brokers); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Kafka is required under CI=true but unreachable at %v: %v", brokers, err)
		}
		t.Skipf("Kafka unreachable at %v (%v); run `bash scripts/kafka-up.sh` to start it "+
			"(under CI=true this fails)", brokers, err)
	}
	return brokers
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// UniqueName returns prefix, the test's name and a random suffix, in the
// characters Kafka allows in topic and group names.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 100 {
		name = name[:100]
	}
	return prefix + "." + name + "." + hex.EncodeToString(b[:])
}

// Topic creates a fresh topic with the given number of partitions and
// deletes it when the test ends. It is created up front (not left to the
// broker's auto-creation) so a subscriber can join before the first publish
// and the partition count is known.
func Topic(t testing.TB, brokers []string, partitions int32) string {
	t.Helper()
	return ReplicatedTopic(t, brokers, partitions, 1)
}

// ReplicatedTopic is Topic with each partition on that many brokers (a
// multi-broker cluster's: a partition's leader can then move).
func ReplicatedTopic(t testing.TB, brokers []string, partitions int32, replicas int16) string {
	t.Helper()
	topic := UniqueName(t, "test")
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatalf("kafka admin on %v: %v", brokers, err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replicas}, false)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	t.Cleanup(func() {
		if err := admin.DeleteTopic(topic); err != nil {
			t.Logf("delete topic %s: %v", topic, err)
		}
	})
	waitForLeaders(t, brokers, cfg, topic, partitions)
	return topic
}

// waitForLeaders returns once every partition of a new topic has a leader:
// CreateTopic returns before the broker's metadata says so, and a client
// that asks in between is told the topic does not exist.
func waitForLeaders(t testing.TB, brokers []string, cfg *sarama.Config, topic string, partitions int32) {
	t.Helper()
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatalf("kafka client on %v: %v", brokers, err)
	}
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := client.RefreshMetadata(topic)
		if err == nil {
			var parts []int32
			if parts, err = client.Partitions(topic); err == nil && int32(len(parts)) == partitions {
				ready := true
				for _, p := range parts {
					if _, lerr := client.Leader(topic, p); lerr != nil {
						ready = false
					}
				}
				if ready {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s has no leaders after 30s: %v", topic, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
