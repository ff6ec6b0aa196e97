// Package relay moves events from the transactional outbox to Kafka: one
// Watermill router handler per outbox shard, each a watermill-sql subscriber
// feeding a Kafka publisher. Delivery is at-least-once and in order per shard
// (so per user): an event's outbox offset is acknowledged only after Kafka
// acknowledged the event, and a crash in between publishes it again.
//
// Stock limits designed past: a LISTEN/NOTIFY wake-up (sent by the unit of
// work after each commit) replaces the 1 s idle poll; each batch is read with
// a keyset query (postgres.OutboxSchema); shards relay in parallel (one active relay per shard, held
// by watermill-sql's row lock on the offsets row, so extra relay processes are
// hot standbys that take over within a poll); relayed rows are deleted on a
// schedule.
package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/userservice/userservice/adapters/postgres"
)

// Config configures a Relay.
type Config struct {
	// KafkaTopic is where events are published. Default "users.events".
	KafkaTopic string
	// ConsumerGroup names the relay's position in each outbox shard. Relays
	// sharing it share the work; another group relays everything again (to
	// a second broker, say). Default "kafka-relay".
	ConsumerGroup string
	// Shards lists the outbox shards this process relays. Default: all.
	Shards []int
	// BatchSize is the number of outbox rows read per query. Default 100.
	BatchSize int
	// PollInterval is the longest wait for a wake-up notification before
	// querying anyway. Default 200ms.
	PollInterval time.Duration
	// RetryInterval is the first wait after a failed query or publish; it
	// doubles up to MaxRetryInterval. Defaults 100ms and 5s.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration
	// Retention is how long relayed rows stay in the outbox before cleanup
	// deletes them (the event store keeps every event forever). Default 1h.
	Retention time.Duration
	// CleanupInterval is how often cleanup runs. Default 1m.
	CleanupInterval time.Duration
	// LagInterval is how often outbox lag is measured for metrics. Default 5s.
	LagInterval time.Duration
	// Registerer receives the relay's metrics; nil means none are exported.
	Registerer prometheus.Registerer
}

func (c *Config) setDefaults() {
	if c.KafkaTopic == "" {
		c.KafkaTopic = "users.events"
	}
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = "kafka-relay"
	}
	if len(c.Shards) == 0 {
		for i := range postgres.OutboxShards {
			c.Shards = append(c.Shards, i)
		}
	}
	setDefault(&c.BatchSize, 100)
	setDefault(&c.PollInterval, 200*time.Millisecond)
	setDefault(&c.RetryInterval, 100*time.Millisecond)
	setDefault(&c.MaxRetryInterval, 5*time.Second)
	setDefault(&c.Retention, time.Hour)
	setDefault(&c.CleanupInterval, time.Minute)
	setDefault(&c.LagInterval, 5*time.Second)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	seen := map[int]bool{}
	for _, s := range c.Shards {
		if s < 0 || s >= postgres.OutboxShards || seen[s] {
			errs = append(errs, fmt.Errorf("shard %d: want distinct shards in 0..%d", s, postgres.OutboxShards-1))
		}
		seen[s] = true
	}
	if c.BatchSize < 1 {
		errs = append(errs, errors.New("batch size must be positive"))
	}
	for name, d := range map[string]time.Duration{"poll interval": c.PollInterval, "retry interval": c.RetryInterval,
		"max retry interval": c.MaxRetryInterval, "retention": c.Retention, "cleanup interval": c.CleanupInterval, "lag interval": c.LagInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	return errors.Join(errs...)
}

// PoolSize is the connections a relay of that many shards needs (0: all of
// them): a transaction per shard, the LISTEN connection, and one for cleanup
// and lag metrics. Give a relay a pool of its own of this size: each shard
// holds its transaction open while Kafka is slow or away, which must not
// take connections from anything else.
func PoolSize(shards int) int32 {
	if shards <= 0 {
		shards = postgres.OutboxShards
	}
	return int32(shards) + 2
}

// Relay relays the outbox to Kafka.
type Relay struct {
	cfg       Config
	pool      *pgxpool.Pool
	publisher message.Publisher
	logger    watermill.LoggerAdapter
	metrics   *metrics
}

// New returns a relay reading the outbox on pool and publishing with publisher
// (a Kafka publisher that keys records by the "partition_key" metadata).
func New(pool *pgxpool.Pool, publisher message.Publisher, cfg Config, logger watermill.LoggerAdapter) (*Relay, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("relay config: %w", err)
	}
	if pool == nil || publisher == nil {
		return nil, errors.New("relay: nil pool or publisher")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Relay{cfg: cfg, pool: pool, publisher: publisher, logger: logger, metrics: m}, nil
}

// Run relays until ctx is cancelled, then stops after the in-flight messages.
func (r *Relay) Run(ctx context.Context) error {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 15 * time.Second}, r.logger)
	if err != nil {
		return err
	}
	gate := &publishGate{}
	defer gate.close()
	wake := make(map[int]chan struct{}, len(r.cfg.Shards))
	for _, shard := range r.cfg.Shards {
		wake[shard] = make(chan struct{}, 1)
		sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(r.pool), wsql.SubscriberConfig{
			ConsumerGroup:  r.cfg.ConsumerGroup,
			SchemaAdapter:  postgres.OutboxSchema(r.cfg.BatchSize),
			OffsetsAdapter: wsql.DefaultPostgreSQLOffsetsAdapter{},
			ResendInterval: r.cfg.RetryInterval,
			BackoffManager: &wakingBackoff{wake: wake[shard], done: ctx.Done(), poll: r.cfg.PollInterval,
				retry: r.cfg.RetryInterval, maxRetry: r.cfg.MaxRetryInterval},
		}, r.logger)
		if err != nil {
			return fmt.Errorf("outbox subscriber for shard %d: %w", shard, err)
		}
		router.AddHandler("relay-shard-"+strconv.Itoa(shard), postgres.OutboxTopic(shard), sub,
			r.cfg.KafkaTopic, countingPublisher{next: r.publisher, shard: strconv.Itoa(shard), m: r.metrics, gate: gate}, forward)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return listenForWakeUps(ctx, r.pool, wake, r.logger) })
	g.Go(func() error { return r.cleanupLoop(ctx) })
	g.Go(func() error { return r.lagLoop(ctx) })
	g.Go(func() error {
		err := router.Run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		return err
	})
	return g.Wait()
}

// forward passes an outbox message on unchanged: the payload is already the
// published CloudEvents envelope and the metadata the Kafka headers and key.
// A failed publish nacks the message; watermill-sql resends it, in order,
// forever: an event is never dropped or skipped because Kafka is away.
func forward(msg *message.Message) ([]*message.Message, error) {
	out := message.NewMessage(msg.UUID, msg.Payload)
	for k, v := range msg.Metadata {
		out.Metadata.Set(k, v)
	}
	return []*message.Message{out}, nil
}

// errRelayStopped refuses a publish that comes after Run returned.
var errRelayStopped = errors.New("relay stopped")

// publishGate lets Run return only once no publish is in flight: Watermill's
// router can still be finishing a message when Run returns, and the owner
// closes the Kafka publisher right after.
type publishGate struct {
	mu     sync.RWMutex
	closed bool
}

// close waits for in-flight publishes and refuses later ones.
func (g *publishGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// countingPublisher counts what reached Kafka and what failed to.
type countingPublisher struct {
	next  message.Publisher
	shard string
	m     *metrics
	gate  *publishGate
}

func (p countingPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.gate.mu.RLock()
	defer p.gate.mu.RUnlock()
	if p.gate.closed {
		return errRelayStopped
	}
	if err := p.next.Publish(topic, msgs...); err != nil {
		p.m.publishErrors.WithLabelValues(p.shard).Inc()
		return err
	}
	p.m.relayed.WithLabelValues(p.shard).Add(float64(len(msgs)))
	return nil
}

// Close does not close the shared publisher: its owner does.
func (p countingPublisher) Close() error { return nil }
