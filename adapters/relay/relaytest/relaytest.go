// Package relaytest helps tests run a relay on the outbox that every test
// shares.
package relaytest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
)

// StartGroupAtEnd positions a new relay consumer group at the current end of
// every outbox shard, so the test's relay carries what the test writes next
// instead of all history; later transactions get larger ids, so nothing
// written afterwards sits behind the mark. The group is removed when the test
// ends: a forgotten group would hold back outbox cleanup for ever.
func StartGroupAtEnd(t testing.TB, pool *pgxpool.Pool, group string) {
	t.Helper()
	ctx := context.Background()
	for shard := range postgres.OutboxShards {
		tbl := postgres.OutboxTopic(shard)
		_, err := pool.Exec(ctx, `INSERT INTO watermill_offsets_`+tbl+` (consumer_group, offset_acked, last_processed_transaction_id)
			SELECT $1, coalesce(max("offset"), 0), coalesce(max(transaction_id), '0') FROM watermill_`+tbl, group)
		if err != nil {
			t.Fatalf("position relay group %s: %v", group, err)
		}
	}
	t.Cleanup(func() {
		for shard := range postgres.OutboxShards {
			_, _ = pool.Exec(context.Background(), `DELETE FROM watermill_offsets_`+postgres.OutboxTopic(shard)+
				` WHERE consumer_group = $1`, group)
		}
		// What the group parked (other tests' poison messages, say) goes too.
		_, _ = pool.Exec(context.Background(), `DELETE FROM outbox_parked WHERE consumer_group = $1`, group)
	})
}
