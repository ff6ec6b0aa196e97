package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/replica"
	"github.com/userservice/userservice/cmd/internal/roles"
	"github.com/userservice/userservice/cmd/internal/service"
)

// readReplica opens DATABASE_READ_URL for the api role's list reads and
// starts measuring its staleness; without it (or without the api role,
// the only one that lists) it returns nil. The pool connects lazily and the
// replica is not a readiness check: while it is down or behind, the lists
// go to the primary, so it never takes an api out of service. The returned
// func stops the measuring and closes the pool.
func readReplica(ctx context.Context, cfg config.Config, primary *pgxpool.Pool, reg prometheus.Registerer,
	log *zap.Logger) (*service.ReadReplica, func(), error) {
	if cfg.DatabaseReadURL == "" || !slices.Contains(cfg.Roles, roles.API) {
		return nil, func() {}, nil
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseReadURL)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	if cfg.DatabaseMaxConns > 0 {
		pcfg.MaxConns = cfg.DatabaseMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	st, err := replica.New(primary, pool, replica.Config{MaxLag: cfg.DatabaseReadMaxLag, Registerer: reg, Logger: log})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = st.Run(rctx)
	}()
	log.Info("list reads go to the read replica while it is fresh", zap.Duration("max_lag", cfg.DatabaseReadMaxLag),
		zap.String("replica", pcfg.ConnConfig.Host+":"+fmt.Sprint(pcfg.ConnConfig.Port)))
	return &service.ReadReplica{Pool: pool, Fresh: st.Fresh}, func() {
		cancel()
		<-done
		pool.Close()
	}, nil
}
