package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
)

// fetched is what one round trip to the outbox returns: the next batch,
// whether rows after the position wait behind an older transaction, and
// the shard's parked partition keys.
type fetched struct {
	batch  []row
	held   bool
	parked map[string]bool
	err    error
}

// batchConn is the shard's connection (*pgxpool.Conn, or a transaction in
// tests).
type batchConn interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// fetch reads the batch after pos in one round trip: the batch itself,
// whether rows after pos were held back (meaningful when the batch is
// empty), the parked keys and, when ack is not nil, the acknowledgement of
// a batch already published. The acknowledgement comes last: the
// statements of one round trip run in one implicit transaction, which
// takes a transaction id only at the UPDATE and commits right after it, so
// the id is held for as short a time as a statement of its own would hold
// it (a transaction id held longer would hold back every relay's bound).
func (s *shardRelay) fetch(ctx context.Context, conn batchConn, pos row, ack *row) fetched {
	b := &pgx.Batch{}
	// ORDER BY names the table's column (o.transaction_id): a bare
	// transaction_id would name the output column, the text cast, and sort
	// the ids as strings ("10" before "9"): the batch then ended on a larger
	// id than rows it left out, and its acknowledgement skipped them for
	// good (events lost where ids gained a digit), besides sorting every row
	// after the position instead of reading the primary key in order.
	b.Queue(`SELECT o.transaction_id::text, o."offset", o.uuid, o.payload::text, o.metadata::text FROM `+s.table+` o
		WHERE (o.transaction_id, o."offset") > ($1::xid8, $2) AND o.transaction_id < (`+settledBound+`)
		ORDER BY o.transaction_id, o."offset" LIMIT `+strconv.Itoa(s.r.cfg.BatchSize), pos.tx, pos.offset)
	b.Queue(`SELECT EXISTS (SELECT 1 FROM `+s.table+` WHERE (transaction_id, "offset") > ($1::xid8, $2))`, pos.tx, pos.offset)
	b.Queue(`SELECT DISTINCT partition_key FROM outbox_parked WHERE consumer_group = $1 AND shard = $2`, s.r.cfg.ConsumerGroup, s.shard)
	if ack != nil {
		b.Queue(`UPDATE `+s.offsets+` SET offset_acked = $2, last_processed_transaction_id = $3::xid8
			WHERE consumer_group = $1`, s.r.cfg.ConsumerGroup, ack.offset, ack.tx)
	}
	res := conn.SendBatch(ctx, b)
	f := s.collect(res)
	if err := res.Close(); err != nil && f.err == nil {
		f.err = err
	}
	if f.err != nil {
		f.err = fmt.Errorf("read outbox shard %d: %w", s.shard, f.err)
	}
	return f
}

func (s *shardRelay) collect(res pgx.BatchResults) (f fetched) {
	rows, err := res.Query()
	if err != nil {
		return fetched{err: err}
	}
	if f.batch, err = pgx.CollectRows(rows, scanRow); err != nil {
		return fetched{err: err}
	}
	if err := res.QueryRow().Scan(&f.held); err != nil {
		return fetched{err: err}
	}
	rows, err = res.Query()
	if err != nil {
		return fetched{err: err}
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fetched{err: err}
	}
	f.parked = make(map[string]bool, len(keys))
	for _, k := range keys {
		f.parked[k] = true
	}
	return f
}

func scanRow(cr pgx.CollectableRow) (row, error) {
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
}
