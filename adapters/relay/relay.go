// Package relay moves events from the transactional outbox to Kafka: one
// loop per outbox shard reads a batch of watermill-sql's outbox rows, hands
// the whole batch to a Watermill Kafka publisher, and only then acknowledges
// the batch in watermill-sql's offsets table. Delivery is at-least-once and
// in order per shard (so per user): a crash between the publish and the
// acknowledgement publishes the batch again.
//
// Stock limits designed past: a LISTEN/NOTIFY wake-up (sent by the unit of
// work after each commit) replaces the 1 s idle poll; each batch is read with
// a keyset query; no transaction stays open across a publish (watermill-sql's
// subscriber held one, with a transaction id, which held back the snapshot
// xmin and so hid newer rows from every relay): the read and the
// acknowledgement are single statements, and a session advisory lock per
// (consumer group, shard) makes one relay the shard's owner, so extra relay
// processes are hot standbys that take over within a poll; a message Kafka
// refuses for good is parked with its user's later messages instead of
// stopping the shard (park.go); relayed rows are deleted on a schedule.
package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/postgres"
)

// DefaultConsumerGroup is the relays' default position in the outbox
// (RELAY_CONSUMER_GROUP), named once for the relay, its config and usersctl.
const DefaultConsumerGroup = "kafka-relay"

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
	// BatchSize is the number of outbox rows read per query and published
	// at once (all in flight together). Default 500.
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
		c.KafkaTopic = eventcontract.Topic
	}
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = DefaultConsumerGroup
	}
	if len(c.Shards) == 0 {
		for i := range postgres.OutboxShards {
			c.Shards = append(c.Shards, i)
		}
	}
	setDefault(&c.BatchSize, 500)
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
// them): one per shard (it holds the shard's ownership lock), the LISTEN
// connection, and one for cleanup, lag metrics and retries of parked
// messages. Give a relay a pool of its own of this size: each shard holds
// its connection for as long as it owns the shard, which must not take
// connections from anything else; and nothing else may write the outbox
// through it (the relay's sessions are passed over by every relay's gap
// bound: settledBound).
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

// New returns a relay reading the outbox on pool and publishing with
// publisher: a Kafka publisher that keys records by the "partition_key"
// metadata, keeps the order of the messages of one Publish call per key, and
// reports a message it refuses for good with an error that has a
// RejectedMessage() string method (kafka.RejectedError).
func New(pool *pgxpool.Pool, publisher message.Publisher, cfg Config, logger watermill.LoggerAdapter) (*Relay, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("relay config: %w", err)
	}
	if pool == nil || publisher == nil {
		return nil, errors.New("relay: nil pool or publisher")
	}
	if have, need := pool.Config().MaxConns, PoolSize(len(cfg.Shards)); have < need {
		return nil, fmt.Errorf("relay: the pool allows %d connections, %d shards need %d (relay.PoolSize)", have, len(cfg.Shards), need)
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

// Run relays until ctx is cancelled, then returns once no publish is in
// flight (the owner closes the publisher right after).
func (r *Relay) Run(ctx context.Context) error {
	wake := make(map[int]chan struct{}, len(r.cfg.Shards))
	nudge := make(map[int]chan struct{}, len(r.cfg.Shards))
	for _, shard := range r.cfg.Shards {
		wake[shard], nudge[shard] = make(chan struct{}, 1), make(chan struct{}, 1)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := listenForWakeUps(ctx, r.pool, wake, nudge, r.logger); err != nil {
			r.logger.Error("outbox wake-up listener stopped", err, nil)
		}
	})
	wg.Go(func() { _ = r.cleanupLoop(ctx) })
	wg.Go(func() { _ = r.lagLoop(ctx) })
	for _, shard := range r.cfg.Shards {
		s := newShardRelay(r, shard, wake[shard])
		s.nudge = nudge[shard]
		wg.Go(func() { s.run(ctx) })
	}
	wg.Wait()
	return nil
}
