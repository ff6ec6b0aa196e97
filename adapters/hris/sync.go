package hris

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/userservice/userservice/app/command"
)

// SyncConfig configures the hris-sync role.
type SyncConfig struct {
	// TenantID is the tenant the HRIS feeds. Required.
	TenantID string
	// Schedule is a cron expression (5 fields, or @hourly, @every 6h, ...;
	// "CRON_TZ=Europe/Berlin 0 2 * * *" for a time zone). Required.
	Schedule string
	// DeactivateMissing deactivates active users with an external id that
	// the HRIS no longer lists.
	DeactivateMissing bool
	// Logger receives one line per sync. Default zap.NewNop().
	Logger *zap.Logger
}

// Validate reports every invalid field at once.
func (c SyncConfig) Validate() error {
	var errs []error
	if c.TenantID == "" {
		errs = append(errs, errors.New("hris sync: TenantID is empty"))
	}
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		errs = append(errs, fmt.Errorf("hris sync: Schedule %q: %w", c.Schedule, err))
	}
	return errors.Join(errs...)
}

// Sync is the hris-sync role.
type Sync struct {
	sync     command.SyncHRISHandler
	cfg      SyncConfig
	schedule cron.Schedule
	now      func() time.Time
}

// NewSync returns the role running sync on the schedule.
func NewSync(sync command.SyncHRISHandler, cfg SyncConfig) (*Sync, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	schedule, _ := cron.ParseStandard(cfg.Schedule) // validated
	return &Sync{sync: sync, cfg: cfg, schedule: schedule, now: time.Now}, nil
}

// Run syncs at every tick of the schedule until ctx is cancelled. A tick is
// the dedup key of its sync, so several hris-sync processes run it once; a
// tick missed while the process was down is not made up (the next one reads
// the full list anyway).
func (s *Sync) Run(ctx context.Context) error {
	for {
		tick := s.schedule.Next(s.now())
		t := time.NewTimer(time.Until(tick))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s.Once(ctx, tick)
	}
}

// Once runs the sync of one tick and logs how it went.
func (s *Sync) Once(ctx context.Context, tick time.Time) {
	key := "hris:" + s.cfg.TenantID + ":" + tick.UTC().Format(time.RFC3339)
	started, err := s.sync.Handle(ctx, command.SyncHRIS{TenantID: s.cfg.TenantID, DeactivateMissing: s.cfg.DeactivateMissing, DedupKey: key})
	log := s.cfg.Logger.With(zap.String("tenant_id", s.cfg.TenantID), zap.String("job_id", started.JobID))
	switch {
	case errors.Is(err, command.ErrImportExists):
		log.Debug("hris sync of this tick ran elsewhere", zap.Time("tick", tick))
	case err != nil:
		log.Error("hris sync failed", zap.Error(err))
	default:
		log.Info("hris sync queued", zap.Int("rows", started.Total))
	}
}
