package relay

import (
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// TestBatchReadFollowsNumericTransactionOrder: a batch is the first rows in
// (transaction id, offset) order as numbers. Sorted as text ("10" before
// "9"), a full batch ended on an id larger than rows it left out, and its
// acknowledgement skipped those rows for good. The rows are written and
// read in one transaction that is rolled back, so no relay ever sees them.
func TestBatchReadFollowsNumericTransactionOrder(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := t.Context()
	conn, err := pool.Acquire(ctx)
	must(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, `BEGIN`)
	must(t, err)
	defer func() { _, _ = conn.Exec(ctx, `ROLLBACK`) }()

	s := newShardRelay(&Relay{cfg: Config{BatchSize: 2}}, 3, nil)
	var want []string
	for _, tx := range []string{"10", "10", "9"} { // ids below any real transaction's
		id := uuid.NewString()
		_, err := conn.Exec(ctx, `INSERT INTO `+s.table+` (uuid, payload, metadata, transaction_id)
			VALUES ($1, '{}', '{}', $2::xid8)`, id, tx)
		must(t, err)
		if tx == "9" {
			want = append([]string{id}, want...)
		} else {
			want = append(want, id)
		}
	}
	f := s.fetch(ctx, conn, row{tx: "8", offset: 0}, nil)
	must(t, f.err)
	batch := f.batch
	if len(batch) != 2 {
		t.Fatalf("batch of %d rows, want 2", len(batch))
	}
	for i, r := range batch {
		if r.msg.UUID != want[i] {
			t.Errorf("row %d of the batch: transaction %s, want the rows of transaction 9 first, then 10 (%s, got %s)",
				i, r.tx, want[i], r.msg.UUID)
		}
	}
}
