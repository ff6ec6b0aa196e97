package relay

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/postgres"
)

// errNotOwner: another relay of the consumer group owns the shard.
var errNotOwner = errors.New("another relay owns the shard")

// row is one outbox row: its position and its message.
type row struct {
	tx     string // transaction_id (xid8), as text
	offset int64
	msg    *message.Message
}

// shardRelay relays one outbox shard for one consumer group.
type shardRelay struct {
	r       *Relay
	shard   int
	label   string
	wake    <-chan struct{}
	nudge   <-chan struct{} // any shard's wake-up (wakeup.go)
	table   string
	offsets string
}

func newShardRelay(r *Relay, shard int, wake <-chan struct{}) *shardRelay {
	t := postgres.OutboxTopic(shard)
	return &shardRelay{r: r, shard: shard, label: itoa(shard), wake: wake,
		table: "watermill_" + t, offsets: "watermill_offsets_" + t}
}

// run owns and relays the shard until ctx ends: a relay that is not the
// owner checks again every poll interval (a hot standby), one that lost its
// connection backs off and starts over.
func (s *shardRelay) run(ctx context.Context) {
	s.r.metrics.owned.WithLabelValues(s.label).Set(0)
	b := backoff{retry: s.r.cfg.RetryInterval, maxRetry: s.r.cfg.MaxRetryInterval}
	for ctx.Err() == nil {
		err := s.own(ctx, &b)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errNotOwner):
			b.reset()
			sleep(ctx, s.r.cfg.PollInterval)
		default:
			wait := b.next()
			s.r.logger.Error("outbox shard relay failed", err, watermill.LogFields{"shard": s.shard, "retry_in": wait.String()})
			sleep(ctx, wait)
		}
	}
}

// own takes the shard's ownership lock on a connection of its own and
// relays until an error; the lock goes with the connection.
func (s *shardRelay) own(ctx context.Context, b *backoff) error {
	conn, err := s.r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var owner bool
	// Session-level: held between statements, never inside a transaction.
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1), $2)`, s.r.cfg.ConsumerGroup, s.shard).Scan(&owner); err != nil {
		return err
	}
	if !owner {
		return errNotOwner
	}
	s.r.metrics.owned.WithLabelValues(s.label).Set(1)
	defer func() {
		s.r.metrics.owned.WithLabelValues(s.label).Set(0)
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtext($1), $2)`, s.r.cfg.ConsumerGroup, s.shard)
		if err == nil {
			_, err = conn.Exec(uctx, `RESET synchronous_commit; RESET application_name`)
		}
		if err != nil {
			_ = conn.Conn().Close(uctx) // a pooled connection must not keep the lock
		}
	}()
	// An acknowledgement lost in a crash only publishes its batch again
	// (at-least-once): it need not wait for the WAL flush.
	// Its acknowledgements write no outbox row: other shards need not wait
	// for them (settledBound).
	if _, err := conn.Exec(ctx, `SET synchronous_commit TO off; SET application_name TO '`+relayAppName+`'`); err != nil {
		return err
	}
	// A group new to the shard starts at its beginning, as watermill-sql's does.
	if _, err := conn.Exec(ctx, `INSERT INTO `+s.offsets+` (consumer_group, offset_acked, last_processed_transaction_id)
		VALUES ($1, 0, '0') ON CONFLICT (consumer_group) DO NOTHING`, s.r.cfg.ConsumerGroup); err != nil {
		return err
	}
	var pos row
	if err := conn.QueryRow(ctx, `SELECT coalesce(offset_acked, 0), last_processed_transaction_id::text FROM `+s.offsets+
		` WHERE consumer_group = $1`, s.r.cfg.ConsumerGroup).Scan(&pos.offset, &pos.tx); err != nil {
		return err
	}
	// Parking writes go through the pool: the shard's connection is busy
	// reading the next batch while this one publishes.
	return s.relay(ctx, conn, postgres.NewOutboxParking(s.r.pool), pos, b)
}

// relay is the shard's loop, pipelined: while a batch publishes, the next
// one is read (with the previous batch's acknowledgement in the same round
// trip), so a cycle costs the longer of the publish and the read, not
// their sum. Order holds: a batch is published only after every message of
// the one before it was acknowledged by Kafka or parked, and a batch is
// acknowledged only after it was published. The acknowledgement trails the
// publish by one round trip, so a crash publishes at most one batch again.
func (s *shardRelay) relay(ctx context.Context, conn *pgxpool.Conn, parking *postgres.OutboxParking, pos row, b *backoff) error {
	var (
		ack      *row            // published, not yet acknowledged
		parked   map[string]bool // keys parked: as last read, plus those parked since
		heldWait time.Duration
		held     heldClock
		next     chan fetched // the read in flight, if any
	)
	start := func(pos row) { // the pending acknowledgement goes with it
		a, ch := ack, make(chan fetched, 1)
		ack, next = nil, ch
		go func() {
			t := time.Now()
			f := s.fetch(ctx, conn, pos, a)
			s.r.metrics.readSeconds.Observe(time.Since(t).Seconds())
			ch <- f
		}()
	}
	// The connection must be free when this returns: it goes back to the pool.
	defer func() {
		if next != nil {
			<-next
		}
	}()
	start(pos)
	for ctx.Err() == nil {
		f := <-next
		next = nil
		if f.err != nil {
			return f.err
		}
		parked = union(parked, f.parked)
		if len(f.batch) == 0 {
			// Rows past the position that the read may not take yet wait
			// for an older transaction in this database to end: look again
			// soon (1 ms, doubling up to maxHeldWait), or at the next
			// wake-up of any shard (that transaction's commit may have sent
			// it), not at the next poll, so the delay is the other
			// transaction's, not the poll's. Only while the wait is short:
			// behind a long transaction, every commit anywhere would
			// otherwise make every shard read again.
			wait := s.r.cfg.PollInterval
			if f.held {
				held.start()
				heldWait = min(max(2*heldWait, time.Millisecond), maxHeldWait, s.r.cfg.PollInterval)
				wait = heldWait
			}
			waitForWork(ctx, s.wake, s.nudge, f.held && heldWait <= maxNudgedWait, wait)
			start(pos)
			continue
		}
		heldWait = 0
		held.stop(s.r.metrics.heldSeconds)
		last := f.batch[len(f.batch)-1]
		start(last)
		t := time.Now()
		if err := s.publish(ctx, parking, f.batch, parked, b); err != nil {
			return err
		}
		s.r.metrics.publishSeconds.Observe(time.Since(t).Seconds())
		ack, pos = &last, last
		// The read started before this publish could not carry its
		// acknowledgement. If it found nothing, acknowledge now rather than
		// after the coming wait: the position is what lag metrics, the
		// drain check and a standby taking over see.
		f2 := <-next
		if f2.err == nil && len(f2.batch) == 0 {
			parked = union(parked, f2.parked)
			start(pos)
			continue
		}
		next = make(chan fetched, 1)
		next <- f2
	}
	return nil
}

// heldClock times a shard's held waits: from the first read that found
// its next rows held back to the read that returned rows.
type heldClock struct{ since time.Time }

func (c *heldClock) start() {
	if c.since.IsZero() {
		c.since = time.Now()
	}
}

func (c *heldClock) stop(h prometheus.Histogram) {
	if !c.since.IsZero() {
		h.Observe(time.Since(c.since).Seconds())
		c.since = time.Time{}
	}
}

// maxHeldWait bounds the wait for a transaction that holds rows back: one
// that wrote no outbox row sends no wake-up when it ends.
const maxHeldWait = 16 * time.Millisecond

// maxNudgedWait is the longest held wait that any shard's wake-up cuts short.
const maxNudgedWait = 4 * time.Millisecond

// union adds b's keys to a (either may be nil) and returns it.
func union(a, b map[string]bool) map[string]bool {
	if a == nil {
		a = map[string]bool{}
	}
	for k := range b {
		a[k] = true
	}
	return a
}

// settledBound is the transaction id below which every transaction that
// could have written the outbox has ended, as the statement's snapshot
// sees it: the oldest transaction still running in THIS database, or the
// snapshot's xmax when none is. The stock bound, the snapshot's xmin, is
// cluster-wide: a transaction open in any other database of the cluster
// (another service, a test, a migration) held every outbox row committed
// after it began out of the relay's sight for as long as it ran, though it
// cannot write these tables. A running transaction counts as another
// database's only when pg_stat_activity says so for its id (transaction
// ids are never reused, so a stale view cannot mislead); anything else
// (an id that just ended, a prepared transaction, a session the relay's
// role may not see) keeps holding the rows back, as before.
//
// The relay's own transactions (acknowledgements, cleanup) write no outbox
// row either, and are passed over the same way: their sessions carry
// relayAppName while they run. Cleanup's DELETE of thousands of rows held
// every shard back for its tens of milliseconds, once a minute.
const settledBound = `WITH c AS (SELECT pg_current_snapshot() AS snap)
	SELECT coalesce((SELECT min(x) FROM pg_snapshot_xip(c.snap) x WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
		WHERE a.backend_xid = xid(x) AND (a.datname <> current_database() OR a.application_name = '` + relayAppName + `'))),
		pg_snapshot_xmax(c.snap)) FROM c`

// relayAppName marks a session of the relay's own pool while it runs
// transactions that write no outbox row. Only the relay's pool carries it,
// and nothing else writes through that pool (New), so an id paired with it
// in pg_stat_activity, even in a view taken between two transactions of
// that session, is never a writer of the outbox.
const relayAppName = "userservice relay (writes no outbox rows)"

// key is the message's partition key: the user whose order it keeps.
func key(m *message.Message) string { return m.Metadata.Get(eventcontract.MetaPartitionKey) }
