// Package kafka connects the service to Apache Kafka through Watermill's
// Kafka publisher and subscriber (watermill-kafka v3 on IBM/sarama), with
// settings chosen for this service: every acknowledged message is on all
// in-sync replicas, one user's messages share a partition, and the protocol
// version is one Kafka 4.x still speaks.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// protocolVersion is the Kafka protocol the clients speak. Watermill's own
// defaults pin 1.0, whose request versions Kafka 4.0 removed (KIP-896); 2.8
// is the newest version sarama covers fully and every 3.x/4.x broker accepts.
var protocolVersion = sarama.V2_8_0_0

// defaultClientID names this service in the broker's logs and quotas.
const defaultClientID = "userservice"

// pingTimeout bounds a Ping whose context carries no deadline: a readiness
// probe must answer quickly even when the broker is a black hole.
const pingTimeout = 2 * time.Second

// Ping reports whether the brokers answer: it opens a client, refreshes the
// cluster metadata (a real request/response round trip, not just a TCP
// connect) and closes it again. It gives up at ctx's deadline, or after two
// seconds if ctx has none.
func Ping(ctx context.Context, brokers []string) error {
	if len(brokers) == 0 {
		return errors.New("kafka: no brokers configured")
	}
	timeout := pingTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return fmt.Errorf("kafka: ping: %w", context.DeadlineExceeded)
	}
	cfg := sarama.NewConfig()
	cfg.Version = protocolVersion
	cfg.ClientID = defaultClientID + "-ping"
	cfg.Net.DialTimeout = timeout
	cfg.Net.ReadTimeout = timeout
	cfg.Net.WriteTimeout = timeout
	// One attempt: a probe reports the state now; retrying is the caller's call.
	cfg.Metadata.Retry.Max = 0
	cfg.Metadata.Full = false

	// sarama's client takes no context, so it runs in its own goroutine and
	// an expired ctx answers without waiting for it; its own timeouts above
	// make sure it finishes soon after.
	done := make(chan error, 1)
	go func() { done <- ping(brokers, cfg) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("kafka: ping %v: %w", brokers, ctx.Err())
	}
}

func ping(brokers []string, cfg *sarama.Config) error {
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka: connect to %v: %w", brokers, err)
	}
	defer client.Close()
	if err := client.RefreshMetadata(); err != nil {
		return fmt.Errorf("kafka: metadata from %v: %w", brokers, err)
	}
	if len(client.Brokers()) == 0 {
		return fmt.Errorf("kafka: %v answered with no brokers", brokers)
	}
	return nil
}
