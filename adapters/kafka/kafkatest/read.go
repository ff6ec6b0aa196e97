package kafkatest

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// Read consumes every partition of topic from the oldest record until done
// reports that what was read suffices, or timeout passes; it returns what it
// read either way, and the caller asserts on it.
func Read(t testing.TB, brokers []string, topic string, timeout time.Duration, done func([]*sarama.ConsumerMessage) bool) []*sarama.ConsumerMessage {
	t.Helper()
	out := make(chan *sarama.ConsumerMessage, 1024)
	consumer, pcs := consumeAll(t, brokers, topic, out)
	defer consumer.Close()
	for _, pc := range pcs {
		defer pc.Close()
	}
	var got []*sarama.ConsumerMessage
	deadline := time.After(timeout)
	for !done(got) {
		select {
		case m := <-out:
			got = append(got, m)
		case <-deadline:
			return got
		}
	}
	return got
}

// consumeAll starts a consumer of every partition of topic from the oldest
// record, feeding out. Right after a broker restart the metadata can be stale
// ("not the leader"), so it retries for up to 30 s before failing the test.
func consumeAll(t testing.TB, brokers []string, topic string, out chan<- *sarama.ConsumerMessage) (sarama.Consumer, []sarama.PartitionConsumer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		consumer, pcs, err := tryConsumeAll(brokers, topic, out)
		if err == nil {
			return consumer, pcs
		}
		if time.Now().After(deadline) {
			t.Fatalf("consume %s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tryConsumeAll(brokers []string, topic string, out chan<- *sarama.ConsumerMessage) (sarama.Consumer, []sarama.PartitionConsumer, error) {
	consumer, err := sarama.NewConsumer(brokers, sarama.NewConfig())
	if err != nil {
		return nil, nil, err
	}
	parts, err := consumer.Partitions(topic)
	if err != nil {
		consumer.Close()
		return nil, nil, err
	}
	var pcs []sarama.PartitionConsumer
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			for _, c := range pcs {
				c.Close()
			}
			consumer.Close()
			return nil, nil, err
		}
		pcs = append(pcs, pc)
		go func() {
			for m := range pc.Messages() {
				out <- m
			}
		}()
	}
	return consumer, pcs, nil
}
