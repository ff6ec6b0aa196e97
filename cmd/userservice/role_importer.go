package main

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/decorator"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
	"github.com/userservice/userservice/cmd/internal/service"
)

// serviceOptions turns the import, SMTP and HRIS settings into the
// application's options. With IMPORT_QUEUE=kafka it opens the Kafka
// publisher of the import rows; the returned func closes it.
func serviceOptions(cfg config.Config, log *zap.Logger, metrics decorator.Metrics) (service.Options, func(), error) {
	o := service.Options{Logger: log, Metrics: metrics, NoticeLease: cfg.NotifyLease, TokenCacheTTL: cfg.AuthTokenCacheTTL}
	if cfg.CommandGroupMax > 1 {
		o.GroupCommit = &postgres.GroupCommitConfig{MaxGroup: cfg.CommandGroupMax, InFlight: cfg.CommandGroupsInFlight}
	}
	o.AllowInternalWebhooks = cfg.WebhookAllowInternal
	o.UploadYieldToAPI, o.ApplicationNamePrefix = cfg.ImportYieldToAPI, postgres.ApplicationNamePrefixOf(cfg.DatabaseURL)
	keys, err := cfg.Personal.Keys()
	if err != nil {
		return service.Options{}, nil, err
	}
	o.PersonalData = keys
	if cfg.SMTPAddr != "" {
		o.SMTP = &notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword.Reveal(), TLS: cfg.SMTPTLS, LinkBase: cfg.PublicBaseURL}
	}
	if cfg.HRISURL != "" {
		o.HRIS = &hris.ClientConfig{URL: cfg.HRISURL, Token: cfg.HRISToken.Reveal(), PageSize: cfg.HRISPageSize}
	}
	closer := func() {}
	if cfg.ImportQueue == config.ImportQueueKafka {
		pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: cfg.KafkaBrokers}, logging.NewWatermill(log.Named("imports")))
		if err != nil {
			return service.Options{}, nil, err
		}
		o.ImportQueue, o.ImportTopic = pub, cfg.ImportKafkaTopic
		closer = func() {
			if err := pub.Close(); err != nil {
				log.Warn("closing the import rows' Kafka publisher failed", zap.Error(err))
			}
		}
	}
	return o, closer, nil
}

// newImporter builds the importer role: import rows from the PostgreSQL
// queue (and the Kafka import topic with IMPORT_QUEUE=kafka) through the
// application's import use case.
func newImporter(cfg config.Config, pool *pgxpool.Pool, application app.Application, log *zap.Logger) (roles.Runner, error) {
	ic := service.ImporterConfig{DatabaseURL: cfg.DatabaseURL, Pool: pool, Consumers: cfg.ImportConsumers,
		RowsPerSecond: cfg.ImportRowsPerSecond, YieldToAPI: cfg.ImportYieldToAPI, Logger: logging.NewWatermill(log),
		ApplicationNamePrefix: postgres.ApplicationNamePrefixOf(cfg.DatabaseURL)}
	if cfg.ImportQueue == config.ImportQueueKafka {
		ic.KafkaBrokers, ic.KafkaTopic = cfg.KafkaBrokers, cfg.ImportKafkaTopic
	}
	imp, err := service.NewImporter(application, ic)
	if err != nil {
		return nil, err
	}
	return withRetention(imp, pool, cfg.Personal.Retention, log.Named("retention")), nil
}
