package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
			_, err = conn.Exec(uctx, `RESET synchronous_commit`)
		}
		if err != nil {
			_ = conn.Conn().Close(uctx) // a pooled connection must not keep the lock
		}
	}()
	// An acknowledgement lost in a crash only publishes its batch again
	// (at-least-once): it need not wait for the WAL flush.
	if _, err := conn.Exec(ctx, `SET synchronous_commit TO off`); err != nil {
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
	parking := postgres.NewOutboxParking(conn)
	var heldWait time.Duration
	for ctx.Err() == nil {
		batch, err := s.read(ctx, conn, pos)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			// Rows past the position that the read may not take yet wait
			// for an older transaction, anywhere in the cluster, to end:
			// look again soon (1 ms, doubling), not at the next poll, so
			// the delay is the other transaction's, not the poll's.
			held, err := s.heldBack(ctx, conn, pos)
			if err != nil {
				return err
			}
			wait := s.r.cfg.PollInterval
			if held {
				heldWait = min(max(2*heldWait, time.Millisecond), s.r.cfg.PollInterval)
				wait = heldWait
			}
			waitForWork(ctx, s.wake, wait)
			continue
		}
		heldWait = 0
		if err := s.publish(ctx, parking, batch, b); err != nil {
			return err
		}
		last := batch[len(batch)-1]
		if _, err := conn.Exec(ctx, `UPDATE `+s.offsets+` SET offset_acked = $2, last_processed_transaction_id = $3::xid8
			WHERE consumer_group = $1`, s.r.cfg.ConsumerGroup, last.offset, last.tx); err != nil {
			return fmt.Errorf("acknowledge outbox batch: %w", err)
		}
		pos = last
	}
	return nil
}

// read returns the batch after pos, below settledBound: a transaction
// that commits late has an id at or above the bound while it runs, so
// neither its rows nor any after them are read before it ends (a late
// commit is never skipped). The keyset comparison is one range of the
// primary key, so the read costs the same whatever the backlog.
func (s *shardRelay) read(ctx context.Context, conn *pgxpool.Conn, pos row) ([]row, error) {
	// ORDER BY names the table's column (o.transaction_id): a bare
	// transaction_id would name the output column, the text cast, and sort
	// the ids as strings ("10" before "9"): the batch then ended on a larger
	// id than rows it left out, and its acknowledgement skipped them for
	// good (events lost where ids gained a digit), besides sorting every row
	// after the position instead of reading the primary key in order.
	rows, err := conn.Query(ctx, `SELECT o.transaction_id::text, o."offset", o.uuid, o.payload::text, o.metadata::text FROM `+s.table+` o
		WHERE (o.transaction_id, o."offset") > ($1::xid8, $2) AND o.transaction_id < (`+settledBound+`)
		ORDER BY o.transaction_id, o."offset" LIMIT `+strconv.Itoa(s.r.cfg.BatchSize), pos.tx, pos.offset)
	if err != nil {
		return nil, fmt.Errorf("read outbox shard %d: %w", s.shard, err)
	}
	batch, err := pgx.CollectRows(rows, func(cr pgx.CollectableRow) (row, error) {
		var (
			r             row
			id            string
			payload, meta string
		)
		if err := cr.Scan(&r.tx, &r.offset, &id, &payload, &meta); err != nil {
			return r, err
		}
		r.msg = message.NewMessage(id, []byte(payload))
		if err := json.Unmarshal([]byte(meta), &r.msg.Metadata); err != nil {
			return r, fmt.Errorf("outbox row %s: metadata: %w", id, err)
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox shard %d: %w", s.shard, err)
	}
	return batch, nil
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
const settledBound = `WITH c AS (SELECT pg_current_snapshot() AS snap)
	SELECT coalesce((SELECT min(x) FROM pg_snapshot_xip(c.snap) x WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
		WHERE a.backend_xid = xid(x) AND a.datname <> current_database())), pg_snapshot_xmax(c.snap)) FROM c`

// heldBack reports whether the shard has rows after pos that read did not
// return: rows of transactions at or above the xmin.
func (s *shardRelay) heldBack(ctx context.Context, conn *pgxpool.Conn, pos row) (bool, error) {
	var held bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+s.table+` WHERE (transaction_id, "offset") > ($1::xid8, $2))`,
		pos.tx, pos.offset).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("read outbox shard %d: %w", s.shard, err)
	}
	return held, nil
}

// key is the message's partition key: the user whose order it keeps.
func key(m *message.Message) string { return m.Metadata.Get(eventcontract.MetaPartitionKey) }
