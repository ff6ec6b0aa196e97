package relay

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres"
)

// TestLagCountsTheRowsAfterTheGroupsPosition: the lag metric's keyset
// count is the number of rows after the group's position (every row for a
// group without one), the same as a plain comparison with the position,
// seen in one snapshot (other tests write the shared outbox meanwhile).
func TestLagCountsTheRowsAfterTheGroupsPosition(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	written := h.write(6, 1)
	none := h.group + "-unpositioned"
	for shard := range postgres.OutboxShards {
		tbl := postgres.OutboxTopic(shard)
		tx, err := h.pool.BeginTx(h.ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		must(t, err)
		var lag, want, all, lagNone int64
		var age float64
		must(t, tx.QueryRow(h.ctx, pendingSQL(shard), h.group).Scan(&lag, &age))
		must(t, tx.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+tbl+` o, watermill_offsets_`+tbl+` p
			WHERE p.consumer_group = $1 AND (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked)`,
			h.group).Scan(&want))
		must(t, tx.QueryRow(h.ctx, pendingSQL(shard), none).Scan(&lagNone, &age))
		must(t, tx.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+tbl).Scan(&all))
		must(t, tx.Rollback(h.ctx))
		if lag != want || lagNone != all {
			t.Errorf("shard %d: lag %d, want %d; without a position %d, want every row (%d)", shard, lag, want, lagNone, all)
		}
		if mine := countOnShard(written, shard); want < int64(mine) {
			t.Errorf("shard %d: %d rows after the position, fewer than the %d the test wrote there", shard, want, mine)
		}
	}
}
