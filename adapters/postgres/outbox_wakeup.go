package postgres

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// OutboxWakeChannel is the LISTEN/NOTIFY channel on which relays hear that a
// shard has new rows.
func OutboxWakeChannel(shard int) string { return "outbox_user_events_" + strconv.Itoa(shard) }

// notifySQL wakes the relays listening on channel $1.
const notifySQL = `SELECT pg_notify($1, '')`

// outboxWakeDelay coalesces the wake-ups of commits that land close together
// into one NOTIFY per shard.
const outboxWakeDelay = time.Millisecond

// outboxWakeups tells relays, after a group of commands or an import chunk
// committed, that its shard has new rows (a lone command sends its wake-up
// in its commit's round trip instead: commandConn.commit). The NOTIFY is
// sent after the commit, on its own, and not from a trigger inside the
// command's transaction: PostgreSQL serialises the commits of all
// transactions that NOTIFY (a database-wide lock held through the WAL
// flush), which halved command throughput when it was a trigger. Sent on
// its own it commits no WAL and holds that lock for microseconds.
//
// A wake-up is a hint, not a delivery: a lost one (crash after commit, an
// error) only delays the relay until its next poll, so errors are ignored.
type outboxWakeups struct {
	pool    *pgxpool.Pool
	pending [OutboxShards]atomic.Bool
}

// committed schedules a wake-up of the shard unless one is already pending.
// The pending flag is cleared before the NOTIFY is sent, so every commit is
// followed by a NOTIFY sent after it: either the one it scheduled, or the
// pending one it found, which fires later.
func (w *outboxWakeups) committed(shard int) {
	if w == nil || w.pending[shard].Swap(true) {
		return
	}
	time.AfterFunc(outboxWakeDelay, func() {
		w.pending[shard].Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = w.pool.Exec(ctx, notifySQL, OutboxWakeChannel(shard))
	})
}
