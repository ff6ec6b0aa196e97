// Package directory is a projection fed from Kafka: it reads the published
// user events (users.events) in a consumer group and keeps the user_directory
// table, the way any independent subscriber of the event contract would. It
// proves the path from the outbox through Kafka to a consumer end to end.
//
// Delivery is at-least-once, so each event is applied in one transaction
// together with its id in processed_events: a redelivered event finds its id
// there and has no second effect. Independently, an event is applied only if
// its stream version is newer than the row's, so a stale event (a replay, a
// relay that re-published a batch) never rolls a row back.
package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/userservice/userservice/adapters/eventcontract"
)

// Config configures a Projector.
type Config struct {
	// Topic is the Kafka topic of the published events. Default "users.events".
	Topic string
	// Consumer names the projection in processed_events. Keep it equal to
	// the Kafka consumer group of the subscriber, so "handled" means the
	// same thing in both places. Default "directory".
	Consumer string
	// HandleTimeout bounds one event's transaction. It is not cut short by
	// shutdown: an event being applied is finished. Default 30s.
	HandleTimeout time.Duration
	// CloseTimeout bounds the wait for in-flight events when Run stops.
	// Default 30s.
	CloseTimeout time.Duration
	// RetryInterval is the first wait after a failed transaction (the
	// database away, say); it doubles up to MaxRetryInterval and the event
	// is retried until it succeeds, in order. Defaults 100ms and 10s.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration
	// DedupRetention is how long an event id stays in processed_events.
	// Redeliveries come within minutes (a rebalance, a restart); an older
	// copy, such as a replay of the topic from the beginning, is still
	// harmless: the version guard keeps it from undoing a newer state.
	// Default 7 days.
	DedupRetention time.Duration
	// DedupCleanupInterval is how often expired ids are deleted. Default 1h.
	DedupCleanupInterval time.Duration
	// Registerer receives the projection's metrics; nil means none are exported.
	Registerer prometheus.Registerer
	// Opener decrypts the events' sealed personal fields (README "Personal
	// data"); nil: the directory shows them unset.
	Opener eventcontract.Opener
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = eventcontract.Topic
	}
	if c.Consumer == "" {
		c.Consumer = "directory"
	}
	if c.HandleTimeout == 0 {
		c.HandleTimeout = 30 * time.Second
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = 30 * time.Second
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = 100 * time.Millisecond
	}
	if c.MaxRetryInterval == 0 {
		c.MaxRetryInterval = 10 * time.Second
	}
	if c.DedupRetention == 0 {
		c.DedupRetention = 7 * 24 * time.Hour
	}
	if c.DedupCleanupInterval == 0 {
		c.DedupCleanupInterval = time.Hour
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	for name, d := range map[string]time.Duration{"HandleTimeout": c.HandleTimeout, "CloseTimeout": c.CloseTimeout,
		"RetryInterval": c.RetryInterval, "MaxRetryInterval": c.MaxRetryInterval,
		"DedupRetention": c.DedupRetention, "DedupCleanupInterval": c.DedupCleanupInterval} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("directory: %s must not be negative, got %s", name, d))
		}
	}
	if c.MaxRetryInterval < c.RetryInterval {
		errs = append(errs, fmt.Errorf("directory: MaxRetryInterval %s is shorter than RetryInterval %s", c.MaxRetryInterval, c.RetryInterval))
	}
	return errors.Join(errs...)
}

// Projector keeps user_directory up to date from Kafka.
type Projector struct {
	cfg        Config
	pool       *pgxpool.Pool
	subscriber message.Subscriber
	logger     watermill.LoggerAdapter
	metrics    *metrics
	// observe, when set (by tests only), is called after each event with
	// what became of it.
	observe func(ev eventcontract.Event, o outcome)
}

// New returns a projector writing on pool and reading cfg.Topic through
// subscriber: a Kafka subscriber in the projection's own consumer group (see
// adapters/kafka.NewSubscriber), which Run closes when it stops.
func New(pool *pgxpool.Pool, subscriber message.Subscriber, cfg Config, logger watermill.LoggerAdapter) (*Projector, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pool == nil || subscriber == nil {
		return nil, errors.New("directory: nil pool or subscriber")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Projector{cfg: cfg, pool: pool, subscriber: subscriber, logger: logger, metrics: m}, nil
}

// Run projects events until ctx is cancelled, then finishes the events in
// flight and returns nil; it returns an error when it cannot subscribe.
// Offsets are committed for handled events only, so a restart resumes after
// the last one (and a redelivered one is recognised by its id).
func (p *Projector) Run(ctx context.Context) error {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: p.cfg.CloseTimeout}, p.logger)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	router.AddMiddleware(
		middleware.Recoverer,
		// Retried until it succeeds: an event is never skipped because the
		// database was away. After the retries the message is nacked and
		// offered again, so the backoff starts over rather than giving up.
		middleware.Retry{MaxRetries: 8, InitialInterval: p.cfg.RetryInterval, MaxInterval: p.cfg.MaxRetryInterval,
			Multiplier: 2, Logger: p.logger}.Middleware,
	)
	router.AddConsumerHandler("directory-projection", p.cfg.Topic, p.subscriber, p.handle)
	cleanupDone := make(chan struct{})
	go func() {
		defer close(cleanupDone)
		p.cleanupLoop(ctx)
	}()
	defer func() { <-cleanupDone }()
	if err := router.Run(ctx); err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	return nil
}
