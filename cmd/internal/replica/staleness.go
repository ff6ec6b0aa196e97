// Package replica measures how stale a PostgreSQL streaming replica is, so
// that list reads go to it only within a staleness bound
// (DATABASE_READ_MAX_LAG) and to the primary otherwise.
package replica

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Config configures a Staleness.
type Config struct {
	// MaxLag is the staleness bound: Fresh is true only while the replica
	// has replayed everything the primary had written MaxLag ago. Required.
	MaxLag time.Duration
	// Interval is how often both servers are asked; default MaxLag/4, at
	// most one second. The bound holds to within one interval.
	Interval time.Duration
	// Registerer receives userservice_read_replica_staleness_seconds and
	// userservice_read_replica_fresh; nil registers nothing.
	Registerer prometheus.Registerer
	Logger     *zap.Logger
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = min(c.MaxLag/4, time.Second)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxLag <= 0 {
		errs = append(errs, errors.New("replica: MaxLag must be positive"))
	}
	if c.Interval < 0 {
		errs = append(errs, errors.New("replica: Interval must not be negative"))
	}
	return errors.Join(errs...)
}

// sample is the primary's WAL position at a moment.
type sample struct {
	at  time.Time
	lsn int64
}

// Staleness measures the replica's staleness without any privilege (no
// pg_stat_replication, which needs pg_monitor): every interval it notes the
// primary's WAL position and time, then asks the replica how far it has
// replayed. The replica is then at least as fresh as the newest noted
// position it has replayed, so now minus that sample's time bounds its
// staleness from above. A quiet primary writes nothing, so its position
// stays replayed and the replica counts as fresh, which it is. Replay
// timestamps (pg_last_xact_replay_timestamp) would read "stale" on a quiet
// primary and "fresh" on a replica cut off from it; positions do neither.
type Staleness struct {
	primary, replica *pgxpool.Pool
	cfg              Config

	mu        sync.Mutex
	samples   []sample // oldest first, pruned past the newest replayed one
	staleness time.Duration
	measured  time.Time // when staleness was last computed; zero: never

	gauge prometheus.Gauge
	fresh prometheus.Gauge
}

// New returns a Staleness of replica behind primary; Run measures.
func New(primary, replica *pgxpool.Pool, cfg Config) (*Staleness, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if primary == nil || replica == nil {
		return nil, errors.New("replica: nil pool")
	}
	s := &Staleness{primary: primary, replica: replica, cfg: cfg,
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "userservice_read_replica_staleness_seconds",
			Help: "Upper bound of the read replica's staleness: the age of the newest primary WAL position it has replayed (-1: unknown)."}),
		fresh: prometheus.NewGauge(prometheus.GaugeOpts{Name: "userservice_read_replica_fresh",
			Help: "1 while list reads go to the replica (staleness within DATABASE_READ_MAX_LAG), 0 while they go to the primary."}),
	}
	s.gauge.Set(-1)
	if cfg.Registerer != nil {
		if err := errors.Join(cfg.Registerer.Register(s.gauge), cfg.Registerer.Register(s.fresh)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Fresh reports whether a list read may go to the replica now: its last
// measured staleness is within the bound, and that measurement is recent (a
// replica that stopped answering is not fresh).
func (s *Staleness) Fresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.freshLocked(time.Now())
}

func (s *Staleness) freshLocked(now time.Time) bool {
	if s.measured.IsZero() {
		return false
	}
	// The staleness grows while nobody measures it.
	return s.staleness+now.Sub(s.measured) <= s.cfg.MaxLag
}

// Staleness is the last measured upper bound and whether there is one.
func (s *Staleness) Staleness() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.staleness, !s.measured.IsZero()
}

// Run measures every interval until ctx ends.
func (s *Staleness) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		err := s.measure(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			s.cfg.Logger.Warn("cannot measure the read replica's staleness: list reads go to the primary", zap.Error(err))
			failing = true
		case err == nil && failing:
			s.cfg.Logger.Info("the read replica answers again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// measure takes one primary sample and one replica reading.
func (s *Staleness) measure(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(s.cfg.Interval, time.Second))
	defer cancel()
	var p sample
	p.at = time.Now()
	if err := s.primary.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&p.lsn); err != nil {
		s.publish()
		return err
	}
	var replayed *int64
	if err := s.replica.QueryRow(ctx, `SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&replayed); err != nil {
		s.publish()
		return err
	}
	if replayed == nil {
		s.publish()
		return errors.New("the read replica is not a standby (pg_last_wal_replay_lsn is null)")
	}
	now := time.Now()
	s.mu.Lock()
	s.samples = append(s.samples, p)
	newest := -1
	for i, smp := range s.samples {
		if smp.lsn <= *replayed {
			newest = i
		}
	}
	if newest >= 0 {
		s.staleness, s.measured = now.Sub(s.samples[newest].at), now
		s.samples = s.samples[newest:]
	} else if len(s.samples) > 0 {
		// Nothing noted is replayed yet: at least as stale as the oldest.
		s.staleness, s.measured = now.Sub(s.samples[0].at), now
	}
	s.mu.Unlock()
	s.publish()
	return nil
}

// publish sets the gauges from the current state.
func (s *Staleness) publish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.measured.IsZero() {
		s.gauge.Set(-1)
	} else {
		s.gauge.Set(s.staleness.Seconds())
	}
	if s.freshLocked(time.Now()) {
		s.fresh.Set(1)
	} else {
		s.fresh.Set(0)
	}
}
