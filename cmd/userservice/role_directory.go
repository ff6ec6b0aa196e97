package main

import (
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/directory"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// directoryConsumer is the directory's Kafka consumer group and its name in
// processed_events.
const directoryConsumer = "directory"

// newDirectory builds the directory role: the user_directory projection fed
// from the Kafka topic. Without Kafka it idles.
func newDirectory(cfg config.Config, pool *pgxpool.Pool, reg prometheus.Registerer, log *zap.Logger) (roles.Runner, error) {
	if !cfg.KafkaConfigured() {
		return idle(log, "no Kafka configured (KAFKA_BROKERS empty): the directory projection is idle"), nil
	}
	wlog := logging.NewWatermill(log)
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: cfg.KafkaBrokers, ConsumerGroup: directoryConsumer}, wlog)
	if err != nil {
		return nil, err
	}
	dcfg := directory.Config{Topic: cfg.KafkaTopic, Consumer: directoryConsumer, Registerer: reg}
	if keys, err := cfg.Personal.Keys(); err != nil || keys != nil {
		if err != nil {
			return nil, errors.Join(err, sub.Close())
		}
		dcfg.Opener = personaldata.StoreOpener{Keys: keys, DB: pool}
	}
	p, err := directory.New(pool, sub, dcfg, wlog)
	if err != nil {
		return nil, errors.Join(err, sub.Close())
	}
	return p, nil
}
