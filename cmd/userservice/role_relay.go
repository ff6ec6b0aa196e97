package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/relay"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// newRelay builds the relay role: outbox shards to the Kafka topic. Without
// Kafka the role idles: events wait in the outbox (and stay readable there)
// until a relay with Kafka runs.
//
// The relay has a connection pool of its own (a bulkhead): each shard holds
// a connection for as long as it owns the shard, and while Kafka is slow or
// down it keeps it for seconds at a time. Sharing the API's pool, the relay
// starved the commands of connections (about one command per second during
// a Kafka outage).
func newRelay(ctx context.Context, cfg config.Config, reg prometheus.Registerer, log *zap.Logger) (roles.Runner, error) {
	if !cfg.KafkaConfigured() {
		return idle(log, "no Kafka configured (KAFKA_BROKERS empty): events stay in the outbox"), nil
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	pool, err := postgres.Connect(cctx, cfg.DatabaseURL, relay.PoolSize(len(cfg.RelayShards)))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("relay pool: %w", err)
	}
	// The topic must admit every record the producer sends (both limits are
	// explicit: kafka.MaxMessageBytes). A topic that admits less is a
	// configuration error; a broker that is away is not: the relay waits.
	cctx, cancel = context.WithTimeout(ctx, connectTimeout)
	err = kafka.EnsureTopic(cctx, cfg.KafkaBrokers, cfg.KafkaTopic, 0)
	cancel()
	if errors.Is(err, kafka.ErrTopicTooSmall) {
		pool.Close()
		return nil, err
	} else if err != nil {
		log.Warn("could not check the events topic's message size limit", zap.Error(err))
	}
	wlog := logging.NewWatermill(log)
	// The relay publishes through franz-go's idempotent producer, not the
	// watermill-kafka publisher: see kafka.OrderedPublisher (README "the relay").
	pub, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: cfg.KafkaBrokers}, wlog)
	if err != nil {
		pool.Close()
		return nil, err
	}
	r, err := relay.New(pool, pub, relay.Config{
		KafkaTopic:    cfg.KafkaTopic,
		ConsumerGroup: cfg.RelayConsumerGroup,
		Shards:        cfg.RelayShards,
		PollInterval:  cfg.OutboxPollInterval,
		Retention:     cfg.OutboxRetention,
		Registerer:    reg,
	}, wlog)
	if err != nil {
		pool.Close()
		return nil, errors.Join(err, pub.Close())
	}
	return roles.RunFunc(func(ctx context.Context) error {
		defer pool.Close()
		return errors.Join(r.Run(ctx), pub.Close())
	}), nil
}
