package directory

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// Cleanup deletes the consumer's ids older than the retention, and nothing
// else: not its recent ids, not another consumer's old ones.
func TestCleanupDeletesOnlyExpiredIdsOfItsConsumer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	consumer, other := "test-"+uuid.NewString(), "test-"+uuid.NewString()
	insert := func(consumer string, age time.Duration, n int) {
		t.Helper()
		_, err := pool.Exec(ctx, `INSERT INTO processed_events (consumer, event_id, processed_at)
			SELECT $1, gen_random_uuid()::text, now() - $2::interval FROM generate_series(1, $3)`,
			consumer, age.String(), n)
		if err != nil {
			t.Fatal(err)
		}
	}
	insert(consumer, 8*24*time.Hour, deleteBatch+3) // more than one delete batch
	insert(consumer, time.Hour, 7)
	insert(other, 8*24*time.Hour, 3)
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `DELETE FROM processed_events WHERE consumer IN ($1, $2)`, consumer, other)
	})
	p := &Projector{pool: pool, cfg: Config{Consumer: consumer}}
	p.cfg.setDefaults()
	n, err := p.deleteExpired(ctx, time.Now().Add(-p.cfg.DedupRetention))
	if err != nil {
		t.Fatal(err)
	}
	count := func(consumer string) (n int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = $1`, consumer).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n != deleteBatch+3 || count(consumer) != 7 || count(other) != 3 {
		t.Fatalf("deleted %d; left %d of the consumer's (want 7 recent) and %d of another's (want 3)", n, count(consumer), count(other))
	}
}
