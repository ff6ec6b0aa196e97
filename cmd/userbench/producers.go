package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/postgres"
)

// watermillUUIDHeader is the header watermill-kafka's marshaler adds to
// every record; the raw producers add it too, so the records are identical.
const watermillUUIDHeader = "_watermill_message_uuid"

// producerRun is one raw producer's pass over the backlog.
type producerRun struct {
	Name    string
	N       int
	Elapsed time.Duration // first send to last acknowledgement
	Use     cpuUse
	Err     error
}

// PerSecond is the acknowledged rate.
func (r producerRun) PerSecond() float64 {
	if r.Elapsed <= 0 || r.Err != nil {
		return 0
	}
	return float64(r.N) / r.Elapsed.Seconds()
}

func producerMessage(topic string, m outboxMsg) *sarama.ProducerMessage {
	headers := make([]sarama.RecordHeader, 0, len(m.Metadata)+1)
	headers = append(headers, sarama.RecordHeader{Key: []byte(watermillUUIDHeader), Value: []byte(m.UUID)})
	for k, v := range m.Metadata {
		headers = append(headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	return &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload), Headers: headers}
}

// connectedClient is a client with the topic's metadata already fetched,
// so no run pays for the first metadata round trip.
func (b *bench) connectedClient(topic string) (sarama.Client, error) {
	c, err := sarama.NewClient(b.brokers(), producerConfig())
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	if err := c.RefreshMetadata(topic); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// rawSync sends msgs with a sarama SyncProducer, one message per call and
// waiting for each acknowledgement, like the relay's Kafka publisher does.
// With perShard, one goroutine per outbox shard sends that shard's messages
// (the relay's parallelism); otherwise one goroutine sends them all.
func (b *bench) rawSync(topic string, msgs []outboxMsg, perShard bool) producerRun {
	name := "raw SyncProducer, 1 goroutine, one message per send"
	if perShard {
		name = fmt.Sprintf("raw SyncProducer, %d goroutines (one per shard)", postgres.OutboxShards)
	}
	run := producerRun{Name: name, N: len(msgs)}
	client, err := b.connectedClient(topic)
	if err != nil {
		run.Err = err
		return run
	}
	defer client.Close()
	p, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		run.Err = err
		return run
	}
	defer p.Close()
	groups := [][]outboxMsg{msgs}
	if perShard {
		groups = make([][]outboxMsg, postgres.OutboxShards)
		for _, m := range msgs {
			groups[m.Shard] = append(groups[m.Shard], m)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := time.Now()
	for _, g := range groups {
		wg.Go(func() {
			for _, m := range g {
				if _, _, err := p.SendMessage(producerMessage(topic, m)); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	run.Elapsed = time.Since(start)
	if len(errs) > 0 {
		run.Err = errs[0]
	}
	return run
}

// rawAsync sends msgs with a sarama AsyncProducer at its default batching
// (whatever accumulates while a request is in flight goes in the next one).
func (b *bench) rawAsync(ctx context.Context, topic string, msgs []outboxMsg) producerRun {
	run := producerRun{Name: "raw AsyncProducer, batched (reference)", N: len(msgs)}
	client, err := b.connectedClient(topic)
	if err != nil {
		run.Err = err
		return run
	}
	defer client.Close()
	p, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		run.Err = err
		return run
	}
	defer p.Close()
	start := time.Now()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for _, m := range msgs {
			select {
			case p.Input() <- producerMessage(topic, m):
			case <-done:
				return
			}
		}
	}()
	timeout := time.After(5 * time.Minute)
	for acked := 0; acked < len(msgs); {
		select {
		case <-p.Successes():
			acked++
		case perr := <-p.Errors():
			run.Err = perr.Err
			return run
		case <-timeout:
			run.Err = fmt.Errorf("only %d of %d acknowledged in 5m", acked, len(msgs))
			return run
		case <-ctx.Done():
			run.Err = ctx.Err()
			return run
		}
	}
	run.Elapsed = time.Since(start)
	return run
}
