package eventtest

import (
	"encoding/json"
	"time"

	"github.com/IBM/sarama"
)

// Record is one Kafka record of the topic, as any client would read it.
type Record struct {
	Key       string
	Headers   map[string]string
	Value     []byte
	Partition int32
	Offset    int64
	// TenantID is the envelope's tenantid, "" when the value is no envelope.
	TenantID string
	// ID is the envelope's id.
	ID string
}

// EventIDs returns the ids of every event of the tenant in the event store.
func (e *Env) EventIDs() []string {
	e.T.Helper()
	rows, err := e.Pool.Query(e.Ctx, `SELECT event_id::text FROM events WHERE tenant_id = $1 ORDER BY stream_id, version`, e.Tenant)
	must(e.T, err)
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		must(e.T, rows.Scan(&id))
		ids = append(ids, id)
	}
	must(e.T, rows.Err())
	return ids
}

// Records reads the topic from its start and returns the tenant's records
// once every event of the tenant in the event store has been read at least
// once; the test fails if that takes longer than timeout.
func (e *Env) Records(timeout time.Duration) []Record {
	e.T.Helper()
	want := map[string]bool{}
	for _, id := range e.EventIDs() {
		want[id] = true
	}
	got := e.ReadTopic(timeout, func(rs []Record) bool {
		seen := map[string]bool{}
		for _, r := range rs {
			if want[r.ID] {
				seen[r.ID] = true
			}
		}
		return len(seen) == len(want)
	})
	missing := len(want)
	seen := map[string]bool{}
	for _, r := range got {
		if want[r.ID] && !seen[r.ID] {
			seen[r.ID] = true
			missing--
		}
	}
	if missing > 0 {
		e.T.Fatalf("%d of %d events of tenant %s did not reach topic %s within %s", missing, len(want), e.Tenant, e.Topic, timeout)
	}
	return got
}

// ReadTopic reads every partition from the start, keeping the tenant's
// records, until done says enough or timeout passes.
func (e *Env) ReadTopic(timeout time.Duration, done func([]Record) bool) []Record {
	e.T.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0 // see adapters/kafka: Kafka 4 dropped the default's requests
	consumer, err := sarama.NewConsumer(e.Brokers, cfg)
	must(e.T, err)
	defer consumer.Close()
	parts, err := consumer.Partitions(e.Topic)
	must(e.T, err)
	out := make(chan Record, 1024)
	stop := make(chan struct{})
	var pcs []sarama.PartitionConsumer
	defer func() {
		close(stop) // first, so no reader is stuck sending while its consumer closes
		for _, pc := range pcs {
			_ = pc.Close()
		}
	}()
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(e.Topic, p, sarama.OffsetOldest)
		must(e.T, err)
		pcs = append(pcs, pc)
		go func() {
			for m := range pc.Messages() {
				select {
				case out <- toRecord(m):
				case <-stop:
					return
				}
			}
		}()
	}
	var got []Record
	deadline := time.After(timeout)
	for !done(got) {
		select {
		case r := <-out:
			if r.TenantID == e.Tenant {
				got = append(got, r)
			}
		case <-deadline:
			return got
		}
	}
	return got
}

func toRecord(m *sarama.ConsumerMessage) Record {
	r := Record{Key: string(m.Key), Headers: map[string]string{}, Value: m.Value, Partition: m.Partition, Offset: m.Offset}
	for _, h := range m.Headers {
		r.Headers[string(h.Key)] = string(h.Value)
	}
	var env struct {
		ID       string `json:"id"`
		TenantID string `json:"tenantid"`
	}
	if json.Unmarshal(m.Value, &env) == nil {
		r.ID, r.TenantID = env.ID, env.TenantID
	}
	if len(m.Value) == 0 { // a tombstone: no envelope, its tenant in the headers
		r.TenantID = r.Headers["tenant_id"]
	}
	return r
}

// Resend publishes a copy of a record (same key, value and headers) with a
// plain producer: what a relay that crashed after publishing does.
func (e *Env) Resend(r Record) {
	e.T.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	producer, err := sarama.NewSyncProducer(e.Brokers, cfg)
	must(e.T, err)
	defer producer.Close()
	msg := &sarama.ProducerMessage{Topic: e.Topic, Key: sarama.StringEncoder(r.Key), Value: sarama.ByteEncoder(r.Value)}
	for k, v := range r.Headers {
		msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	part, _, err := producer.SendMessage(msg)
	must(e.T, err)
	if part != r.Partition {
		e.T.Fatalf("resent record went to partition %d, the original to %d", part, r.Partition)
	}
}
