package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/domain/user"
)

// RebuildConfig configures a Rebuilder.
type RebuildConfig struct {
	// TenantID, when set, rebuilds only that tenant's part of the model.
	TenantID string
	// Opener decrypts the events' personal fields (ReaderConfig.Opener).
	Opener Opener
	// Verify compares the rebuilt model with the live one and reports the
	// differences instead of swapping; the live model is left alone.
	Verify bool
	// BatchSize is the number of events per bulk-load and catch-up
	// transaction. Default 5000.
	BatchSize int
	// LockTimeout bounds each wait for the lock that keeps the live
	// model's writers out during the swap; when it passes, the rebuild
	// catches up again and retries. Default 2s.
	LockTimeout time.Duration
	// SwapAttempts is how often the swap may find that lock busy before
	// the rebuild gives up (keeping the shadow for a re-run). Default 10.
	SwapAttempts int
	// Progress, when set, receives progress reports: at most one per
	// ProgressInterval (default 1s), and one at the end of each phase. It
	// is called from the rebuild's own goroutines, one call at a time, and
	// holds the rebuild up while it runs.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

func (c *RebuildConfig) setDefaults() {
	// One spelling per tenant: the scope names the shadow and the lock.
	if id, err := user.ParseID(c.TenantID); err == nil {
		c.TenantID = id.String()
	}
	setDefault(&c.BatchSize, 5000)
	setDefault(&c.LockTimeout, 2*time.Second)
	setDefault(&c.SwapAttempts, 10)
	setDefault(&c.ProgressInterval, time.Second)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem of the configuration at once.
func (c RebuildConfig) Validate() error {
	var errs []error
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size must be positive, got %d", c.BatchSize))
	}
	if _, err := user.ParseID(c.TenantID); c.TenantID != "" && err != nil {
		errs = append(errs, fmt.Errorf("tenant id %q is not a UUID", c.TenantID))
	}
	if c.LockTimeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("lock timeout must be at least 1ms, got %s", c.LockTimeout))
	}
	if c.SwapAttempts < 1 {
		errs = append(errs, fmt.Errorf("swap attempts must be positive, got %d", c.SwapAttempts))
	}
	if c.ProgressInterval < 0 {
		errs = append(errs, fmt.Errorf("progress interval must not be negative, got %s", c.ProgressInterval))
	}
	return errors.Join(errs...)
}

// RebuildResult is what a rebuild did.
type RebuildResult struct {
	// Resumed is true when the run picked up an interrupted one.
	Resumed bool
	// BulkEvents and BulkRows are what this run's bulk load read and
	// wrote, in BulkElapsed.
	BulkEvents, BulkRows int64
	BulkElapsed          time.Duration
	// CatchUpEvents counts the events written meanwhile and applied after.
	CatchUpEvents int64
	// Differences are, with Verify, every difference between the rebuilt
	// and the live model; otherwise those found before the swap, which
	// the swap repaired.
	Differences []Difference
	// Restored counts the missing live rows copied in before the lock;
	// Deleted and Inserted the live rows the swap replaced under it.
	Restored          int
	Deleted, Inserted int
	// LockHeld is how long the live model's writers were kept out.
	LockHeld time.Duration
	Elapsed  time.Duration
}

// Rebuilder rebuilds a read model from the event store while the service
// keeps writing: a bulk load of every stream into the target's shadow, under
// one snapshot; a catch-up of the events written meanwhile, through the
// gap-safe reader; a comparison with the live model, without a lock; the
// copy of the rows the live model lacks (they cannot change while missing);
// then, with the live model's writers locked out, a last catch-up and the
// swap of the rows that still differ. Every step commits its progress, so
// an interrupted rebuild resumes where it stopped; an advisory lock lets one
// rebuild of a read model and scope run at a time. A Rebuilder runs once at
// a time.
type Rebuilder struct {
	pool   *pgxpool.Pool
	target Target
	cfg    RebuildConfig
	reader *Reader
	meter  *meter
	key    rebuildKey
	// touched collects the streams catch-ups changed since the last diff.
	touched map[user.ID]struct{}
}

// NewRebuilder returns a rebuilder of target.
func NewRebuilder(pool *pgxpool.Pool, target Target, cfg RebuildConfig) (*Rebuilder, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("rebuild config: %w", err)
	}
	if pool == nil || target == nil {
		return nil, errors.New("NewRebuilder: nil pool or target")
	}
	// The advisory lock, the snapshot read and the shadow writes each hold
	// a connection at once: with fewer, the bulk load would wait for ever.
	if n := pool.Config().MaxConns; n < 3 {
		return nil, fmt.Errorf("NewRebuilder: the pool allows %d connections, a rebuild needs 3", n)
	}
	reader, err := NewReader(ReaderConfig{TenantID: cfg.TenantID, BatchSize: cfg.BatchSize, Opener: cfg.Opener})
	if err != nil {
		return nil, err
	}
	return &Rebuilder{pool: pool, target: target, cfg: cfg, reader: reader,
		meter: newMeter(cfg.Progress, cfg.ProgressInterval), key: rebuildKey{Projection: target.Name(), Scope: cfg.TenantID},
		touched: map[user.ID]struct{}{}}, nil
}

// Run rebuilds, then swaps or (Verify) compares. It fails with
// ErrRebuildRunning when another rebuild of the target runs.
func (r *Rebuilder) Run(ctx context.Context) (res RebuildResult, err error) {
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	clear(r.touched)
	release, err := lockRebuild(ctx, r.pool, r.key)
	if err != nil {
		return res, err
	}
	defer release()

	state, err := r.resumable(ctx)
	if err != nil {
		return res, err
	}
	res.Resumed = state != nil
	if state == nil || !state.BulkDone {
		if err := r.bulk(ctx, state, &res); err != nil {
			return res, err
		}
	}
	follower, err := r.follower()
	if err != nil {
		return res, err
	}
	if err := r.catchUp(ctx, follower, &res); err != nil {
		return res, err
	}
	if r.cfg.Verify {
		if res.Differences, err = r.diff(ctx); err != nil {
			return res, err
		}
		return res, clearRebuild(ctx, r.pool, r.target, r.key.Scope)
	}
	if err := r.swap(ctx, follower, &res); err != nil {
		return res, err
	}
	return res, clearRebuild(ctx, r.pool, r.target, r.key.Scope)
}

// resumable returns the state an interrupted rebuild left, or nil after
// clearing any rows it left without a state.
func (r *Rebuilder) resumable(ctx context.Context) (*rebuildState, error) {
	state, err := loadRebuildState(ctx, r.pool, r.key)
	if err != nil || state != nil {
		return state, err
	}
	return nil, clearRebuild(ctx, r.pool, r.target, r.key.Scope)
}

func (r *Rebuilder) follower() (*Follower, error) {
	// A stream is marked as soon as the shadow changes, before the commit:
	// a batch that then fails marks more than it changed, never less.
	shadow := shadowProjection{target: r.target, tenantID: r.key.Scope, changed: r.touch}
	return NewFollower(r.pool, shadow, rebuildCheckpoint(r.key), FollowerConfig{
		// The catch-up reads sealed events too (chaos: a replay --verify of
		// an encrypting service failed with ErrNoKeys once events came after
		// the bulk read's snapshot).
		Reader:    ReaderConfig{TenantID: r.cfg.TenantID, BatchSize: r.cfg.BatchSize, Opener: r.cfg.Opener},
		OnApplied: func(events []Event) { r.meter.add(len(events)) },
	})
}

// touch marks streams whose shadow rows changed since the last diff.
func (r *Rebuilder) touch(ids []user.ID) {
	for _, id := range ids {
		r.touched[id] = struct{}{}
	}
}

func (r *Rebuilder) catchUp(ctx context.Context, f *Follower, res *RebuildResult) error {
	r.meter.begin(PhaseCatchUp, 0, 0)
	n, err := f.CatchUp(ctx)
	res.CatchUpEvents += int64(n)
	r.meter.end()
	return err
}
