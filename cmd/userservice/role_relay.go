package main

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/relay"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// newRelay builds the relay role: outbox shards to the Kafka topic. Without
// Kafka the role idles: events wait in the outbox (and stay readable there)
// until a relay with Kafka runs.
func newRelay(cfg config.Config, pool *pgxpool.Pool, reg prometheus.Registerer, log *zap.Logger) (roles.Runner, error) {
	if !cfg.KafkaConfigured() {
		return idle(log, "no Kafka configured (KAFKA_BROKERS empty): events stay in the outbox"), nil
	}
	wlog := logging.NewWatermill(log)
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: cfg.KafkaBrokers}, wlog)
	if err != nil {
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
		return nil, errors.Join(err, pub.Close())
	}
	return roles.RunFunc(func(ctx context.Context) error {
		return errors.Join(r.Run(ctx), pub.Close())
	}), nil
}
