package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/eventcontract"
)

// topicPartitions is the partition count of the benchmark's topics: the
// broker's num.partitions (scripts/kafka/server.properties), which is what
// the service's own topic gets when auto-created.
const topicPartitions = 8

// producerConfig mirrors the service's Kafka publisher (adapters/kafka:
// protocol 2.8, acks from all in-sync replicas, hash partitioning by key,
// not idempotent), so the raw producers differ from the relay only in how
// they send.
func producerConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_8_0_0
	c.ClientID = "userbench"
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Retry.Max = 10
	c.Producer.Retry.Backoff = 250 * time.Millisecond
	c.Producer.Partitioner = sarama.NewHashPartitioner
	return c
}

// newTopic creates a fresh topic and registers its deletion.
func (b *bench) newTopic(prefix string) (string, error) { return b.newTopicWith(prefix, nil) }

// newTopicWith creates a fresh topic with the given topic configs (nil: the
// broker's defaults) and registers its deletion.
func (b *bench) newTopicWith(prefix string, configs map[string]*string) (string, error) {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := fmt.Sprintf("userbench.%s.%s", prefix, hex.EncodeToString(suffix[:]))
	admin, err := sarama.NewClusterAdmin(b.brokers(), producerConfig())
	if err != nil {
		return "", fmt.Errorf("kafka admin: %w", err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: topicPartitions, ReplicationFactor: 1, ConfigEntries: configs}, false); err != nil {
		return "", fmt.Errorf("create topic %s: %w", name, err)
	}
	if err := b.waitForLeaders(name); err != nil {
		return "", err
	}
	b.onClose(func(context.Context) error {
		admin, err := sarama.NewClusterAdmin(b.brokers(), producerConfig())
		if err != nil {
			return err
		}
		defer admin.Close()
		return admin.DeleteTopic(name)
	})
	return name, nil
}

// waitForLeaders waits until every partition of a new topic has a leader:
// right after creation, producing or consuming fails with "not the leader".
func (b *bench) waitForLeaders(topic string) error {
	c, err := sarama.NewClient(b.brokers(), producerConfig())
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := c.RefreshMetadata(topic)
		if err == nil {
			var parts []int32
			if parts, err = c.Partitions(topic); err == nil && len(parts) < topicPartitions {
				err = fmt.Errorf("%d of %d partitions", len(parts), topicPartitions)
			}
			for _, p := range parts {
				if _, lerr := c.Leader(topic, p); lerr != nil {
					err = lerr
				}
			}
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s has no leaders after 15s: %w", topic, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// received is one record as a consumer saw it.
type received struct {
	Key     string
	EventID string
	At      time.Time
	// Appended is the record's timestamp: on a topic with
	// message.timestamp.type=LogAppendTime (logAppendTime), when the broker
	// appended it to the partition, which with one replica is when it
	// acknowledged the produce request (to the millisecond).
	Appended time.Time
}

// topicReader consumes every partition of a topic from the start and
// remembers when each record first arrived.
type topicReader struct {
	consumer sarama.Consumer
	parts    []sarama.PartitionConsumer
	wg       sync.WaitGroup
	mu       sync.Mutex
	got      []received
	ids      map[string]bool
	tenants  map[string]bool // nil: every tenant's
}

// Only the records of the given tenants are kept (all when none is given):
// the latency probes' own, while the top-up's tens of thousands of records
// a second are passed over, so that the reader's bookkeeping (a map and a
// slice growing by a million entries, and the garbage collection of them)
// does not delay the timestamps it takes.
func (b *bench) readTopic(topic string, tenants ...string) (*topicReader, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "userbench-reader"
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	c, err := sarama.NewConsumer(b.brokers(), cfg)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	r := &topicReader{consumer: c, ids: map[string]bool{}}
	if len(tenants) > 0 {
		r.tenants = map[string]bool{}
		for _, t := range tenants {
			r.tenants[t] = true
		}
	}
	parts, err := c.Partitions(topic)
	if err != nil {
		c.Close()
		return nil, err
	}
	for _, p := range parts {
		// A partition of a topic created a moment ago may not have its
		// leader in place yet ("not the leader"): retry for a while.
		var pc sarama.PartitionConsumer
		for try := 0; ; try++ {
			if pc, err = c.ConsumePartition(topic, p, sarama.OffsetOldest); err == nil || try == 100 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			r.close()
			return nil, fmt.Errorf("consume %s/%d: %w", topic, p, err)
		}
		r.parts = append(r.parts, pc)
		r.wg.Go(func() {
			for m := range pc.Messages() {
				r.add(m)
			}
		})
	}
	return r, nil
}

func (r *topicReader) add(m *sarama.ConsumerMessage) {
	at := time.Now()
	id, tenant := "", ""
	for _, h := range m.Headers {
		switch string(h.Key) {
		case eventcontract.MetaEventID:
			id = string(h.Value)
		case eventcontract.MetaTenantID:
			tenant = string(h.Value)
		}
	}
	if r.tenants != nil && !r.tenants[tenant] {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[id] {
		return // a redelivery: at-least-once
	}
	r.ids[id] = true
	r.got = append(r.got, received{Key: string(m.Key), EventID: id, At: at, Appended: m.Timestamp})
}

// distinct is the number of distinct events read so far.
func (r *topicReader) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// waitFor waits until n distinct events arrived or timeout passed; it
// returns what arrived.
func (r *topicReader) waitFor(ctx context.Context, n int, timeout time.Duration) []received {
	deadline := time.Now().Add(timeout)
	for r.distinct() < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *topicReader) close() {
	for _, pc := range r.parts {
		pc.AsyncClose()
	}
	r.wg.Wait()
	_ = r.consumer.Close()
}

// highWaterMarks polls the sum of a topic's high-water marks (records
// acknowledged by the broker) every interval until it reaches n or timeout
// passes, and returns when it first saw records and when it saw n. Unlike a
// consumer it adds no fetch load to the broker while a sender is measured.
func (b *bench) highWaterMarks(ctx context.Context, topic string, n int64, every, timeout time.Duration) (first, last time.Time, total int64, err error) {
	seen, err := b.watchHighWaterMarks(ctx, topic, n, 0, every, timeout)
	return seen.first, seen.last, seen.total, err
}

// hwmSeen is what watchHighWaterMarks saw: when records first showed, when
// the total first reached the window (if one was asked) and when it reached
// the target, and the last total.
type hwmSeen struct {
	first, window, last time.Time
	total               int64
	// curve is every poll's total from the first record on: the drain's
	// rate over time (its warm-up).
	curve []hwmPoint
}

// note records one poll's total at now; it tells whether all n arrived.
func (seen *hwmSeen) note(now time.Time, total, n, window int64) bool {
	seen.total = total
	if total > 0 && seen.first.IsZero() {
		seen.first = now
	}
	if total > 0 {
		seen.curve = append(seen.curve, hwmPoint{at: now, total: total})
	}
	if window > 0 && total >= window && seen.window.IsZero() {
		seen.window = now
	}
	if total >= n {
		seen.last = now
		return true
	}
	return false
}

// hwmPoint is one poll: records on the topic at a time.
type hwmPoint struct {
	at    time.Time
	total int64
}

// watchHighWaterMarks is highWaterMarks that also notes when the total
// first reached window records (0: not asked). Each poll asks every
// partition's leader once for all its partitions (one ListOffsets request
// per broker), not one request per partition in turn: eight round trips
// per poll made its times up to a poll's length late under load.
func (b *bench) watchHighWaterMarks(ctx context.Context, topic string, n, window int64, every, timeout time.Duration) (seen hwmSeen, err error) {
	c, err := sarama.NewClient(b.brokers(), producerConfig())
	if err != nil {
		return seen, err
	}
	defer c.Close()
	parts, err := c.Partitions(topic)
	if err != nil {
		return seen, err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		total, err := topicHighWaterMark(c, topic, parts)
		if err != nil {
			// A fresh topic's leaders can move under a new client
			// ("not the leader"): refresh and ask again, until timeout.
			_ = c.RefreshMetadata(topic)
			time.Sleep(every)
			continue
		}
		if seen.note(time.Now(), total, n, window) {
			return seen, nil
		}
		time.Sleep(every)
	}
	return seen, fmt.Errorf("%d of %d records on %s after %s", seen.total, n, topic, timeout)
}

// topicHighWaterMark is the sum of the partitions' high-water marks, asked
// of each leader in one request.
func topicHighWaterMark(c sarama.Client, topic string, parts []int32) (int64, error) {
	reqs := map[*sarama.Broker]*sarama.OffsetRequest{}
	for _, p := range parts {
		leader, err := c.Leader(topic, p)
		if err != nil {
			return 0, err
		}
		if reqs[leader] == nil {
			reqs[leader] = &sarama.OffsetRequest{Version: 1}
		}
		reqs[leader].AddBlock(topic, p, sarama.OffsetNewest, 1)
	}
	var total int64
	for leader, req := range reqs {
		resp, err := leader.GetAvailableOffsets(req)
		if err != nil {
			return 0, err
		}
		for _, p := range parts {
			block := resp.GetBlock(topic, p)
			if block == nil {
				continue // another leader's
			}
			if block.Err != sarama.ErrNoError {
				return 0, block.Err
			}
			total += block.Offset
		}
	}
	return total, nil
}
