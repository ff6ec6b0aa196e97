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
	b.Queue(batchSQL(s.table, s.r.cfg.BatchSize), pos.tx, pos.offset)
	b.Queue(heldBackSQL(s.table), pos.tx, pos.offset)
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

// batchSQL reads the batch after the position ($1, $2): rows of settled
// transactions only (settledBound), in the primary key's order.
//
// ORDER BY names the table's column (o.transaction_id): a bare
// transaction_id would name the output column, the text cast, and sort the
// ids as strings ("10" before "9"): the batch then ended on a larger id
// than rows it left out, and its acknowledgement skipped them for good
// (events lost where ids gained a digit), besides sorting every row after
// the position instead of reading the primary key in order.
func batchSQL(table string, size int) string {
	return `SELECT o.transaction_id::text, o."offset", o.uuid, o.payload::text, o.metadata::text FROM ` + table + ` o
		WHERE (o.transaction_id, o."offset") > ($1::xid8, $2) AND o.transaction_id < (` + settledBound + `)
		ORDER BY o.transaction_id, o."offset" LIMIT ` + strconv.Itoa(size)
}

// heldBackSQL tells whether the shard has any row after the position (the
// batch read may have left them for an older transaction): the first such
// row, found through the primary key. Not EXISTS (SELECT 1 ... WHERE
// (transaction_id, "offset") > pos): PostgreSQL drops an ORDER BY and
// LIMIT inside EXISTS, and from its sixth execution on the shard's
// connection (pgx prepares statements) it ran the generic plan, which
// estimates a third of the table past any position and so reads the table
// from its first page: past every relayed row the retention keeps, and
// through all of them whenever nothing is pending. Every round trip of
// every shard scanned its whole table: the database's CPU went to it, the
// broker on the same machine was starved (publishes of 150-250 ms under
// load), and an idle relay answered a wake-up only after the scan.
func heldBackSQL(table string) string {
	return `SELECT (SELECT transaction_id FROM ` + table + ` WHERE (transaction_id, "offset") > ($1::xid8, $2)
		ORDER BY transaction_id, "offset" LIMIT 1) IS NOT NULL`
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
