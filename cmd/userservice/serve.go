package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/metrics"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/ops"
	"github.com/userservice/userservice/cmd/internal/roles"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/ports/httpapi"
	"github.com/userservice/userservice/ports/scim"
)

// connectTimeout bounds the start-up's wait for PostgreSQL: an unreachable
// database should fail the start visibly, not hang it.
const connectTimeout = 15 * time.Second

// serve connects, migrates, wires and runs the configured roles until ctx is
// cancelled or a role fails.
func serve(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	log.Info("userservice starting", zap.Strings("roles", cfg.Roles),
		zap.Strings("kafka_brokers", cfg.KafkaBrokers), zap.Bool("migrate_on_start", cfg.MigrateOnStart),
		zap.String("import_queue", cfg.ImportQueue), zap.String("smtp_addr", cfg.SMTPAddr),
		zap.Bool("hris_configured", cfg.HRISURL != ""))

	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	pool, err := postgres.Connect(cctx, cfg.DatabaseURL, cfg.DatabaseMaxConns)
	cancel()
	if err != nil {
		return err
	}
	defer pool.Close()

	if cfg.MigrateOnStart {
		applied, err := postgres.Migrate(ctx, pool)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			log.Info("database schema up to date")
		}
		for _, name := range applied {
			log.Info("migration applied", zap.String("migration", name))
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cmdMetrics, err := metrics.NewCommands(reg)
	if err != nil {
		return err
	}
	opts, closeOpts, err := serviceOptions(cfg, log, cmdMetrics)
	if err != nil {
		return err
	}
	defer closeOpts()
	application, err := service.Build(pool, opts)
	if err != nil {
		return err
	}

	registry := roles.NewRegistry(log.Named("roles"))
	if err := registerRoles(ctx, registry, cfg, pool, reg, application, log); err != nil {
		return err
	}
	return registry.Run(ctx, cfg.Roles)
}

// registerRoles registers the runner of every role the process runs.
func registerRoles(ctx context.Context, registry *roles.Registry, cfg config.Config, pool *pgxpool.Pool,
	reg *prometheus.Registry, application app.Application, log *zap.Logger) error {
	for _, name := range cfg.Roles {
		var (
			runner roles.Runner
			err    error
		)
		switch name {
		case roles.API:
			runner, err = newAPIServer(cfg, pool, reg, application, log)
		case roles.Relay:
			runner, err = newRelay(ctx, cfg, reg, log.Named("relay"))
		case roles.Directory:
			runner, err = newDirectory(cfg, pool, reg, log.Named("directory"))
		case roles.Importer:
			runner, err = newImporter(cfg, pool, application, log.Named("importer"))
		case roles.Notifier:
			runner, err = newNotifier(application, log.Named("notifier"))
		case roles.HRISSync:
			runner, err = newHRISSync(cfg, application, log.Named("hris-sync"))
		default:
			err = errors.New("no runner for this role")
		}
		if err != nil {
			return fmt.Errorf("%s role: %w", name, err)
		}
		if err := registry.Register(name, runner); err != nil {
			return err
		}
	}
	return nil
}

// newAPIServer builds the api role: the ops endpoints in front of the admin API.
func newAPIServer(cfg config.Config, pool *pgxpool.Pool, reg *prometheus.Registry,
	application app.Application, log *zap.Logger) (*ops.Server, error) {
	api, err := httpapi.NewHandler(application, httpapi.Config{Logger: log.Named("http"),
		RateLimit: cfg.APIRateLimit, RateBurst: cfg.APIRateBurst})
	if err != nil {
		return nil, err
	}
	scimAPI, err := scim.NewHandler(application, scim.Config{Logger: log.Named("scim"),
		RateLimit: cfg.APIRateLimit, RateBurst: cfg.APIRateBurst})
	if err != nil {
		return nil, err
	}
	// One listener: SCIM under its prefix, the admin API for the rest.
	routes := http.NewServeMux()
	routes.Handle(scim.Prefix+"/", scimAPI)
	routes.Handle("/", api)
	checks := []ops.Check{ops.PostgresCheck(pool)}
	if cfg.KafkaConfigured() {
		checks = append(checks, ops.KafkaCheck(cfg.KafkaBrokers))
	}
	handler, err := ops.NewHandler(ops.HandlerConfig{
		Checks:   checks,
		Gatherer: reg,
		API:      routes,
		Logger:   log.Named("ops"),
	})
	if err != nil {
		return nil, err
	}
	srv, err := ops.NewServer(ops.ServerConfig{
		Addr:            cfg.HTTPAddr,
		Handler:         handler,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          log.Named("http"),
	})
	if err != nil {
		return nil, fmt.Errorf("api role: %w", err)
	}
	return srv, nil
}
