package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
)

// PipelinedPublisher sends records without waiting for each one's
// acknowledgement and tells, per lane, when everything handed to it has been
// acknowledged: Publish returns once a record is queued, Flush once the
// brokers acknowledged (or refused) every record the lane queued before it.
//
// The relay publishes a whole outbox batch this way and flushes before it
// acknowledges the batch's offset, so a batch costs one broker round trip
// instead of one per event, and nothing is acknowledged that Kafka does not
// have. One connection in flight per broker (Net.MaxOpenRequests = 1) keeps
// sarama's per-partition order through retries, so records reach a
// partition in the order they were queued: per-user order holds.
type PipelinedPublisher struct {
	producer  sarama.AsyncProducer
	marshaler keyedMarshaler
	done      chan struct{}

	mu     sync.Mutex
	lanes  map[string]*Lane
	direct sync.Mutex // serialises Publish
}

// NewPipelinedPublisher starts an asynchronous producer with cfg's settings
// (acks from all in-sync replicas, retries, keyed partitioning).
func NewPipelinedPublisher(cfg PublisherConfig) (*PipelinedPublisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := cfg.sarama()
	s.Net.MaxOpenRequests = 1
	// Batch what is queued while a request is in flight, send at once when idle.
	s.Producer.Flush.Frequency = 0
	s.Producer.Flush.Messages = 0
	producer, err := sarama.NewAsyncProducer(cfg.Brokers, s)
	if err != nil {
		return nil, fmt.Errorf("kafka producer on %v: %w", cfg.Brokers, err)
	}
	p := &PipelinedPublisher{producer: producer, marshaler: newKeyedMarshaler(),
		done: make(chan struct{}), lanes: map[string]*Lane{}}
	go p.collect()
	return p, nil
}

// Lane returns the lane of that name (created on first use). Lanes flush
// independently: the relay uses one per outbox shard.
func (p *PipelinedPublisher) Lane(name string) *Lane {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.lanes[name]
	if !ok {
		l = &Lane{p: p, idle: make(chan struct{})}
		close(l.idle)
		p.lanes[name] = l
	}
	return l
}

// Publish sends the records and waits for their acknowledgement (up to a
// minute), through a lane of its own: used directly, the publisher is an
// ordinary synchronous Watermill publisher.
func (p *PipelinedPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.direct.Lock()
	defer p.direct.Unlock() // one direct Publish at a time: its Flush must see only its records
	l := p.Lane("")
	l.Begin()
	if err := l.Publish(topic, msgs...); err != nil {
		return err
	}
	return l.Flush(context.Background(), time.Minute)
}

// Close sends what is queued, waits for the answers and stops the producer.
func (p *PipelinedPublisher) Close() error {
	p.producer.AsyncClose()
	<-p.done
	return nil
}

// collect settles every answer of the brokers with the lane that queued it.
func (p *PipelinedPublisher) collect() {
	defer close(p.done)
	successes, errs := p.producer.Successes(), p.producer.Errors()
	for successes != nil || errs != nil {
		select {
		case m, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			m.Metadata.(*Lane).settle(nil)
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			e.Msg.Metadata.(*Lane).settle(e.Err)
		}
	}
}

// ErrLaneFailed refuses records after one of the lane's records failed, until
// a Flush reported it or Begin started over: the caller must go back and send
// from the failed one.
var ErrLaneFailed = errors.New("kafka: an earlier record of this lane failed")

// Lane is one sequence of records whose acknowledgements are awaited
// together. It is a Watermill publisher.
type Lane struct {
	p *PipelinedPublisher

	mu       sync.Mutex
	inflight int
	failed   error
	idle     chan struct{} // closed while nothing is in flight
}

// Publish queues the records (keyed by PartitionKeyMetadata) and returns
// without waiting for the brokers.
func (l *Lane) Publish(topic string, msgs ...*message.Message) error {
	recs := make([]*sarama.ProducerMessage, 0, len(msgs))
	for _, msg := range msgs {
		rec, err := l.p.marshaler.Marshal(topic, msg)
		if err != nil {
			return fmt.Errorf("marshal message %s: %w", msg.UUID, err)
		}
		rec.Metadata = l
		recs = append(recs, rec)
	}
	l.mu.Lock()
	if l.failed != nil {
		err := l.failed
		l.mu.Unlock()
		return fmt.Errorf("%w: %w", ErrLaneFailed, err)
	}
	if l.inflight == 0 {
		l.idle = make(chan struct{})
	}
	l.inflight += len(recs)
	l.mu.Unlock()
	for _, rec := range recs {
		l.p.producer.Input() <- rec
	}
	return nil
}

// Flush waits until every record queued before it is acknowledged, and
// returns the first failure since the last Flush (then forgets it). It gives
// up after timeout, or when ctx ends, with an error: what is still in flight
// may yet arrive, so the caller sends it again (at-least-once).
func (l *Lane) Flush(ctx context.Context, timeout time.Duration) error {
	l.mu.Lock()
	idle := l.idle
	l.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-ctx.Done():
		return fmt.Errorf("kafka: flush abandoned: %w", ctx.Err())
	case <-t.C:
		return fmt.Errorf("kafka: records not acknowledged within %s", timeout)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.failed
	l.failed = nil
	return err
}

// Begin starts a new sequence: the caller sends again from its last flushed
// position, so an earlier failure (of a record it will send again) no
// longer matters. Records still in flight keep counting for Flush.
func (l *Lane) Begin() {
	l.mu.Lock()
	l.failed = nil
	l.mu.Unlock()
}

// Close does nothing: the lanes share the PipelinedPublisher, whose owner
// closes it.
func (l *Lane) Close() error { return nil }

func (l *Lane) settle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil && l.failed == nil {
		l.failed = err
	}
	l.inflight--
	if l.inflight == 0 {
		close(l.idle)
	}
}
