package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres"
)

// topUpTx is one top-up transaction: its id and when its commit returned.
type topUpTx struct {
	xid  uint64
	done time.Time
}

// topUpLog is every top-up transaction of a run, for holdIndex.
type topUpLog struct {
	mu  sync.Mutex
	txs []topUpTx
}

func (l *topUpLog) add(t topUpTx) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.txs = append(l.txs, t)
}

// writeTopUp writes msgs as the service's writers do: the INSERTs of
// writeOutbox in one transaction, then, after its COMMIT and in the same
// round trip, a wake-up of each shard written (a statement of its own, as
// commandConn.commit sends a command's; a group or an import chunk sends
// its own right after its commit). Without it the relay learnt of the
// top-up's rows only when a probe's commit woke it or its poll ran out,
// and of the end of a top-up transaction that held a probe's row back only
// by looking again (every 1 to 16 ms): a load no writer of the service
// makes. pg_current_xact_id() reads the id the INSERTs took (it assigns
// none earlier).
func (b *bench) writeTopUp(ctx context.Context, msgs []outboxMsg) (uint64, error) {
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	if err := queueOutbox(batch, msgs); err != nil {
		return 0, err
	}
	var xid string
	batch.Queue(`SELECT pg_current_xact_id()::text`).QueryRow(func(r pgx.Row) error { return r.Scan(&xid) })
	batch.Queue("COMMIT")
	var shards [postgres.OutboxShards]bool
	for _, m := range msgs {
		if !shards[m.Shard] {
			shards[m.Shard] = true
			batch.Queue(`SELECT pg_notify($1, '')`, postgres.OutboxWakeChannel(m.Shard))
		}
	}
	if err := b.pool.SendBatch(ctx, batch).Close(); err != nil {
		return 0, err
	}
	return strconv.ParseUint(xid, 10, 64)
}

// holdIndex answers when a row of transaction xid became readable to the
// relay as far as the top-up is concerned: the relay reads a row only once
// every transaction with a smaller id has ended (settledBound), so a
// probe's row waits for the last-ending top-up transaction older than its
// own. (The other probes' transactions hold it the same way; they are
// single commands, not counted here.)
type holdIndex struct {
	xids    []uint64    // ascending
	lastEnd []time.Time // lastEnd[i]: the latest done of xids[0..i]
}

func (l *topUpLog) index() holdIndex {
	l.mu.Lock()
	txs := slices.Clone(l.txs)
	l.mu.Unlock()
	slices.SortFunc(txs, func(a, b topUpTx) int { return cmp.Compare(a.xid, b.xid) })
	h := holdIndex{xids: make([]uint64, len(txs)), lastEnd: make([]time.Time, len(txs))}
	var last time.Time
	for i, t := range txs {
		if t.done.After(last) {
			last = t.done
		}
		h.xids[i], h.lastEnd[i] = t.xid, last
	}
	return h
}

// readable is when a row of transaction xid, committed at committed, could
// first be read.
func (h holdIndex) readable(xid uint64, committed time.Time) time.Time {
	i, _ := slices.BinarySearch(h.xids, xid) // the top-up transactions older than xid
	if i == 0 || !h.lastEnd[i-1].After(committed) {
		return committed
	}
	return h.lastEnd[i-1]
}

// eventXids reads the outbox transaction id of each event id given.
func (b *bench) eventXids(ctx context.Context, ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(ids))
	for shard := range postgres.OutboxShards {
		rows, err := b.pool.Query(ctx, `SELECT uuid::text, transaction_id::text FROM watermill_`+postgres.OutboxTopic(shard)+
			` WHERE uuid = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("outbox transaction ids: %w", err)
		}
		for rows.Next() {
			var id, xid string
			if err := rows.Scan(&id, &xid); err != nil {
				rows.Close()
				return nil, err
			}
			if out[id], err = strconv.ParseUint(xid, 10, 64); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
