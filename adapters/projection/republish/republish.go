// Package republish sends stored events to Kafka again, for a new
// subscriber or after a broker lost data: the same event ids and the same
// CloudEvents envelope, key and headers the outbox carried, so subscribers
// that de-duplicate by event id ignore what they already have.
package republish

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
)

// Config configures a Republisher.
type Config struct {
	// Topic is the Kafka topic to publish to. Default "users.events".
	Topic string
	// After is where to start in the gap-safe global order (exclusive);
	// zero means from the first event. Reader filters narrow it further
	// (FromSequence, Since, TenantID, Types).
	After projection.Position
	// Reader selects the events; it is always read raw: stored events are
	// published as they were first published, not upcast. Its BatchSize
	// defaults to 5000 here.
	Reader projection.ReaderConfig
	// Lanes is the number of publishers working at once. A user's events
	// always take the same lane, so they stay in order. Default 8.
	Lanes int
	// Progress, when set, is called after each batch read with the number
	// of events handed to the publishers so far.
	Progress func(published int64)
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = eventcontract.Topic
	}
	if c.Lanes == 0 {
		c.Lanes = 8
	}
	c.Reader.Raw = true
	if c.Reader.BatchSize == 0 {
		// Fewer, larger reads: each is one planned statement and round
		// trip, and the lanes publish while the next is read.
		c.Reader.BatchSize = 5000
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Lanes < 1 {
		errs = append(errs, fmt.Errorf("lanes must be positive, got %d", c.Lanes))
	}
	if c.After.TransactionID < 0 || c.After.Sequence < 0 {
		errs = append(errs, fmt.Errorf("position %s is negative", c.After))
	}
	return errors.Join(errs...)
}

// Result is what a run republished.
type Result struct {
	Events int64
	// Last is the position reached: a later run started after it (Config.
	// After) continues without a gap.
	Last    projection.Position
	Elapsed time.Duration
}

// Republisher reads stored events in the gap-safe global order and
// publishes them.
type Republisher struct {
	pool      *pgxpool.Pool
	publisher message.Publisher
	reader    *projection.Reader
	cfg       Config
}

// New returns a republisher reading pool and publishing with publisher (a
// Kafka publisher that keys records by the "partition_key" metadata).
func New(pool *pgxpool.Pool, publisher message.Publisher, cfg Config) (*Republisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("republish config: %w", err)
	}
	if pool == nil || publisher == nil {
		return nil, errors.New("republish: nil pool or publisher")
	}
	reader, err := projection.NewReader(cfg.Reader)
	if err != nil {
		return nil, err
	}
	return &Republisher{pool: pool, publisher: publisher, reader: reader, cfg: cfg}, nil
}

// Run publishes every selected event committed when it reaches it, and
// returns once Kafka has acknowledged them all.
//
// One goroutine reads batches and deals each batch's events to the lanes
// by user id; each lane turns its events into messages (the envelope's
// JSON encoding was a third of a run's CPU, done on the reading goroutine
// before) and publishes them, so reading the next batch, encoding and
// publishing overlap, and a user's events keep their order in their lane.
func (r *Republisher) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	res := Result{Last: r.cfg.After}
	g, gctx := errgroup.WithContext(ctx)
	lanes := make([]chan []projection.Event, r.cfg.Lanes)
	for i := range lanes {
		lanes[i] = make(chan []projection.Event, laneBacklog)
		g.Go(func() error { return r.publish(gctx, lanes[i]) })
	}
	g.Go(func() error {
		defer func() {
			for _, l := range lanes {
				close(l)
			}
		}()
		for {
			events, next, err := r.reader.Next(gctx, r.pool, res.Last)
			if err != nil {
				return err
			}
			dealt := make([][]projection.Event, len(lanes))
			for _, e := range events {
				i := lane(e, len(lanes))
				dealt[i] = append(dealt[i], e)
			}
			for i, part := range dealt {
				if len(part) == 0 {
					continue
				}
				select {
				case lanes[i] <- part:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			res.Events += int64(len(events))
			res.Last = next
			if r.cfg.Progress != nil {
				r.cfg.Progress(res.Events)
			}
			if len(events) < r.reader.BatchSize() {
				return nil
			}
		}
	})
	err := g.Wait()
	res.Elapsed = time.Since(start)
	return res, err
}

// laneBacklog is how many dealt parts of batches a lane holds before the
// reader waits for it; maxPublish bounds the messages of one Publish call.
const (
	laneBacklog = 4
	maxPublish  = 2048
)

// publish encodes and sends a lane's events in order, as many at a time as
// are waiting (the publisher keeps a call's messages in order per key).
func (r *Republisher) publish(ctx context.Context, lane <-chan []projection.Event) error {
	for part := range lane {
		var msgs []*message.Message
		var err error
		if msgs, err = r.messages(ctx, msgs, part); err != nil {
			return err
		}
	more:
		for len(msgs) < maxPublish {
			select {
			case part, ok := <-lane:
				if !ok {
					break more
				}
				if msgs, err = r.messages(ctx, msgs, part); err != nil {
					return err
				}
			default:
				break more
			}
		}
		if err := r.publisher.Publish(r.cfg.Topic, msgs...); err != nil {
			return fmt.Errorf("publish to %s: %w", r.cfg.Topic, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// messages appends the outbox messages of events to msgs: each event's,
// and an erased user's tombstone after their user.erased.
func (r *Republisher) messages(ctx context.Context, msgs []*message.Message, events []projection.Event) ([]*message.Message, error) {
	for _, e := range events {
		msg, err := postgres.OutboxMessage(ctx, e)
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, msg)
		if t, ok := postgres.TombstoneMessage(ctx, e); ok {
			msgs = append(msgs, t)
		}
	}
	return msgs, nil
}

func lane(e projection.Event, lanes int) int {
	h := fnv.New32a()
	_, _ = h.Write(e.StreamID[:])
	return int(h.Sum32() % uint32(lanes))
}
