package main

import (
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/ops"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// newReadiness is the process's one readiness, shared by the public and the
// operations listener so that both together probe once per cache period.
//
// It asks only for what this process's roles cannot work without, so that an
// outage takes out of service just the processes it stops: every role needs
// PostgreSQL; Kafka only the relay and the directory (and the importer when
// import rows are queued on Kafka); SMTP only the notifier (when configured);
// the HRIS only the hris-sync role. The api never asks for Kafka: its
// commands commit to PostgreSQL and their events wait in the outbox, so a
// Kafka outage must not pull every api pod out of its Service.
func newReadiness(cfg config.Config, pool *pgxpool.Pool, log *zap.Logger) (*ops.Readiness, error) {
	checks := []ops.Check{ops.PostgresCheck(pool)}
	if cfg.KafkaConfigured() && needsKafka(cfg) {
		checks = append(checks, ops.KafkaCheck(cfg.KafkaBrokers))
	}
	if cfg.SMTPAddr != "" && slices.Contains(cfg.Roles, roles.Notifier) {
		checks = append(checks, ops.SMTPCheck(cfg.SMTPAddr))
	}
	if cfg.HRISURL != "" && slices.Contains(cfg.Roles, roles.HRISSync) {
		checks = append(checks, ops.HTTPCheck("hris", cfg.HRISURL))
	}
	if err := ops.ValidateChecks(checks); err != nil {
		return nil, err
	}
	return ops.NewReadiness(checks, 0, cfg.ReadinessCache, log.Named("ops")), nil
}

// needsKafka reports whether a role of the process stops working without
// Kafka.
func needsKafka(cfg config.Config) bool {
	if slices.Contains(cfg.Roles, roles.Relay) || slices.Contains(cfg.Roles, roles.Directory) {
		return true
	}
	return cfg.ImportQueue == config.ImportQueueKafka && slices.Contains(cfg.Roles, roles.Importer)
}
