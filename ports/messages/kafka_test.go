package messages_test

import (
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/ports/messages"
)

// TestImportThroughKafka queues the rows on a real Kafka topic; the router
// consumes it (and the PostgreSQL queue, where a row waiting for its manager
// goes meanwhile).
func TestImportThroughKafka(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 4)
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers}, nil)
	must(t, err)
	t.Cleanup(func() { _ = pub.Close() })
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: brokers, ConsumerGroup: kafkatest.UniqueName(t, "importer")}, nil)
	must(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	h := newHarness(t, 10, options{publisher: pub, topic: topic})
	cfg := messagesConfig()
	queue, err := postgres.NewImportQueueSubscriber(newPool(t, 2), postgres.ImportQueueConfig{PollInterval: 20 * time.Millisecond}, nil)
	must(t, err)
	cfg.Sources = []messages.Source{{Name: "kafka", Subscriber: sub, Topic: topic, Consumers: 2},
		{Name: "postgres", Subscriber: queue, Topic: postgres.ImportQueueTopic, Consumers: 1}}
	h.startRouter(cfg)
	job := h.waitFinished(h.importCSV(header +
		"K1,k1@example.com,Kay,One,,,,K3,\nK2,bad,Kay,Two,,,,,\nK3,k3@example.com,Kay,Three,,,,,\n").JobID)
	if got := countsOf(job); got != (counts{total: 3, created: 2, rejected: 1}) {
		t.Fatalf("counts = %+v", got)
	}
	if u, m := h.userByExternalID("K1"), h.userByExternalID("K3"); u.ManagerID != m.ID.String() {
		t.Fatalf("K1's manager = %q, want K3", u.ManagerID)
	}
}
