package messages

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"golang.org/x/time/rate"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Source is one place import messages come from.
type Source struct {
	// Name names the source's handlers in logs ("postgres", "kafka").
	Name       string
	Subscriber message.Subscriber
	Topic      string
	// Consumers is how many handlers subscribe: parallel consumers of the
	// PostgreSQL queue, or group members of a Kafka topic. Default 4.
	Consumers int
	// Admitted says the subscriber asks the router's Yield itself, before it
	// takes a message (the PostgreSQL queue does, so that no consumer waits
	// for its turn inside the transaction holding its row): the router
	// does not ask again for this source's messages.
	Admitted bool
}

// ImportRouterConfig configures the importer role's router.
type ImportRouterConfig struct {
	// Sources are consumed side by side. Required: the PostgreSQL import
	// queue, and with Kafka configured also the Kafka import topic.
	Sources []Source
	// Requeue publishes to the PostgreSQL import queue, where rows wait
	// (with watermill's delay metadata) for their manager's row or for
	// their next attempt after a transient failure. Required.
	Requeue message.Publisher
	// RequeueTopic is the topic of Requeue. Default "imports".
	RequeueTopic string
	// QuickRetries are retries in place, for blips; they keep the consumer's
	// transaction open, so they are few and short. Default 2, from
	// QuickRetryInterval (default 100ms) doubling.
	QuickRetries       int
	QuickRetryInterval time.Duration
	// MaxAttempts bounds the attempts of a row with transient failures:
	// each failed attempt requeues the row for RetryDelay (doubling up to
	// MaxRetryDelay); after the last the row is parked in the poison queue.
	// Defaults 8, 1s and 1m.
	MaxAttempts   int
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// RowsPerSecond is the importer's budget: a chunk waits for its rows'
	// share before it is applied (0: no budget). An import then takes the
	// database's capacity only up to it, and the API keeps the rest.
	RowsPerSecond int
	// Yield, when set, admits each message of a source that is not
	// Admitted, after the budget (APIFirst: the API first). Nil: every
	// message goes ahead.
	Yield Yield
	// CloseTimeout bounds the wait for in-flight rows on shutdown. Default 15s.
	CloseTimeout time.Duration
	// StaleAfter is how long a job may stay unsealed (its rows still being
	// queued) before the router fails it as abandoned; checked every
	// StaleCheckInterval. Defaults 1h and 1m. Needs Commands.FailStaleImports.
	StaleAfter         time.Duration
	StaleCheckInterval time.Duration
	Logger             watermill.LoggerAdapter
}

func (c *ImportRouterConfig) setDefaults() {
	if c.RequeueTopic == "" {
		c.RequeueTopic = "imports"
	}
	for i := range c.Sources {
		if c.Sources[i].Consumers == 0 {
			c.Sources[i].Consumers = 4
		}
	}
	setDefault(&c.QuickRetries, 2)
	setDefault(&c.QuickRetryInterval, 100*time.Millisecond)
	setDefault(&c.MaxAttempts, 8)
	setDefault(&c.RetryDelay, time.Second)
	setDefault(&c.MaxRetryDelay, time.Minute)
	setDefault(&c.CloseTimeout, 15*time.Second)
	setDefault(&c.StaleAfter, time.Hour)
	setDefault(&c.StaleCheckInterval, time.Minute)
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every invalid field at once.
func (c ImportRouterConfig) Validate() error {
	var errs []error
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("import router: no Sources"))
	}
	for i, s := range c.Sources {
		if s.Subscriber == nil || s.Topic == "" || s.Consumers < 1 {
			errs = append(errs, fmt.Errorf("import router: Sources[%d] needs a Subscriber, a Topic and Consumers >= 1", i))
		}
	}
	if c.Requeue == nil {
		errs = append(errs, errors.New("import router: Requeue is nil"))
	}
	if c.QuickRetries < 0 || c.QuickRetryInterval <= 0 {
		errs = append(errs, errors.New("import router: QuickRetries must not be negative, QuickRetryInterval must be positive"))
	}
	if c.MaxAttempts < 1 || c.RetryDelay <= 0 || c.MaxRetryDelay < c.RetryDelay {
		errs = append(errs, errors.New("import router: MaxAttempts and RetryDelay must be positive, MaxRetryDelay at least RetryDelay"))
	}
	if c.RowsPerSecond < 0 {
		errs = append(errs, errors.New("import router: RowsPerSecond must not be negative"))
	}
	if c.CloseTimeout <= 0 || c.StaleAfter <= 0 || c.StaleCheckInterval <= 0 {
		errs = append(errs, errors.New("import router: CloseTimeout, StaleAfter and StaleCheckInterval must be positive"))
	}
	return errors.Join(errs...)
}

// ImportRouter is the importer role: it applies import messages.
type ImportRouter struct {
	app    app.Application
	cfg    ImportRouterConfig
	log    watermill.LoggerAdapter
	budget *rate.Limiter // nil: no budget
}

// NewImportRouter returns the importer role's router over the application.
func NewImportRouter(application app.Application, cfg ImportRouterConfig) (*ImportRouter, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &ImportRouter{app: application, cfg: cfg, log: cfg.Logger}
	if cfg.RowsPerSecond > 0 {
		// A burst of one second's budget, and at least a whole chunk.
		r.budget = rate.NewLimiter(rate.Limit(cfg.RowsPerSecond), max(cfg.RowsPerSecond, ChunkRows))
	}
	return r, nil
}

// Run consumes until ctx is cancelled, then finishes the rows in flight.
func (r *ImportRouter) Run(ctx context.Context) error {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: r.cfg.CloseTimeout}, r.log)
	if err != nil {
		return err
	}
	poison, err := middleware.PoisonQueueWithFilter(parkingPublisher{park: r.app.Commands.ParkImportRow}, "imports_parked",
		func(err error) bool { return errors.Is(err, errAttemptsExhausted) })
	if err != nil {
		return err
	}
	quick := middleware.Retry{MaxRetries: r.cfg.QuickRetries, InitialInterval: r.cfg.QuickRetryInterval,
		MaxInterval: 4 * r.cfg.QuickRetryInterval, Multiplier: 2, Logger: r.log,
		ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, errUndecodable) }}
	// Outermost first: park what exhausted its attempts; requeue what
	// failed for a later attempt; retry blips in place; turn panics into errors.
	router.AddMiddleware(poison, r.retryLater, quick.Middleware, middleware.Recoverer)
	for _, s := range r.cfg.Sources {
		for i := range s.Consumers {
			handle := r.handle
			if s.Admitted {
				handle = r.handleAdmitted
			}
			router.AddConsumerHandler("import-"+s.Name+"-"+strconv.Itoa(i), s.Topic, s.Subscriber, handle)
		}
	}
	// The stale-job loop is stopped and waited for on every way out, so
	// Run returns only when none of its goroutines is left (a FailStaleImports
	// statement in flight is cancelled, not abandoned).
	staleCtx, stopStale := context.WithCancel(ctx)
	var stale sync.WaitGroup
	stale.Go(func() { r.failStaleJobs(staleCtx) })
	defer stale.Wait()
	defer stopStale()
	err = router.Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// handle applies one row or a chunk. Rejections are recorded by the use
// case (not errors); a row waiting for its manager goes back to the queue
// for later.
func (r *ImportRouter) handle(msg *message.Message) error {
	return r.handleWith(msg, r.cfg.Yield)
}

// handleAdmitted handles a message its subscriber already admitted.
func (r *ImportRouter) handleAdmitted(msg *message.Message) error {
	return r.handleWith(msg, nil)
}

func (r *ImportRouter) handleWith(msg *message.Message, yield Yield) error {
	rows, chunk, err := decodeMessage(msg)
	if err != nil {
		// Retrying cannot make it readable and it names no row to park.
		r.log.Error("import message dropped", err, watermill.LogFields{"message_uuid": msg.UUID})
		return nil
	}
	if r.budget != nil {
		if err := r.budget.WaitN(msg.Context(), min(len(rows), r.budget.Burst())); err != nil {
			return err
		}
	}
	if yield != nil {
		release, err := yield.Admit(msg.Context())
		if err != nil {
			return err
		}
		defer release()
	}
	if chunk {
		return r.handleChunk(msg, rows)
	}
	row := rows[0]
	res, err := r.app.Commands.ImportUserRow.Handle(msg.Context(), row)
	var deferred *command.DeferredError
	switch {
	case errors.As(err, &deferred):
		row.Deferrals++
		return r.requeue(msg, row, attempts(msg), deferred.Delay)
	case errors.Is(err, query.ErrImportNotFound):
		r.log.Error("import message of an unknown job dropped", err, fields(row))
		return nil
	case err != nil:
		return err
	}
	r.log.Trace("import row handled", fields(row).Add(watermill.LogFields{"outcome": res.Outcome, "duplicate": res.Duplicate}))
	return nil
}

func fields(row command.ImportUserRow) watermill.LogFields {
	return watermill.LogFields{"job_id": row.JobID, "tenant_id": row.TenantID, "row": row.Row}
}

// handleChunk applies a chunk in one transaction. Rows that wait for their
// manager are queued again on their own. A chunk that fails (a transient
// error of one row, seats that do not all fit) has changed nothing: its
// rows are queued again one by one, and each is then retried, parked or
// rejected on its own, as rows always were. Rows a redelivered chunk
// applied before are recognised by their outcome and not applied again.
func (r *ImportRouter) handleChunk(msg *message.Message, rows []command.ImportUserRow) error {
	res, err := r.app.Commands.ImportUserRows.Handle(msg.Context(), command.ImportUserRows{Rows: rows})
	switch {
	case errors.Is(err, query.ErrImportNotFound):
		r.log.Error("import chunk of an unknown job dropped", err, fields(rows[0]))
		return nil
	case err != nil:
		r.log.Info("import chunk applied row by row after a failure", fields(rows[0]).Add(watermill.LogFields{
			"rows": len(rows), "error": err.Error()}))
		return r.requeueRows(msg, undelayed(rows), false)
	}
	r.log.Trace("import chunk handled", fields(rows[0]).Add(watermill.LogFields{"rows": len(rows), "deferred": len(res.Deferred)}))
	return r.requeueRows(msg, res.Deferred, true)
}

// undelayed are rows to queue again now.
func undelayed(rows []command.ImportUserRow) []command.DeferredRow {
	out := make([]command.DeferredRow, len(rows))
	for i, row := range rows {
		out[i] = command.DeferredRow{Row: row}
	}
	return out
}

// requeueRows queues rows again, in one publish. Rows that wait for their
// manager's row (deferred) go back together, as chunks of up to ChunkRows,
// due after the longest of their delays: they are applied set-wise again,
// never one by one. Rows of a failed chunk go back as row messages, each
// retried (then parked) on its own.
func (r *ImportRouter) requeueRows(orig *message.Message, rows []command.DeferredRow, deferred bool) error {
	if len(rows) == 0 {
		return nil
	}
	var msgs []*message.Message
	add := func(m *message.Message, delay time.Duration) {
		if delay > 0 {
			m.Metadata.Set(delayedUntilKey, time.Now().Add(delay).UTC().Format(time.RFC3339Nano))
		}
		m.SetContext(orig.Context())
		msgs = append(msgs, m)
	}
	if deferred {
		for len(rows) > 0 {
			n := min(len(rows), ChunkRows)
			group := make([]command.ImportUserRow, n)
			var delay time.Duration
			for i, d := range rows[:n] {
				d.Row.Deferrals++
				group[i], delay = d.Row, max(delay, d.Delay)
			}
			m, err := encodeWaitingRows(group)
			if err != nil {
				return err
			}
			add(m, delay)
			rows = rows[n:]
		}
	} else {
		for _, d := range rows {
			m, err := encodeRow(d.Row)
			if err != nil {
				return err
			}
			add(m, d.Delay)
		}
	}
	if err := r.cfg.Requeue.Publish(r.cfg.RequeueTopic, msgs...); err != nil {
		return fmt.Errorf("requeue %d import rows: %w", len(rows), err)
	}
	return nil
}
