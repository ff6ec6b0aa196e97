package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/userservice/userservice/adapters/metrics"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/ops"
	"github.com/userservice/userservice/cmd/internal/roles"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/ports/console"
	"github.com/userservice/userservice/ports/httpapi"
	"github.com/userservice/userservice/ports/scim"
)

// connectTimeout bounds the start-up's wait for PostgreSQL: an unreachable
// database should fail the start visibly, not hang it.
const connectTimeout = 15 * time.Second

// serve connects, migrates, wires and runs the configured roles until ctx is
// cancelled or a role fails.
func serve(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	return serveTo(ctx, cfg, log, os.Stderr)
}

// serveTo is serve, printing make run's first-run welcome (the console URL
// and the demo token) to out.
func serveTo(ctx context.Context, cfg config.Config, log *zap.Logger, out io.Writer) error {
	log.Info("userservice starting", zap.Strings("roles", cfg.Roles),
		zap.Strings("kafka_brokers", cfg.KafkaBrokers), zap.Bool("migrate_on_start", cfg.MigrateOnStart),
		zap.String("import_queue", cfg.ImportQueue), zap.String("smtp_addr", cfg.SMTPAddr),
		zap.Bool("hris_configured", cfg.HRISURL != ""))

	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	pool, err := postgres.Connect(cctx, cfg.DatabaseURL, cfg.DatabaseMaxConns, func(pc *pgxpool.Config) {
		postgres.NameConnectionsByRole(pc, postgres.ApplicationNamePrefixOf(cfg.DatabaseURL), cfg.Roles, roles.Of)
	})
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
	reads, closeReads, err := readReplica(ctx, cfg, pool, reg, log.Named("read-replica"))
	if err != nil {
		return err
	}
	defer closeReads()
	opts.Reads = reads
	opts.Lifetime = ctx // the token cache's change listener, the import turns' connection
	application, err := service.Build(pool, opts)
	if err != nil {
		return err
	}

	if cfg.Console.DemoOnEmptyDatabase && slices.Contains(cfg.Roles, roles.API) {
		if err := firstRun(ctx, pool, application, cfg, out); err != nil {
			return err
		}
	}

	readiness, err := newReadiness(cfg, pool, log)
	if err != nil {
		return err
	}
	registry := roles.NewRegistry(log.Named("roles"))
	if err := registerRoles(ctx, registry, cfg, pool, reg, readiness, application, log); err != nil {
		return err
	}
	return runWithOps(ctx, cfg, reg, readiness, log, func(ctx context.Context) error { return registry.Run(ctx, cfg.Roles) })
}

// registerRoles registers the runner of every role the process runs.
func registerRoles(ctx context.Context, registry *roles.Registry, cfg config.Config, pool *pgxpool.Pool,
	reg *prometheus.Registry, readiness *ops.Readiness, application app.Application, log *zap.Logger) error {
	for _, name := range cfg.Roles {
		var (
			runner roles.Runner
			err    error
		)
		switch name {
		case roles.API:
			runner, err = newAPIServer(cfg, reg, readiness, application, log)
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

// newAPIServer builds the api role: the ops endpoints in front of the admin
// API, on the public listener (readiness without error details).
func newAPIServer(cfg config.Config, reg *prometheus.Registry, readiness *ops.Readiness,
	application app.Application, log *zap.Logger) (*ops.Server, error) {
	api, err := httpapi.NewHandler(application, httpapi.Config{Logger: log.Named("http"),
		RateLimit: cfg.APIRateLimit, RateBurst: cfg.APIRateBurst,
		AuthFailureRate: cfg.AuthFailureRate, AuthFailureBurst: cfg.AuthFailureBurst, TrustedProxies: cfg.TrustedProxies,
		ImportUploadsPerTenant: cfg.ImportUploadsPerTenant, ImportSpoolBytesPerTenant: cfg.ImportSpoolBytesPerTenant})
	if err != nil {
		return nil, err
	}
	scimBase := ""
	if cfg.PublicBaseURL != "" {
		scimBase = cfg.PublicBaseURL + scim.Prefix
	}
	scimAPI, err := scim.NewHandler(application, scim.Config{Logger: log.Named("scim"),
		RateLimit: cfg.APIRateLimit, RateBurst: cfg.APIRateBurst, BaseURL: scimBase,
		AuthFailureRate: cfg.AuthFailureRate, AuthFailureBurst: cfg.AuthFailureBurst, TrustedProxies: cfg.TrustedProxies,
		DeleteErases: cfg.Personal.SCIMDelete == config.SCIMDeleteErase})
	if err != nil {
		return nil, err
	}
	adminConsole, err := console.NewHandler(console.Config{API: api, Logger: log.Named("console"),
		SessionKey: cfg.Console.SessionKey, PublicURL: cfg.PublicBaseURL})
	if err != nil {
		return nil, err
	}
	// One listener: SCIM and the console under their prefixes, the admin API for the rest.
	routes := http.NewServeMux()
	routes.Handle(scim.Prefix+"/", scimAPI)
	routes.Handle(console.Prefix, adminConsole)
	routes.Handle("/", api)
	handler, err := ops.NewHandler(ops.HandlerConfig{Readiness: readiness, Gatherer: reg, API: routes})
	if err != nil {
		return nil, err
	}
	srv, err := ops.NewServer(serverConfig(cfg, cfg.HTTPAddr, handler, log))
	if err != nil {
		return nil, fmt.Errorf("api role: %w", err)
	}
	return srv, nil
}

// serverConfig is the HTTP server of a listener, with the configured timeouts.
func serverConfig(cfg config.Config, addr string, handler http.Handler, log *zap.Logger) ops.ServerConfig {
	return ops.ServerConfig{
		Addr: addr, Handler: handler, ShutdownTimeout: cfg.ShutdownTimeout, Logger: log.Named("http"),
		ReadHeaderTimeout: cfg.HTTPReadHeaderTimeout, ReadTimeout: cfg.HTTPReadTimeout,
		WriteTimeout: cfg.HTTPWriteTimeout, IdleTimeout: cfg.HTTPIdleTimeout,
	}
}

// runWithOps runs roles, and beside them the operations listener when
// OPS_ADDR is set (whatever the roles: a relay-only process has probes too).
// Either failing stops both.
func runWithOps(ctx context.Context, cfg config.Config, reg *prometheus.Registry, readiness *ops.Readiness,
	log *zap.Logger, roles func(context.Context) error) error {
	if cfg.OpsAddr == "" {
		return roles(ctx)
	}
	handler, err := ops.NewHandler(ops.HandlerConfig{Readiness: readiness, Detailed: true, Gatherer: reg})
	if err != nil {
		return err
	}
	srv, err := ops.NewServer(serverConfig(cfg, cfg.OpsAddr, handler, log.Named("ops")))
	if err != nil {
		return fmt.Errorf("ops listener: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error {
		err := roles(gctx)
		if err == nil && ctx.Err() == nil {
			err = errors.New("roles stopped before shutdown")
		}
		return err
	})
	return g.Wait()
}
