package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// newHRISSync builds the hris-sync role: the HRIS's employees imported on
// HRIS_SCHEDULE. Without HRIS_URL it idles, so `--roles all` runs on the
// defaults.
func newHRISSync(cfg config.Config, application app.Application, log *zap.Logger) (roles.Runner, error) {
	if cfg.HRISURL == "" {
		return idle(log, "no HRIS configured (HRIS_URL empty): the hris-sync role is idle"), nil
	}
	return hris.NewSync(application.Commands.SyncHRIS, hris.SyncConfig{TenantID: cfg.HRISTenantID,
		Schedule: cfg.HRISSchedule, DeactivateMissing: cfg.HRISDeactivateMissing, Logger: log})
}

// idle is the runner of a role that has nothing to do in this configuration:
// it says why once and waits for shutdown.
func idle(log *zap.Logger, why string) roles.Runner {
	return roles.RunFunc(func(ctx context.Context) error {
		log.Warn(why)
		<-ctx.Done()
		return nil
	})
}
