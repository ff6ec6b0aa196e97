package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// TestOutboxKeysetReadReturnsTheStockQuerysRows pins the keyset read to the
// rows and order of watermill-sql's stock query, for offsets inside a
// transaction's rows, at its last row, before the first and after the last,
// with batches that span transactions.
func TestOutboxKeysetReadReturnsTheStockQuerysRows(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	conn, err := pool.Acquire(ctx)
	must(t, err)
	defer conn.Release()
	suffix := uuid.NewString()[:8]
	messages, offsets := "outbox_keyset_"+suffix, "outbox_keyset_offsets_"+suffix
	_, err = conn.Exec(ctx, fmt.Sprintf(`
		CREATE TEMP TABLE %s ("offset" bigserial, uuid text NOT NULL, payload json NOT NULL DEFAULT '{}',
			metadata json NOT NULL DEFAULT '{}', transaction_id xid8 NOT NULL, PRIMARY KEY (transaction_id, "offset"));
		CREATE TEMP TABLE %s (consumer_group text PRIMARY KEY, offset_acked bigint, last_processed_transaction_id xid8 NOT NULL)`,
		messages, offsets))
	must(t, err)
	// Five transactions of 1, 3, 2, 4 and 1 rows.
	for _, n := range []int{1, 3, 2, 4, 1} {
		_, err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (uuid, transaction_id)
			SELECT gen_random_uuid()::text, pg_current_xact_id() FROM generate_series(1, %d)`, messages, n))
		must(t, err)
	}
	type pos struct {
		tx     string
		offset int64
	}
	var all []pos
	rows, err := conn.Query(ctx, `SELECT m.transaction_id::text, m."offset" FROM `+messages+` m ORDER BY m.transaction_id, m."offset"`) // the column, not the text
	must(t, err)
	for rows.Next() {
		var p pos
		must(t, rows.Scan(&p.tx, &p.offset))
		all = append(all, p)
	}
	must(t, rows.Err())

	table := func(string) string { return messages }
	offsetsAdapter := wsql.DefaultPostgreSQLOffsetsAdapter{GenerateMessagesOffsetsTableName: func(string) string { return offsets }}
	read := func(schema wsql.SchemaAdapter, from pos) []int64 {
		t.Helper()
		_, err := conn.Exec(ctx, `INSERT INTO `+offsets+` VALUES ('g', $1, $2::xid8)
			ON CONFLICT (consumer_group) DO UPDATE SET offset_acked = excluded.offset_acked,
			last_processed_transaction_id = excluded.last_processed_transaction_id`, from.offset, from.tx)
		must(t, err)
		q, err := schema.SelectQuery(wsql.SelectQueryParams{Topic: "t", ConsumerGroup: "g", OffsetsAdapter: offsetsAdapter})
		must(t, err)
		// Both queries bound the rows by the oldest transaction still open
		// in the cluster, which other tests' transactions hold back; the
		// same bound in both, lifted here so every row is compared.
		query := strings.ReplaceAll(q.Query, "pg_snapshot_xmin(pg_current_snapshot())", "'9223372036854775807'::xid8")
		if query == q.Query {
			t.Fatal("the query no longer bounds rows by pg_snapshot_xmin; update this test")
		}
		rows, err := conn.Query(ctx, query, q.Args...)
		must(t, err)
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (int64, error) {
			var off int64
			var tx, id string
			var payload, metadata []byte
			err := r.Scan(&off, &tx, &id, &payload, &metadata)
			return off, err
		})
		must(t, err)
		return got
	}
	starts := []pos{{"0", 0}} // a new consumer group
	for _, p := range all {
		starts = append(starts, p, pos{p.tx, p.offset - 1})
	}
	for _, batch := range []int{1, 2, 3, 100} {
		stock := wsql.DefaultPostgreSQLSchema{GenerateMessagesTableName: table, SubscribeBatchSize: batch}
		keyset := outboxSchema{stock}
		for _, from := range starts {
			want, got := read(stock, from), read(keyset, from)
			if !slices.Equal(got, want) {
				t.Errorf("batch %d after (%s, %d): keyset read %v, stock query %v", batch, from.tx, from.offset, got, want)
			}
		}
	}
	if got := read(outboxSchema{wsql.DefaultPostgreSQLSchema{GenerateMessagesTableName: table}}, starts[0]); len(got) != len(all) {
		t.Errorf("new group reads %d rows, want all %d", len(got), len(all))
	}
}
