package relay

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/adapters/postgres"
)

// cleanupBatch bounds one DELETE, so cleanup never holds a long transaction
// (which would hold back every relay: see the xmin note in DESIGN.md).
const cleanupBatch = 5000

// relayedSQL selects a shard's rows at or before the position of EVERY
// consumer group of the shard, (transaction_id, offset) being the order
// watermill-sql reads in: a row one group still needs is never deleted. A
// shard nobody consumes yet keeps everything.
func relayedSQL(shard int) string {
	t := postgres.OutboxTopic(shard)
	return `FROM watermill_` + t + ` o
	WHERE EXISTS (SELECT 1 FROM watermill_offsets_` + t + `)
	AND (o.transaction_id, o."offset") <= ALL (SELECT last_processed_transaction_id, offset_acked FROM watermill_offsets_` + t + `)`
}

// cleanupDueSQL tells whether the shard's first row in key order (the
// oldest transaction's) is both relayed by every group and past the
// retention ($1 seconds). Cleanup deletes only when it is: its DELETE
// filters the table on age and position, and when nothing qualifies (every
// row younger than the retention, or the slowest group at the start) it
// read the whole table, each minute on every relay and at each relay's
// start: a million-row shard for about a second of the database's CPU. Rows
// in key order are oldest first, so when the first is not due nothing else
// is (the odd older row behind a younger one, a long transaction's, goes at
// a later round).
func cleanupDueSQL(table, offsets string) string {
	slowest := func(col string) string {
		return `(SELECT ` + col + ` FROM ` + offsets + ` ORDER BY last_processed_transaction_id, offset_acked LIMIT 1)`
	}
	return `SELECT coalesce((SELECT o.created_at < (now() - make_interval(secs => $1))::timestamp
		AND (o.transaction_id, o."offset") <= (` + slowest("last_processed_transaction_id") + `, ` + slowest("offset_acked") + `)
		FROM ` + table + ` o ORDER BY o.transaction_id, o."offset" LIMIT 1), false)`
}

// pendingSQL counts the shard's rows after the group's position (all of
// them for a group that has none yet) through the primary key, so the lag
// metric reads the backlog only, not the relayed rows the retention keeps
// (the join it replaced read the whole table every LagInterval).
func pendingSQL(shard int) string {
	t := postgres.OutboxTopic(shard)
	pos := func(col, none string) string {
		return `coalesce((SELECT ` + col + ` FROM watermill_offsets_` + t + ` WHERE consumer_group = $1), ` + none + `)`
	}
	return `SELECT count(*), coalesce(extract(epoch FROM now()::timestamp - min(o.created_at)), 0)
	FROM watermill_` + t + ` o
	WHERE (o.transaction_id, o."offset") > (` + pos("last_processed_transaction_id", `'0'::xid8`) + `, ` + pos("offset_acked", "-1") + `)`
}

// Cleanup deletes the shard's rows that every consumer group has relayed and
// that are older than the retention, and returns how many it deleted.
// Unrelayed rows are never touched, whatever their age. A consumer group
// created later starts after what was deleted: `usersctl republish` serves
// history from the event store.
func (r *Relay) Cleanup(ctx context.Context, shard int) (int64, error) {
	t := postgres.OutboxTopic(shard)
	q := `DELETE FROM watermill_` + t + ` WHERE ctid IN (SELECT o.ctid ` + relayedSQL(shard) +
		` AND o.created_at < (now() - make_interval(secs => $1))::timestamp LIMIT ` + itoa(cleanupBatch) + `)`
	var due bool
	if err := r.pool.QueryRow(ctx, cleanupDueSQL("watermill_"+t, "watermill_offsets_"+t), r.cfg.Retention.Seconds()).Scan(&due); err != nil || !due {
		if err != nil {
			err = fmt.Errorf("clean outbox shard %d: %w", shard, err)
		}
		return 0, err
	}
	var total int64
	for {
		// Marked as the relay's (settledBound): relays need not wait for it.
		var tag pgconn.CommandTag
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL application_name TO '`+relayAppName+`'`); err != nil {
				return err
			}
			var err error
			tag, err = tx.Exec(ctx, q, r.cfg.Retention.Seconds())
			return err
		})
		if err != nil {
			return total, fmt.Errorf("clean outbox shard %d: %w", shard, err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < cleanupBatch {
			return total, nil
		}
	}
}

func (r *Relay) cleanupLoop(ctx context.Context) error {
	return every(ctx, r.cfg.CleanupInterval, func() {
		for _, shard := range r.cfg.Shards {
			if n, err := r.Cleanup(ctx, shard); err != nil && ctx.Err() == nil {
				r.logger.Error("outbox cleanup", err, watermill.LogFields{"shard": shard})
			} else if n > 0 {
				r.logger.Debug("outbox cleaned", watermill.LogFields{"shard": shard, "deleted": n})
			}
		}
	})
}

// Lag returns the number of rows of a shard not yet relayed and the age of
// the oldest of them.
func (r *Relay) Lag(ctx context.Context, shard int) (int64, time.Duration, error) {
	var (
		n   int64
		age float64
	)
	if err := r.pool.QueryRow(ctx, pendingSQL(shard), r.cfg.ConsumerGroup).Scan(&n, &age); err != nil {
		return 0, 0, fmt.Errorf("outbox lag of shard %d: %w", shard, err)
	}
	return n, time.Duration(age * float64(time.Second)), nil
}

func (r *Relay) lagLoop(ctx context.Context) error {
	parking := postgres.NewOutboxParking(r.pool)
	return every(ctx, r.cfg.LagInterval, func() {
		if parked, err := parking.CountParked(ctx, r.cfg.ConsumerGroup); err == nil {
			for _, shard := range r.cfg.Shards {
				r.metrics.parkedNow.WithLabelValues(itoa(shard)).Set(float64(parked[shard]))
			}
		}
		for _, shard := range r.cfg.Shards {
			n, age, err := r.Lag(ctx, shard)
			if err != nil {
				continue // the database is away; the relay itself reports that
			}
			r.metrics.lagEvents.WithLabelValues(itoa(shard)).Set(float64(n))
			r.metrics.lagSeconds.WithLabelValues(itoa(shard)).Set(age.Seconds())
		}
	})
}

// every runs f now and then every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
